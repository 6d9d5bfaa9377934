import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { WalletContext } from '../context.ts';
import { openWalletDb, type PaymentRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { openSealer } from '../keys.ts';
import {
  checkDelivery,
  listDeliveries,
  notDeliveredAfterMs,
  noteUndeliveredPayment,
  paidPageWindowMs,
  reportFailedPage,
} from './delivery.ts';

const start = 1_800_000_000_000;

/** A wallet on fake-indexeddb whose merchant answers `status.now` to every page fetch. */
async function openWallet() {
  const db = await openWalletDb(`delivery-${Math.random()}`);
  const clock = { now: start };
  const status = { now: 503 as number | 'down' };
  const fetched: { url: string; credentials: RequestCredentials | undefined }[] = [];
  const ctx: WalletContext = {
    db,
    sealer: await openSealer(db),
    platform: {
      now: () => clock.now,
      async fetch(url, init) {
        fetched.push({ url, credentials: init.credentials });
        if (status.now === 'down') throw new TypeError('connection refused');
        return new Response('page', { status: status.now });
      },
    },
  };
  return { ctx, clock, status, fetched };
}

function payment(overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    coins: [],
    payerCode: new Uint8Array(32),
    id: `pay-${Math.random()}`,
    offerHash: 'hash',
    offerToken: 'token',
    origin: 'https://shop.example',
    resource: '/articles/7',
    navigateTo: 'https://shop.example/articles/7',
    title: 'Article 7',
    merchantId: 'shop',
    merchantName: 'Shop',
    offerPublicKey: new Uint8Array(32),
    payEndpoint: 'https://shop.example/.well-known/farthing/pay',
    bankUrl: 'https://bank.example',
    instrument: 'ecash',
    price: { currency: 'EUR', minor: 12 },
    status: 'confirmed',
    taskId: 'task',
    createdAt: start,
    credential: '{}',
    receiptId: 'receipt',
    ...overrides,
  } as PaymentRecord;
}

const noReload = async () => {};

describe('a paid page that failed', () => {
  it('is taken for the payment whose page it is, fragment or not, and no other page', async () => {
    const { ctx } = await openWallet();
    const paid = payment();
    await ctx.db.put('payments', paid);
    await ctx.db.put(
      'payments',
      payment({ navigateTo: 'https://shop.example/articles/8', status: 'sent' }),
    );
    expect(await reportFailedPage(ctx, 'https://shop.example/articles/8', 503, noReload)).toBe(
      false,
    );
    expect(await reportFailedPage(ctx, 'https://shop.example/about', 503, noReload)).toBe(false);
    expect(await reportFailedPage(ctx, 'https://shop.example/articles/7#end', 502, noReload)).toBe(
      true,
    );
    expect(await ctx.db.get('deliveries', paid.id)).toMatchObject({
      what: 'content',
      status: 'retrying',
      url: paid.navigateTo,
      firstFailureAt: start,
      lastStatus: 502,
    });
  });

  it('waits for a payment still sent, as a page that went at the click comes before it is confirmed', async () => {
    const { ctx } = await openWallet();
    const sending = payment({ status: 'sent' });
    await ctx.db.put('payments', sending);
    setTimeout(() => void ctx.db.put('payments', { ...sending, status: 'confirmed' }), 100);
    expect(await reportFailedPage(ctx, 'https://shop.example/articles/7', 502, noReload)).toBe(
      true,
    );
    expect(await ctx.db.get('deliveries', sending.id)).toMatchObject({ status: 'retrying' });
  });

  it('is not taken for a payment older than the window', async () => {
    const { ctx, clock } = await openWallet();
    await ctx.db.put('payments', payment());
    clock.now = start + paidPageWindowMs + 1;
    expect(await reportFailedPage(ctx, 'https://shop.example/articles/7', 503, noReload)).toBe(
      false,
    );
  });

  it('is fetched again with the grant, and counts as not delivered only after the stated time', async () => {
    const { ctx, clock, status, fetched } = await openWallet();
    const paid = payment();
    await ctx.db.put('payments', paid);
    await reportFailedPage(ctx, paid.navigateTo, 503, noReload);
    clock.now = start + notDeliveredAfterMs - 1;
    status.now = 'down';
    expect(await checkDelivery(ctx, paid.id)).toMatchObject({
      status: 'retrying',
      lastStatus: null,
    });
    expect(fetched.at(-1)).toEqual({ url: paid.navigateTo, credentials: 'include' });
    clock.now = start + notDeliveredAfterMs;
    status.now = 500;
    expect(await checkDelivery(ctx, paid.id)).toMatchObject({
      status: 'not_delivered',
      checks: 2,
      lastStatus: 500,
    });
    // Settled: a later answer changes nothing, and it is listed for the user.
    status.now = 200;
    expect(await checkDelivery(ctx, paid.id)).toMatchObject({ status: 'not_delivered' });
    expect(await listDeliveries(ctx)).toMatchObject([
      { paymentId: paid.id, status: 'not_delivered', notDeliveredAt: start + notDeliveredAfterMs },
    ]);
  });

  it('is delivered once the page answers, and drops out of the list', async () => {
    const { ctx, status } = await openWallet();
    const paid = payment();
    await ctx.db.put('payments', paid);
    await reportFailedPage(ctx, paid.navigateTo, 503, noReload);
    status.now = 200;
    expect(await checkDelivery(ctx, paid.id)).toMatchObject({ status: 'delivered' });
    expect(await listDeliveries(ctx)).toEqual([]);
    // A page that fails again later is not retried: its content arrived once.
    expect(await reportFailedPage(ctx, paid.navigateTo, 503, noReload)).toBe(true);
    expect(await ctx.db.get('deliveries', paid.id)).toMatchObject({ status: 'delivered' });
  });
});

describe('a pay endpoint that failed after the credential left', () => {
  const lost = new WalletFailure('merchant_refused', 'The merchant refused: HTTP 502', {
    detail: { status: 502, transient: true },
  });

  it('starts the clock at the first failure and keeps it over the resends', async () => {
    const { ctx, clock } = await openWallet();
    const sent = payment({ status: 'sent' });
    await ctx.db.put('payments', sent);
    await noteUndeliveredPayment(ctx, sent, lost);
    clock.now = start + 60_000;
    await noteUndeliveredPayment(ctx, sent, lost);
    expect(await ctx.db.get('deliveries', sent.id)).toMatchObject({
      what: 'payment',
      status: 'retrying',
      firstFailureAt: start,
      checks: 1,
      lastStatus: 502,
    });
    clock.now = start + notDeliveredAfterMs;
    await noteUndeliveredPayment(ctx, sent, lost);
    expect(await ctx.db.get('deliveries', sent.id)).toMatchObject({ status: 'not_delivered' });
  });

  it('is delivered when the resend is confirmed, and forgotten when the merchant refused it', async () => {
    const { ctx } = await openWallet();
    const sent = payment({ status: 'sent' });
    const refused = payment({ status: 'sent' });
    await ctx.db.put('payments', sent);
    await ctx.db.put('payments', refused);
    await noteUndeliveredPayment(ctx, sent, lost);
    await noteUndeliveredPayment(ctx, refused, lost);
    expect(await checkDelivery(ctx, sent.id)).toMatchObject({ status: 'retrying' });
    await ctx.db.put('payments', { ...sent, status: 'confirmed' });
    await ctx.db.put('payments', { ...refused, status: 'failed' });
    expect(await checkDelivery(ctx, sent.id)).toMatchObject({ status: 'delivered' });
    expect(await checkDelivery(ctx, refused.id)).toBeUndefined();
    expect(await ctx.db.get('deliveries', refused.id)).toBeUndefined();
  });
});
