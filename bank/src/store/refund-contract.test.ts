/**
 * The refund part of the `BankStore` contract (refund-store.ts), run against every backend
 * (store-backends.fixture.ts) as store-contract.test.ts runs the rest: a refund is recorded
 * once per (merchant, refund id), never passes what is left of its receipt or its payment,
 * moves the money in the same transaction, and refunded coins are refreshed at most for their
 * credit, even when the same calls arrive at once (several bank processes on one database).
 */
import { toBase64url } from '@farthing/protocol/encoding';
import type { FarthingError } from '@farthing/protocol/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RefundParameters } from './refund-store.ts';
import type { BankStore, SpentCoin } from './store.ts';
import {
  coded,
  coin,
  deposit,
  funded,
  merchant,
  now,
  openEveryConnection,
  paywordCertificate,
  paywordClaim,
  type StoreBackend,
  storeBackends,
} from './store-backends.fixture.ts';

const offerHash = new Uint8Array(32).fill(0x0f);

/** A deposited coin whose permission names `offer`, as the mint stores it. */
const paid = (fill: number, offer = offerHash): SpentCoin => ({
  coinPub: new Uint8Array(32).fill(fill),
  denominationId: new Uint8Array(32).fill(1),
  value: 100,
  signature: new Uint8Array(64).fill(fill),
  proof: JSON.stringify({ offerHash: toBase64url(offer) }),
});

const ecash = (
  merchantId: number,
  refundId: string,
  amount: number,
  options: { payment?: string; receipt?: number; paid?: number; offer?: Uint8Array } = {},
): RefundParameters => ({
  instrument: 'ecash',
  merchantId,
  refundId,
  payment: options.payment ?? `${merchantId}:d1`,
  offerHash: options.offer ?? offerHash,
  receiptId: new Uint8Array(16).fill(options.receipt ?? 1),
  currency: 'EUR',
  amount,
  paid: options.paid ?? 300,
  statement: JSON.stringify({ refundId, amount }),
  requestHash: new Uint8Array(32).fill(amount % 256),
  createdAt: now,
  now,
});

const code = (error: unknown) => (error as FarthingError).code;

describe.each(storeBackends.map((make) => [make().name, make] as const))(
  'RefundStore on %s',
  (_name, make) => {
    const backend: StoreBackend = make();
    const stores: BankStore[] = [];
    beforeAll(() => backend.setup(), 60_000);
    afterAll(() => backend.teardown(), 60_000);
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        expect((await store.checkInvariants()).problems).toEqual([]);
        await store.close();
      }
    });
    const open = async (location?: string) => {
      const store = await backend.open(location ?? (await backend.newDatabase()));
      stores.push(store);
      return store;
    };
    /** Alice paid the shop three coins (300) under deposit `<shop>:d1`. */
    const paidShop = async () => {
      const store = await open();
      const { alice, shop } = await funded(store, 1_000, 4);
      await deposit(store, shop.id, `${shop.id}:d1`, [paid(11), paid(12), paid(13)]);
      return { store, alice, shop };
    };
    const balance = async (store: BankStore, id: number) => (await store.getAccount(id))!.balance;

    it('moves the refund from the merchant to the coins, crediting them in order', async () => {
      const { store, shop } = await paidShop();
      const record = await store.refunds.refund(ecash(shop.id, 'r1', 150), (r) => r);
      expect(record).toMatchObject({ refundId: 'r1', instrument: 'ecash', amount: 150, paid: 300 });
      expect(await balance(store, shop.id)).toBe(150);
      expect((await store.getAccountByName('system:coin-refunds'))?.balance).toBe(150);
      expect(await store.refunds.coinRefund(paid(11).coinPub)).toMatchObject({
        currency: 'EUR',
        refunded: 100,
        refreshed: 0,
      });
      expect(await store.refunds.coinRefund(paid(12).coinPub)).toMatchObject({ refunded: 50 });
      expect(await store.refunds.coinRefund(paid(13).coinPub)).toBeUndefined();
      await store.refunds.refund(ecash(shop.id, 'r2', 150), (r) => r);
      const listed = await store.refunds.listRefunds(shop.id, new Uint8Array(16).fill(1));
      expect(listed.map((r) => [r.refundId, r.amount])).toEqual([
        ['r1', 150],
        ['r2', 150],
      ]);
      expect(await store.checkInvariants()).toMatchObject({ totals: { coinRefunds: 300 } });
    });

    it('answers the same refund id and request with the stored refund, another request with refund_id_reused', async () => {
      const { store, shop } = await paidShop();
      const first = await store.refunds.refund(ecash(shop.id, 'r1', 100), (r) => r);
      expect(await store.refunds.refund(ecash(shop.id, 'r1', 100), (r) => r)).toEqual(first);
      await expect(store.refunds.refund(ecash(shop.id, 'r1', 120), (r) => r)).rejects.toSatisfy(
        coded('refund_id_reused'),
      );
      expect(await balance(store, shop.id)).toBe(200);
    });

    it('refuses, changing nothing, what the payment does not allow', async () => {
      const { store, shop } = await paidShop();
      const other = await merchant(store, 'other');
      const refuse = (params: RefundParameters) =>
        store.refunds
          .refund(params, (r) => r)
          .then(
            () => 'refunded',
            (error: unknown) => code(error),
          );
      expect(await refuse(ecash(other.id, 'x', 10, { payment: `${shop.id}:d1` }))).toBe(
        'not_found',
      );
      expect(await refuse(ecash(shop.id, 'x', 10, { payment: `${shop.id}:nope` }))).toBe(
        'not_found',
      );
      expect(await refuse(ecash(shop.id, 'x', 10, { offer: new Uint8Array(32) }))).toBe(
        'offer_mismatch',
      );
      expect(await refuse({ ...ecash(shop.id, 'x', 10), currency: 'USD' })).toBe(
        'currency_mismatch',
      );
      expect(await refuse(ecash(shop.id, 'x', 120, { paid: 100 }))).toBe('refund_exceeds_payment');
      expect(await refuse(ecash(shop.id, 'x', 301, { paid: 500 }))).toBe('refund_exceeds_payment');
      await store.refunds.refund(ecash(shop.id, 'r1', 50, { paid: 100 }), (r) => r);
      // Earlier refunds of the receipt said it was for 100.
      expect(await refuse(ecash(shop.id, 'x', 10, { paid: 200 }))).toBe('conflict');
      expect(await balance(store, shop.id)).toBe(250);
      expect(await store.refunds.listRefunds(other.id, new Uint8Array(16).fill(1))).toEqual([]);
    });

    it('refuses a refund the merchant no longer holds the money for', async () => {
      const { store, shop, alice } = await paidShop();
      await store.withdraw(
        {
          issuanceId: 'w-shop',
          accountId: shop.id,
          currency: 'EUR',
          requestHash: new Uint8Array(32),
          coins: [coin(40, 100), coin(42, 100), coin(44, 100)],
          now,
        },
        (issuance) => issuance.total,
      );
      await expect(store.refunds.refund(ecash(shop.id, 'r1', 10), (r) => r)).rejects.toSatisfy(
        coded('insufficient_funds'),
      );
      expect(await store.refunds.listRefunds(shop.id, new Uint8Array(16).fill(1))).toEqual([]);
      expect(await balance(store, alice.id)).toBe(600);
    });

    it('lets concurrent refunds of one payment take exactly what is left, never more', async () => {
      const { store, shop } = await paidShop();
      await openEveryConnection(store);
      // Sixteen refunds of 40 on sixteen receipts naming the one deposit of 300.
      const outcomes = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          store.refunds
            .refund(ecash(shop.id, `r${i}`, 40, { receipt: i + 1 }), (r) => r)
            .then(
              (r) => r.amount,
              (error: unknown) => code(error),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 40)).toHaveLength(7);
      expect(outcomes.filter((o) => o === 'refund_exceeds_payment')).toHaveLength(9);
      // What is left (20) is still refundable, and then nothing.
      await store.refunds.refund(ecash(shop.id, 'last', 20, { receipt: 99 }), (r) => r);
      await expect(
        store.refunds.refund(ecash(shop.id, 'more', 1, { receipt: 98 }), (r) => r),
      ).rejects.toSatisfy(coded('refund_exceeds_payment'));
      expect(await balance(store, shop.id)).toBe(0);
      for (const fill of [11, 12, 13]) {
        expect((await store.refunds.coinRefund(paid(fill).coinPub))?.refunded).toBe(100);
      }
    });

    it('lets concurrent refunds of one receipt take exactly what it was for', async () => {
      const { store, shop } = await paidShop();
      await openEveryConnection(store);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.refunds
            .refund(ecash(shop.id, `r${i}`, 30, { paid: 100 }), (r) => r)
            .then(
              (r) => r.amount,
              (error: unknown) => code(error),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 30)).toHaveLength(3);
      expect(outcomes.filter((o) => o === 'refund_exceeds_payment')).toHaveLength(5);
      expect(await balance(store, shop.id)).toBe(210);
    });

    it('records the same refund once when it arrives several times at once', async () => {
      const { store, shop } = await paidShop();
      await openEveryConnection(store);
      const records = await Promise.all(
        Array.from({ length: 8 }, () => store.refunds.refund(ecash(shop.id, 'r1', 70), (r) => r)),
      );
      for (const record of records) expect(record).toEqual(records[0]);
      // The same id for other receipts of two deposits at once (so no lock orders them): one
      // wins, the others are told the id is taken.
      await deposit(store, shop.id, `${shop.id}:d2`, [paid(14)]);
      const reused = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          store.refunds
            .refund(
              ecash(shop.id, 'r2', 10 + i, {
                receipt: 20 + i,
                payment: `${shop.id}:d${1 + (i % 2)}`,
              }),
              (r) => r,
            )
            .then(
              () => 'refunded',
              (error: unknown) => code(error),
            ),
        ),
      );
      expect(reused.sort()).toEqual([
        'refund_id_reused',
        'refund_id_reused',
        'refund_id_reused',
        'refunded',
      ]);
      expect(await balance(store, shop.id)).toBeGreaterThanOrEqual(400 - 70 - 13);
      expect(await balance(store, shop.id)).toBeLessThanOrEqual(400 - 70 - 10);
    });

    it('refunds a PayWord payment to the payer, up to what the broker paid the vendor', async () => {
      // The shop holds more than the PayWord payment: only the payment's lock stops a refund.
      const { store, alice, shop } = await paidShop();
      await store.issuePaywordCertificate(paywordCertificate(7, alice.id, 300), (c) => c.serial);
      const commitmentId = paywordClaim(7, 0).commitmentId;
      const payword = (refundId: string, amount: number, receipt = 1): RefundParameters => ({
        ...ecash(shop.id, refundId, amount, { paid: 100, receipt }),
        instrument: 'payword',
        payment: toBase64url(commitmentId),
        commitmentId,
      });
      await expect(store.refunds.refund(payword('p1', 10), (r) => r)).rejects.toSatisfy(
        coded('refund_not_settled'),
      );
      await store.redeemPaywords(
        { vendorId: shop.id, claims: [paywordClaim(7, 5)], now },
        (o) => o,
      );
      expect(await balance(store, shop.id)).toBe(350);
      await expect(store.refunds.refund(payword('p1', 60), (r) => r)).rejects.toSatisfy(
        coded('refund_not_settled'),
      );
      await openEveryConnection(store);
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.refunds
            .refund(payword(`p${i}`, 20, 10 + i), (r) => r)
            .then(
              (r) => r.instrument,
              (error: unknown) => code(error),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 'payword')).toHaveLength(2);
      expect(await balance(store, shop.id)).toBe(310);
      expect(await balance(store, alice.id)).toBe(1_000 - 400 - 300 + 40);
      expect(await store.refunds.coinRefund(commitmentId)).toBeUndefined();
    });

    it('signs fresh coins up to a coin’s refunded credit, once per issuance id, even at once', async () => {
      const { store, shop } = await paidShop();
      await store.refunds.refund(ecash(shop.id, 'r1', 100), (r) => r);
      const coinPub = paid(11).coinPub;
      const refresh = (issuanceId: string, values: number[], hash = 1) =>
        store.refunds.refreshRefundedCoin(
          {
            issuanceId,
            coinPub,
            currency: 'EUR',
            requestHash: new Uint8Array(32).fill(hash),
            coins: values.map((value, i) => ({ ...coin(60 + i, value), value })),
            now,
          },
          (record) => record,
        );
      const first = await refresh('f1', [20, 10]);
      expect(first.total).toBe(30);
      expect(first.coins.map((c) => c.value)).toEqual([20, 10]);
      expect(await refresh('f1', [20, 10])).toEqual(first);
      expect(await store.refunds.getRefundRefresh('f1')).toEqual(first);
      await expect(refresh('f1', [5], 2)).rejects.toSatisfy(coded('issuance_conflict'));
      await openEveryConnection(store);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          refresh(`g${i}`, [30]).then(
            (r) => r.total,
            (error: unknown) => code(error),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 30)).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'refund_nothing_to_refresh')).toHaveLength(6);
      expect(await store.refunds.coinRefund(coinPub)).toMatchObject({
        refunded: 100,
        refreshed: 90,
      });
      expect((await store.getAccountByName('system:coin-refunds'))?.balance).toBe(10);
      expect(await store.checkInvariants()).toMatchObject({ totals: { signed: 490, spent: 300 } });
      expect(await store.refunds.getRefundRefresh('nope')).toBeUndefined();
    });

    it('finds refunds the books do not back', async () => {
      const location = await backend.newDatabase();
      const store = await open(location);
      const { shop } = await funded(store, 1_000, 4);
      await deposit(store, shop.id, `${shop.id}:d1`, [paid(11), paid(12), paid(13)]);
      await store.refunds.refund(ecash(shop.id, 'r1', 100), (r) => r);
      await backend.exec(
        location,
        `UPDATE coin_refunds SET amount = amount + 50;
         UPDATE refunds SET amount = amount + 250, paid = paid + 250`,
      );
      const report = await store.checkInvariants();
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^coins credited back 150 − refreshed 0 ≠ system:coin-refunds 100/),
          expect.stringMatching(/^refund r1: 350 but coins credited 150/),
          expect.stringMatching(/: worth 100, credited back 150, refreshed 0$/),
          expect.stringMatching(/^payment \d+:d1: refunded 350 of 300$/),
        ]),
      );
      await backend.exec(
        location,
        `UPDATE coin_refunds SET amount = amount - 50;
         UPDATE refunds SET amount = amount - 250, paid = paid - 250`,
      );
    });
  },
);
