import { describe, expect, it } from 'vitest';
import {
  Crash,
  type FixtureWallet,
  freshWalletName,
  openFixtureWallet,
  type Steps,
} from '../instrument.fixture.ts';
import {
  type CardMerchant,
  cardWorld,
  registerFixtureCard,
  transactionId,
} from './card.fixture.ts';
import { payCardOffer, resumeCardPayments } from './purchase.ts';

async function setUp(steps?: Steps) {
  const { world, checked, merchant } = await cardWorld();
  const name = freshWalletName();
  await registerFixtureCard(await openFixtureWallet(name, merchant), world);
  return { name, checked, merchant, wallet: await openFixtureWallet(name, merchant, steps) };
}

/** One purchase for the transaction, authorized once, its request the one the merchant took. */
async function expectAuthorizedOnce(wallet: FixtureWallet, merchant: CardMerchant) {
  const records = await wallet.db.getAll('cardPayments');
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    transactionId,
    status: 'authorized',
    receiptId: `receipt-${transactionId}`,
    total: { currency: 'EUR', minor: 1250 },
    error: null,
  });
  expect(merchant.authorized.get(transactionId)).toBe(records[0]!.request);
  expect(merchant.doubleAuthorizations).toEqual([]);
}

describe('a card purchase', () => {
  it('writes the signed request before it leaves, and records the merchant’s signed answer', async () => {
    const { wallet, merchant, checked } = await setUp();
    const record = await payCardOffer(wallet, checked);
    expect(record.status).toBe('authorized');
    await expectAuthorizedOnce(wallet, merchant);
    // The card number is in the request only inside the gateway's envelope.
    expect(record.request).not.toContain('4000001234567899');
  });

  it('answers a second pay of the same transaction from the record, sending nothing', async () => {
    const { wallet, merchant, checked } = await setUp();
    const first = await payCardOffer(wallet, checked);
    merchant.refuseNext = true;
    expect(await payCardOffer(wallet, checked)).toEqual(first);
    expect(merchant.refuseNext).toBe(true);
    await expectAuthorizedOnce(wallet, merchant);
  });

  it('ends a purchase the merchant refused as failed, with the wallet’s code, and does not resend it', async () => {
    const { wallet, merchant, checked } = await setUp();
    merchant.refuseNext = true;
    await expect(payCardOffer(wallet, checked)).rejects.toMatchObject({
      code: 'merchant_refused',
    });
    const [record] = await wallet.db.getAll('cardPayments');
    expect(record).toMatchObject({ status: 'failed', error: { code: 'merchant_refused' } });
    expect(await resumeCardPayments(wallet)).toEqual([]);
    expect(merchant.authorized.size).toBe(0);
  });

  it('refuses an answer signed by another key, keeping the purchase to resend', async () => {
    const { wallet, checked } = await setUp();
    const forged = { ...checked, merchantKey: new Uint8Array(32).fill(7) };
    await expect(payCardOffer(wallet, forged)).rejects.toMatchObject({
      code: 'merchant_refused',
    });
    expect((await wallet.db.getAll('cardPayments'))[0]?.status).toBe('sent');
  });

  it('is authorized once, wherever the worker stops, and resumes by resending the same bytes', async () => {
    const counting: Steps = { crashAt: 0, steps: 0 };
    const counted = await setUp(counting);
    await payCardOffer(counted.wallet, counted.checked);
    const steps = counting.steps;
    expect(steps).toBeGreaterThanOrEqual(4);

    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const { name, wallet, merchant, checked } = await setUp({ crashAt, steps: 0 });
      try {
        await payCardOffer(wallet, checked);
      } catch (error) {
        if (!(error instanceof Crash))
          expect(error).toMatchObject({ code: 'merchant_unreachable' });
      }
      const again = await openFixtureWallet(name, merchant);
      await resumeCardPayments(again);
      // Stopped before the request was written: nothing left, the holder pays again.
      if ((await again.db.getAll('cardPayments')).length === 0) {
        expect(merchant.authorized.size, `stopped at step ${crashAt}`).toBe(0);
        await payCardOffer(again, checked);
      }
      await expectAuthorizedOnce(again, merchant);
    }
  });
});
