import { toBase64url } from '@farthing/protocol/encoding';
import { describe, expect, it } from 'vitest';
import { MemoryMerchantStore } from '../../store/memory.ts';
import type { PaymentRecord } from '../../store/store.ts';
import { PaymentWaiters } from '../payments/payment-waiters.ts';
import {
  clearPayingCookie,
  followPayment,
  type PayingCookie,
  payingCookieOf,
} from './follow-payment.ts';

const id = new Uint8Array(32).fill(0xab);
const idText = toBase64url(id);

function withCookie(cookie: string): Request {
  return new Request('https://shop.example/articles/7', { headers: { cookie } });
}

function payment(credentialId: Uint8Array): PaymentRecord {
  return {
    credentialId,
    instrument: 'ecash',
    offerHash: new Uint8Array(32),
    resource: '/articles/7',
    amount: { currency: 'EUR', minor: 5 },
    paidAt: 1,
    unsignedReceipt: '{}',
    grantToken: 'grant',
    grantExpiresAt: 2,
  };
}

const paying: PayingCookie = { name: '__Host-farthing-paying', credentialId: id, text: idText };

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

describe('the paying cookie', () => {
  it('names a credential id under either spelling of its name', () => {
    for (const name of ['farthing-paying', '__Host-farthing-paying']) {
      const found = payingCookieOf(withCookie(`theme=dark; ${name}=${idText}; x=1`));
      expect(found).toEqual({ name, credentialId: id, text: idText });
    }
  });

  it('is no paying cookie unless it is 32 bytes of canonical base64url', () => {
    const values = [
      '',
      idText.slice(0, -1),
      `${idText}A`,
      `${idText}=`,
      `${idText.slice(0, -1)}B`, // low bits set: not canonical
      `${idText.slice(0, -1)}+`,
      toBase64url(new Uint8Array(33)),
    ];
    for (const value of values) {
      expect(payingCookieOf(withCookie(`farthing-paying=${value}`))).toBeUndefined();
    }
    expect(payingCookieOf(withCookie(`other-farthing-paying=${idText}`))).toBeUndefined();
    expect(payingCookieOf(new Request('https://shop.example/'))).toBeUndefined();
  });

  it('is cleared with the attributes it was set with', () => {
    expect(clearPayingCookie('__Host-farthing-paying', false)).toBe(
      '__Host-farthing-paying=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure',
    );
    expect(clearPayingCookie('farthing-paying', false)).toBe(
      'farthing-paying=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    );
  });
});

describe('following a payment', () => {
  it('finds a payment stored before the request without waiting', async () => {
    const store = new MemoryMerchantStore();
    await store.recordEcashPayment(payment(id));
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const { value } = await timed(() => followPayment(waiters, store, paying));
    expect(value).toMatchObject({ status: 'stored', payment: { grantToken: 'grant' } });
    expect(waiters.waiting).toBe(0);
  });

  it('is told at once when this process stores the payment', async () => {
    const store = new MemoryMerchantStore();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const followed = timed(() => followPayment(waiters, store, paying));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(waiters.waiting).toBe(1);
    waiters.settle(idText, { status: 'stored', payment: payment(id) });
    const { value, ms } = await followed;
    expect(value.status).toBe('stored');
    expect(ms).toBeLessThan(1_000);
    expect([waiters.size, waiters.waiting]).toEqual([0, 0]);
  });

  it('answers a refusal at once, not after the wait', async () => {
    const store = new MemoryMerchantStore();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const followed = timed(() => followPayment(waiters, store, paying));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const error = new Error('refused');
    waiters.settle(idText, { status: 'refused', error });
    const { value, ms } = await followed;
    expect(value).toEqual({ status: 'refused', error });
    expect(ms).toBeLessThan(1_000);
    expect(waiters.waiting).toBe(0);
  });

  it('finds by polling a payment another process stores in the shared store', async () => {
    const store = new MemoryMerchantStore();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const followed = timed(() => followPayment(waiters, store, paying));
    setTimeout(() => void store.recordEcashPayment(payment(id)), 60);
    const { value, ms } = await followed;
    expect(value.status).toBe('stored');
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThan(1_000);
    expect(waiters.waiting).toBe(0);
  });

  it('gives up after the wait, and stops waiting', async () => {
    const waiters = new PaymentWaiters({ waitMs: 150 });
    const { value, ms } = await timed(() =>
      followPayment(waiters, new MemoryMerchantStore(), paying),
    );
    expect(value).toEqual({ status: 'missing' });
    expect(ms).toBeGreaterThanOrEqual(145);
    expect([waiters.size, waiters.waiting]).toEqual([0, 0]);
  });

  it('does not wait when too many requests wait already', async () => {
    const waiters = new PaymentWaiters({ waitMs: 5_000, maxWaiting: 1 });
    const store = new MemoryMerchantStore();
    const other: PayingCookie = {
      ...paying,
      credentialId: new Uint8Array(32),
      text: toBase64url(new Uint8Array(32)),
    };
    const first = followPayment(waiters, store, other);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const { value, ms } = await timed(() => followPayment(waiters, store, paying));
    expect(value).toEqual({ status: 'missing' });
    expect(ms).toBeLessThan(100);
    waiters.settle(other.text, { status: 'refused', error: new Error('x') });
    expect((await first).status).toBe('refused');
  });
});
