/**
 * What the purse instrument's tests share (not part of the wallet; no production file imports
 * it): the bank's CA and its signed revocation list, a merchant that issues purse challenges
 * and checks the proofs it is paid with as the SDK's purse desk does (the card certificate
 * under the CA, the proof's signature under the card key, the challenge it answers), and a card.
 *
 * The card signs with the fixture card key and keeps the applet's two promises the wallet
 * relies on (reader/src/card/applet.ts, which the extension may not import): a challenge is
 * paid once, and asked again (PROOF AGAIN) it gives back the same proof without a second debit.
 */
import { decodeCredential } from '@farthing/protocol/credential';
import { equalBytes, toBase64url } from '@farthing/protocol/encoding';
import { offerHash, signOffer } from '@farthing/protocol/offer';
import { offerToken } from '@farthing/protocol/offer-token';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import { purseChallenges, type SignedPurseChallenge } from '@farthing/protocol/purse/challenge';
import { purseProofs } from '@farthing/protocol/purse/proof';
import {
  cardId,
  cardSigner,
  challengeFor,
  eur,
  merchantSigner,
  now,
  type PurseFixtures,
  purseFixtures,
} from '@farthing/protocol/purse/purse.fixture';
import { receipts, signReceipt } from '@farthing/protocol/receipt';
import {
  merchantRevocationsToWire,
  signMerchantRevocations,
} from '@farthing/protocol/x509/merchant-revocations';
import type { BankRecord } from '../../db/schema.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { bankUrl, type FixtureServer, type FixtureWallet } from '../instrument.fixture.ts';

export { now };

export class FixtureCard {
  /** `tno:nonce` → the proof the card gave for that challenge. */
  readonly proofs = new Map<string, string>();
  private sno = 0;

  constructor(public balance: number) {}

  /** PAY, or PROOF AGAIN for a challenge paid before: base64url of the proof. */
  async answer(challengeBytes: Uint8Array): Promise<string> {
    const challenge = purseChallenges.decode(challengeBytes);
    const key = `${challenge.tno}:${toBase64url(challenge.nonce)}`;
    const earlier = this.proofs.get(key);
    if (earlier !== undefined) return earlier;
    if (challenge.amount.minor > this.balance) throw new Error('the card holds too little');
    this.balance -= challenge.amount.minor;
    this.sno += 1;
    const proof = await purseProofs.sign(
      {
        cardId,
        sno: this.sno,
        merchantId: challenge.merchantId,
        tno: challenge.tno,
        amount: challenge.amount,
        nonce: challenge.nonce,
      },
      cardSigner,
    );
    const text = toBase64url(purseProofs.encode(proof));
    this.proofs.set(key, text);
    return text;
  }
}

export class PurseMerchant implements FixtureServer {
  readonly challenges = new Map<number, SignedPurseChallenge>();
  /** tno → the proof the merchant took for it (base64url). */
  readonly taken = new Map<number, string>();
  readonly doubleCharges: number[] = [];
  private readonly answers = new Map<string, unknown>();
  private tno = 40;

  constructor(private readonly fixtures: PurseFixtures) {}

  async answer(url: string, init: RequestInit): Promise<Response> {
    const { pathname } = new URL(url);
    if (pathname === '/v1/ca/merchant-revocations') {
      const list = await signMerchantRevocations(
        { bankId: 'bank.example', issuedAt: now, serials: [] },
        this.fixtures.ca.issuer.signer,
      );
      return Response.json(merchantRevocationsToWire(list));
    }
    const text = String(init.body);
    if (pathname === '/.well-known/farthing/purse-challenge') {
      this.tno += 1;
      const challenge = await challengeFor(250, this.tno);
      this.challenges.set(this.tno, challenge);
      return Response.json({
        tno: this.tno,
        challenge: toBase64url(purseChallenges.encode(challenge)),
        merchantChain: [toBase64url(this.fixtures.merchantCertificate)],
      });
    }
    if (pathname !== '/.well-known/farthing/pay') return Response.json({}, { status: 404 });
    const earlier = this.answers.get(text);
    if (earlier !== undefined) return Response.json(earlier);
    const credential = decodeCredential(new TextEncoder().encode(text));
    if (credential.type !== 'purse') return Response.json({}, { status: 400 });
    const { proof } = credential;
    const card = verifyPurseCardCertificate({
      chain: [credential.cardCertificate],
      trustedRoots: [this.fixtures.ca.certificate],
      now,
    });
    purseProofs.verify(proof, card.cardPublicKey);
    const challenge = this.challenges.get(proof.tno);
    if (
      challenge === undefined ||
      !equalBytes(challenge.nonce, proof.nonce) ||
      challenge.amount.minor !== proof.amount.minor
    ) {
      return Response.json({ code: 'purse_proof_invalid' }, { status: 400 });
    }
    const proofText = toBase64url(credential.proofBytes);
    const taken = this.taken.get(proof.tno);
    if (taken !== undefined && taken !== proofText) {
      this.doubleCharges.push(proof.tno);
      return Response.json({ code: 'purse_replayed' }, { status: 409 });
    }
    this.taken.set(proof.tno, proofText);
    const receipt = await signReceipt(
      {
        offerHash: offerHash(credential.offer),
        merchantId: credential.offer.merchantId,
        resource: credential.offer.resource,
        amount: credential.offer.amount,
        instrument: 'purse',
        paidAt: now,
      },
      merchantSigner,
    );
    const answer = {
      receipt: receipts.signedToWire(receipt),
      grant: { resource: credential.offer.resource, expiresAt: now + 3_600_000 },
    };
    this.answers.set(text, answer);
    return Response.json(answer);
  }
}

export async function purseWorld() {
  const fixtures = await purseFixtures();
  const bank: BankRecord = {
    url: bankUrl,
    name: 'Demo Bank',
    caCertificate: fixtures.ca.certificate,
    caFingerprint: 'ca',
    mintMasterKey: new Uint8Array(32),
    mintKeyFingerprint: 'mint',
    brokerId: 'bank.example',
    brokerKey: new Uint8Array(32),
    brokerKeyFingerprint: 'broker',
    trustedAt: now,
  };
  return { fixtures, bank, merchant: new PurseMerchant(fixtures) };
}

/** The bank trusted and the card's reader paired, preferred (before any stop is counted). */
export async function pairReader(
  wallet: FixtureWallet,
  fixtures: PurseFixtures,
  bank: BankRecord,
): Promise<void> {
  await wallet.db.put('banks', bank);
  await wallet.db.put('purseReaders', {
    id: 'reader',
    vendorId: 1,
    productId: 2,
    productName: 'reader',
    cardId,
    certificate: fixtures.cardCertificate,
    bankUrl,
    balance: eur(1000),
    maximum: eur(20000),
    state: 'active',
    log: [],
    preferred: true,
    pairedAt: now,
    readAt: now,
  });
}

/** A 2.50 € offer of the Demo Shop's, as checkOffer hands it to the instruments. */
export async function purseOffer(bank: BankRecord): Promise<CheckedOffer> {
  const offer = await signOffer(
    {
      merchantId: 'demo-shop',
      merchantOrigin: 'https://shop.example',
      resource: '/articles/7',
      amount: eur(250),
      createdAt: now - 1_000,
      expiresAt: now + 600_000,
      instruments: ['purse'],
    },
    merchantSigner,
  );
  return {
    offer,
    token: offerToken(offer),
    hash: toBase64url(offerHash(offer)),
    origin: 'https://shop.example',
    resourceUrl: 'https://shop.example/articles/7',
    payee: { name: 'Demo Shop', origin: 'https://shop.example', merchantId: 'demo-shop', bankUrl },
    bank,
    offerPublicKey: merchantSigner.publicKey,
    payEndpoint: 'https://shop.example/.well-known/farthing/pay',
    descriptorInstruments: ['purse'],
  };
}
