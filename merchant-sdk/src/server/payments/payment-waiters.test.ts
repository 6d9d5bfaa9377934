import { describe, expect, it } from 'vitest';
import { PaymentWaiters } from './payment-waiters.ts';

const stored = {
  status: 'stored',
  payment: { resource: '/articles/7', grantToken: 'token', grantExpiresAt: 1 },
} as const;

describe('payment waiters', () => {
  it('tells every request waiting for an id, once, and forgets them', async () => {
    const waiters = new PaymentWaiters();
    const a = waiters.watch('id')!;
    const b = waiters.watch('id')!;
    const other = waiters.watch('other')!;
    expect([waiters.size, waiters.waiting]).toEqual([2, 3]);
    waiters.settle('id', stored);
    expect(await a.outcome).toBe(stored);
    expect(await b.outcome).toBe(stored);
    expect([waiters.size, waiters.waiting]).toEqual([1, 1]);
    a.close();
    b.close(); // closing a settled watch changes nothing
    expect(waiters.waiting).toBe(1);
    other.close();
    other.close();
    expect([waiters.size, waiters.waiting]).toEqual([0, 0]);
  });

  it('tells a refusal as it tells a stored payment', async () => {
    const waiters = new PaymentWaiters();
    const watch = waiters.watch('id')!;
    const error = new Error('refused');
    waiters.settle('id', { status: 'refused', error });
    expect(await watch.outcome).toEqual({ status: 'refused', error });
  });

  it('does not tell a request that stopped waiting', async () => {
    const waiters = new PaymentWaiters();
    const gone = waiters.watch('id')!;
    const staying = waiters.watch('id')!;
    gone.close();
    expect(waiters.waiting).toBe(1);
    waiters.settle('id', stored);
    expect(await staying.outcome).toBe(stored);
    const told = await Promise.race([gone.outcome, Promise.resolve('not told')]);
    expect(told).toBe('not told');
    expect([waiters.size, waiters.waiting]).toEqual([0, 0]);
  });

  it('lets at most maxWaiting requests wait, and frees a place when one stops', () => {
    const waiters = new PaymentWaiters({ maxWaiting: 2 });
    const first = waiters.watch('a')!;
    expect(waiters.watch('b')).toBeDefined();
    expect(waiters.watch('c')).toBeUndefined();
    first.close();
    expect(waiters.watch('c')).toBeDefined();
    waiters.settle('b', stored);
    expect(waiters.watch('d')).toBeDefined();
    expect(waiters.watch('e')).toBeUndefined();
  });

  it('waits 2,000 ms by default, as many as 1,024 requests', () => {
    const waiters = new PaymentWaiters();
    expect(waiters.waitMs).toBe(2_000);
    for (let i = 0; i < 1024; i++) expect(waiters.watch(`id${i}`)).toBeDefined();
    expect(waiters.watch('one more')).toBeUndefined();
  });
});
