import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CardPurchaseStore, cardInitiationLifetimeMs } from './card-store.ts';

const dirs: string[] = [];
function openStore(): { store: CardPurchaseStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-card-store-'));
  dirs.push(dir);
  const path = join(dir, 'card.sqlite');
  return { store: new CardPurchaseStore(path), path };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('card purchase store', () => {
  it('keeps a purchase from initiation through payment and credits across a reopen', () => {
    const { store, path } = openStore();
    store.initiate({
      transactionId: 'set-1',
      currency: 'EUR',
      amount: 1_00,
      orderDigest: new Uint8Array(32).fill(1),
      description: 'one mug',
      now: 1,
    });
    expect(store.get('set-1')).toMatchObject({ status: 'initiated', receiptId: undefined });
    store.recordPayment({
      transactionId: 'set-1',
      status: 'authorized',
      purchaseRequest: '{}',
      cardholderKey: new Uint8Array(32).fill(2),
      captured: 0,
      receiptId: 'rcpt-1',
      now: 2,
    });
    expect(store.withStatus('authorized', 10).map((r) => r.transactionId)).toEqual(['set-1']);
    store.recordMoney({
      transactionId: 'set-1',
      status: 'captured',
      captured: 1_00,
      credited: 40,
      now: 3,
    });
    store.close();
    const reopened = new CardPurchaseStore(path);
    expect(reopened.get('set-1')).toMatchObject({
      status: 'captured',
      captured: 1_00,
      credited: 40,
      receiptId: 'rcpt-1',
      cardholderKey: new Uint8Array(32).fill(2),
      updatedAt: 3,
    });
    expect(reopened.withStatus('authorized', 10)).toEqual([]);
    reopened.close();
  });

  it('refuses the same transaction id twice', () => {
    const { store } = openStore();
    const purchase = {
      transactionId: 'set-2',
      currency: 'EUR',
      amount: 1,
      orderDigest: new Uint8Array(32),
      description: 'x',
      now: 1,
    };
    store.initiate(purchase);
    expect(() => store.initiate(purchase)).toThrow(/UNIQUE|PRIMARY KEY/);
    store.close();
  });

  it('records a capture once: only the update that finds the purchase authorized moves it', () => {
    const { store, path } = openStore();
    // A second connection to the same file, as a second shop process has.
    const other = new CardPurchaseStore(path);
    store.initiate({
      transactionId: 'set-3',
      currency: 'EUR',
      amount: 3_00,
      orderDigest: new Uint8Array(32),
      description: 'a print',
      now: 1,
    });
    const capture = { transactionId: 'set-3', captured: 3_00, credited: 0 } as const;
    // Not yet authorized: nothing to capture.
    expect(store.recordCapture({ ...capture, status: 'captured', now: 2 })).toBe(false);
    store.recordPayment({
      transactionId: 'set-3',
      status: 'authorized',
      purchaseRequest: '{}',
      cardholderKey: new Uint8Array(32),
      captured: 0,
      receiptId: 'rcpt-3',
      now: 3,
    });
    expect(other.recordCapture({ ...capture, status: 'captured', now: 4 })).toBe(true);
    expect(store.recordCapture({ ...capture, status: 'captured', now: 5 })).toBe(false);
    expect(store.get('set-3')).toMatchObject({ status: 'captured', captured: 3_00, updatedAt: 4 });
    other.close();
    store.close();
  });

  it('keeps the file bounded when orders are started and never paid, and keeps paid ones', () => {
    const { store } = openStore();
    const start = (id: string, now: number) =>
      store.initiate({
        transactionId: id,
        currency: 'EUR',
        amount: 5,
        orderDigest: new Uint8Array(32).fill(3),
        description: 'a print',
        now,
      });
    start('set-paid', 0);
    store.recordPayment({
      transactionId: 'set-paid',
      status: 'authorized',
      purchaseRequest: '{}',
      cardholderKey: new Uint8Array(32).fill(2),
      captured: 0,
      receiptId: 'rcpt-paid',
      now: 1,
    });
    // One unpaid checkout a minute for two days.
    const minute = 60_000;
    for (let i = 0; i < 2 * 24 * 60; i += 1) start(`set-${i}`, i * minute);
    const alive = cardInitiationLifetimeMs / minute;
    expect(store.count()).toBeLessThanOrEqual(alive + 3);
    expect(store.get('set-paid')?.status).toBe('authorized');
    expect(store.get(`set-${2 * 24 * 60 - 1}`)?.status).toBe('initiated');
  });
});
