import 'fake-indexeddb/auto';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { signOffer } from '@farthing/protocol/offer';
import { purseChallenges } from '@farthing/protocol/purse/challenge';
import { purseProofs } from '@farthing/protocol/purse/proof';
import {
  cardId,
  cardSigner,
  challengeFor,
  eur,
  issuerLoadSigner,
  merchantSigner,
  now,
  purseFixtures,
} from '@farthing/protocol/purse/purse.fixture';
import { makeMerchantCertificate } from '@farthing/protocol/x509/x509.fixture';
import { beforeEach, describe, expect, it } from 'vitest';
import type { WalletContext } from '../../context.ts';
import { type BankRecord, openWalletDb, type PaymentRecord } from '../../db/schema.ts';
import { openSealer } from '../../keys.ts';
import { challengePayment, purseCredential, storeProof } from './purse-payment.ts';

const bankUrl = 'https://bank.example';
let ctx: WalletContext;
let challenge: Awaited<ReturnType<typeof challengeFor>>;

const payment = (status: PaymentRecord['status']): PaymentRecord => ({
  id: 'pay-1',
  offerHash: 'h',
  offerToken: 'token',
  origin: 'https://shop.example',
  resource: '/articles/7',
  navigateTo: 'https://shop.example/articles/7',
  title: 'Seven',
  merchantId: 'demo-shop',
  merchantName: 'Demo shop',
  offerPublicKey: new Uint8Array(32),
  payEndpoint: 'https://shop.example/.well-known/farthing/pay',
  bankUrl,
  instrument: 'purse',
  price: { currency: 'EUR', minor: 250 },
  status,
  taskId: 'task-1',
  createdAt: now,
});

async function world(status: PaymentRecord['status'] = 'reserved') {
  const db = await openWalletDb(`purse-${Math.random()}`);
  ctx = { db, sealer: await openSealer(db), platform: { fetch, now: () => now } };
  const fixtures = await purseFixtures();
  const bank = { url: bankUrl, caCertificate: fixtures.ca.certificate } as unknown as BankRecord;
  await db.put('banks', bank);
  await db.put('purseReaders', {
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
  challenge = await challengeFor(250, 41);
  await db.put('purseProofs', {
    paymentId: 'pay-1',
    cardId,
    tno: 41,
    challenge: purseChallenges.encode(challenge),
    merchantChain: [fixtures.merchantCertificate],
    status: 'challenged',
    createdAt: now,
  });
  await db.put('payments', payment(status));
  await db.put('journal', {
    id: 'j-1',
    paymentId: 'pay-1',
    origin: 'https://shop.example',
    day: now - (now % 86_400_000),
    price: { currency: 'EUR', minor: 250 },
    status: status === 'failed' ? 'failed' : 'reserved',
    at: now,
  });
  await db.put('tasks', {
    id: 'task-1',
    kind: 'pay',
    status: status === 'failed' ? 'failed' : 'reserved',
    ref: 'pay-1',
    amount: { currency: 'EUR', minor: 250 },
    progress: null,
    error: null,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  });
}

async function proofText(
  overrides: Partial<Parameters<typeof purseProofs.sign>[0]> = {},
  signer = cardSigner,
) {
  const proof = await purseProofs.sign(
    {
      cardId,
      sno: 3,
      merchantId: 'demo-shop',
      tno: 41,
      amount: eur(250),
      nonce: challenge.nonce,
      ...overrides,
    },
    signer,
  );
  return toBase64url(purseProofs.encode(proof));
}

const offer = () =>
  signOffer(
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

describe('the purse proof journal', () => {
  beforeEach(() => world());

  it('keeps the card proof for the payment challenge once, and builds the credential from it', async () => {
    let kicks = 0;
    const text = await proofText();
    await storeProof(ctx, 'pay-1', text, () => kicks++);
    const stored = await ctx.db.get('purseProofs', 'pay-1');
    expect(stored).toMatchObject({ status: 'proved', sno: 3 });
    expect(stored?.proof).toEqual(fromBase64url(text));
    // Handed over twice (a retry of the window): the same proof is the same answer.
    await expect(storeProof(ctx, 'pay-1', text, () => kicks++)).resolves.toEqual({ stored: true });
    // No click waits for it in this worker: the task runner is asked to send it (once).
    expect(kicks).toBe(1);
    const credential = JSON.parse(await purseCredential(ctx, payment('reserved'), await offer()));
    expect(credential).toMatchObject({ version: 1, type: 'purse', proof: text });
  });

  it('refuses a proof for another challenge, another card or not the card’s, keeping nothing', async () => {
    for (const text of [
      await proofText({ nonce: new Uint8Array(32).fill(9) }),
      await proofText({ tno: 42 }),
      await proofText({ amount: eur(249) }),
      await proofText({ cardId: '0011223344556699' }),
      await proofText({}, issuerLoadSigner),
    ]) {
      await expect(storeProof(ctx, 'pay-1', text, () => undefined)).rejects.toThrow();
    }
    expect((await ctx.db.get('purseProofs', 'pay-1'))?.status).toBe('challenged');
  });

  it('has no credential to send before the card answered: the payment waits for the reader', async () => {
    await expect(purseCredential(ctx, payment('reserved'), await offer())).rejects.toMatchObject({
      code: 'reader_unavailable',
      detail: { transient: true },
    });
  });
});

describe('a proof that comes after the payment was given up', () => {
  beforeEach(() => world('failed'));

  it('reopens the payment, its budget entry and its task, and asks the task runner to send it', async () => {
    let kicks = 0;
    await storeProof(ctx, 'pay-1', await proofText(), () => kicks++);
    expect((await ctx.db.get('payments', 'pay-1'))?.status).toBe('reserved');
    expect((await ctx.db.get('journal', 'j-1'))?.status).toBe('reserved');
    expect((await ctx.db.get('tasks', 'task-1'))?.status).toBe('reserved');
    expect(kicks).toBe(1);
  });
});

describe('the challenge’s certificate chain', () => {
  /** A merchant answering the challenge request with `chain` beside a good challenge. */
  async function challengeWith(chain: Uint8Array[]) {
    await world();
    const signed = await challengeFor(250, 42);
    ctx = {
      ...ctx,
      platform: {
        now: () => now,
        fetch: async () =>
          new Response(
            JSON.stringify({
              tno: 42,
              challenge: toBase64url(purseChallenges.encode(signed)),
              merchantChain: chain.map(toBase64url),
            }),
            { status: 200, headers: { 'content-type': 'application/json' } },
          ),
      },
    };
    const paying: PaymentRecord = {
      ...payment('reserved'),
      id: 'pay-2',
      merchantName: 'Demo Shop',
      offerPublicKey: merchantSigner.publicKey,
    };
    await ctx.db.put('payments', paying);
    const outcome = await challengePayment(ctx, paying).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { outcome, stored: await ctx.db.get('purseProofs', 'pay-2') };
  }

  it('hands the card no certificate but one for the key that signed the offer, under the name shown', async () => {
    const { ca } = await purseFixtures();
    const otherKey = await makeMerchantCertificate(ca, {
      offerPublicKey: ed25519Signer(new Uint8Array(32).fill(0x77)).publicKey,
    });
    const otherName = await makeMerchantCertificate(ca, { name: 'Someone Else' });
    const otherOrigin = await makeMerchantCertificate(ca, { origins: ['https://other.example'] });
    const expired = await makeMerchantCertificate(ca, {
      notBefore: now - 100 * 86_400_000,
      notAfter: now - 86_400_000,
    });
    for (const chain of [[otherKey], [otherName], [otherOrigin], [expired], []]) {
      const { outcome, stored } = await challengeWith(chain);
      expect(outcome).toMatchObject({ code: 'merchant_not_certified' });
      expect(stored).toBeUndefined();
    }
  });
});
