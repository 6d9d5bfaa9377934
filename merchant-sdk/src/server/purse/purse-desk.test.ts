import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { purseCardCertificateTemplate } from '@farthing/protocol/purse/card-certificate';
import { purseChallenges, verifyPurseChallenge } from '@farthing/protocol/purse/challenge';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { ed25519CertificateSigner } from '@farthing/protocol/x509/algorithms';
import {
  type CertificateIssuer,
  distinguishedName,
  signCertificate,
  signSelfSignedCaCertificate,
} from '@farthing/protocol/x509/certificate-builder';
import { merchantCertificateTemplate } from '@farthing/protocol/x509/merchant-certificate';
import { idAtCommonName } from '@farthing/protocol/x509/oids';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PurseDesk } from './purse-desk.ts';
import { PurseStore } from './purse-store.ts';

const eur = (minor: number) => amount('EUR', minor);
const day = 86_400_000;
const cardId = '0011223344556677';
const card = ed25519Signer(new Uint8Array(32).fill(0xc1));
const merchant = ed25519Signer(new Uint8Array(32).fill(0x4d));
let now = Date.UTC(2026, 0, 1);

async function bankCa(seed: number) {
  return signSelfSignedCaCertificate(
    {
      serialNumber: Uint8Array.of(1, seed),
      subject: distinguishedName([{ type: idAtCommonName, value: `Bank ${seed}` }]),
      notBefore: now - day,
      notAfter: now + 365 * day,
      pathLength: 0,
    },
    ed25519CertificateSigner(ed25519Signer(new Uint8Array(32).fill(seed))),
  );
}

const cardCertificate = (issuer: CertificateIssuer, id = cardId) =>
  signCertificate(
    purseCardCertificateTemplate({
      cardId: id,
      cardPublicKey: card.publicKey,
      serialNumber: Uint8Array.of(2, 1),
      notBefore: now - day,
      notAfter: now + 100 * day,
    }),
    issuer,
  );

let dir: string;
let store: PurseStore;
let desk: PurseDesk;
let ca: Awaited<ReturnType<typeof bankCa>>;
let merchantCertificate: Uint8Array;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-desk-'));
  now = Date.UTC(2026, 0, 1);
  ca = await bankCa(0xca);
  merchantCertificate = await signCertificate(
    merchantCertificateTemplate({
      merchantId: 'shop',
      name: 'Shop',
      origins: ['https://shop.example'],
      offerPublicKey: merchant.publicKey,
      serialNumber: Uint8Array.of(3, 1),
      notBefore: now - day,
      notAfter: now + 100 * day,
    }),
    ca.issuer,
  );
  store = new PurseStore(join(dir, 'purse.sqlite'));
  desk = new PurseDesk({
    merchantId: 'shop',
    signer: merchant,
    merchantChain: [merchantCertificate],
    trustedRoots: [ca.certificate],
    store,
    bank: { url: 'http://127.0.0.1:9', apiKey: 'unused', fetch },
    now: () => now,
  });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pay(minor: number, overrides: Partial<Parameters<typeof purseProofs.sign>[0]> = {}) {
  const view = await desk.createChallenge(eur(minor));
  const challenge = purseChallenges.decode(fromBase64url(view.challenge));
  const proof = await purseProofs.sign(
    {
      cardId,
      sno: view.tno,
      merchantId: challenge.merchantId,
      tno: challenge.tno,
      amount: challenge.amount,
      nonce: challenge.nonce,
      ...overrides,
    },
    card,
  );
  return { view, challenge, proof: purseProofs.encode(proof) };
}

describe('purse desk', () => {
  it('issues challenges with fresh TNos that a card authenticates against the bank root', async () => {
    const first = await desk.createChallenge(eur(100));
    const second = await desk.createChallenge(eur(100));
    expect(second.tno).toBe(first.tno + 1);
    const challenge = purseChallenges.decode(fromBase64url(first.challenge));
    expect(
      verifyPurseChallenge(challenge, {
        merchantChain: first.merchantChain.map((c) => fromBase64url(c)),
        trustedRoots: [ca.certificate],
        now,
      }).name,
    ).toBe('Shop');
  });

  it('accepts a proof offline and keeps it durably, once', async () => {
    const { proof, view } = await pay(250);
    const certificate = await cardCertificate(ca.issuer);
    expect(desk.acceptProof({ proof, cardCertificate: certificate })).toMatchObject({
      tno: view.tno,
      cardId,
      amount: eur(250),
    });
    expect(() => desk.acceptProof({ proof, cardCertificate: certificate })).toThrow(
      expect.objectContaining({ code: 'purse_proof_duplicate' }),
    );
    store.close();
    store = new PurseStore(join(dir, 'purse.sqlite'));
    expect(store.proofs()).toHaveLength(1);
  });

  it('refuses another amount, nonce, merchant, card, forger or bank, and an expired challenge', async () => {
    const certificate = await cardCertificate(ca.issuer);
    const expectCode = async (code: string, proof: Uint8Array, cert = certificate) =>
      expect(() => desk.acceptProof({ proof, cardCertificate: cert })).toThrow(
        expect.objectContaining({ code }),
      );
    await expectCode('offer_mismatch', (await pay(250, { amount: eur(25) })).proof);
    await expectCode('offer_mismatch', (await pay(250, { nonce: new Uint8Array(32) })).proof);
    await expectCode('merchant_mismatch', (await pay(250, { merchantId: 'other' })).proof);
    await expectCode(
      'purse_wrong_card',
      (await pay(250)).proof,
      await cardCertificate(ca.issuer, 'ffffffffffffffff'),
    );
    const other = await bankCa(0xcb);
    await expectCode(
      'certificate_untrusted',
      (await pay(250)).proof,
      await cardCertificate(other.issuer),
    );
    const forged = (await pay(250)).proof;
    forged[forged.length - 1]! ^= 1;
    await expectCode('bad_signature', forged);
    const late = await pay(250);
    now += 10 * 60_000;
    await expectCode('offer_expired', late.proof);
    expect(store.proofs()).toHaveLength(0);
  });
});
