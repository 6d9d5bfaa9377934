import { describe, expect, it } from 'vitest';
import { PaymentWaiters } from './payment-waiters.ts';

const stored = {
  status: 'stored',
  payment: { resource: '/articles/7', grantToken: 'token', grantExpiresAt: 1 },
} as const;

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; ms: number } {
  const clock = { ms: 0, now: () => clock.ms };
  return clock;
}

describe('payment waiters', () => {
  it('serves one request per id: the first waiting gets the payment, others the 402', async () => {
    const waiters = new PaymentWaiters();
    const a = waiters.watch('id')!;
    const b = waiters.watch('id')!;
    const other = waiters.watch('other')!;
    expect(waiters.waiting).toBe(3);
    waiters.tell('id', stored);
    expect(await a.outcome).toBe(stored);
    expect(await b.outcome).toEqual({ status: 'refused', error: undefined });
    // Taken by the request it served: nothing kept for a later one.
    expect(waiters.told('id')).toBeUndefined();
    expect(waiters.waiting).toBe(1);
    a.close();
    b.close(); // closing a told watch changes nothing
    expect(waiters.waiting).toBe(1);
    other.close();
    other.close();
    expect(waiters.waiting).toBe(0);
  });

  it('lets one request take a kept payment; a refusal stays for the next', () => {
    const waiters = new PaymentWaiters();
    waiters.tell('paid', stored);
    expect(waiters.take('paid')).toBe(stored);
    expect(waiters.take('paid')).toBeUndefined();
    const refused = { status: 'refused', error: new Error('no') } as const;
    waiters.tell('refused', refused);
    expect(waiters.take('refused')).toBe(refused);
    expect(waiters.take('refused')).toBe(refused);
  });

  it('tells a refusal as it tells a stored payment', async () => {
    const waiters = new PaymentWaiters();
    const watch = waiters.watch('id')!;
    const error = new Error('refused');
    waiters.tell('id', { status: 'refused', error });
    expect(await watch.outcome).toEqual({ status: 'refused', error });
    expect(waiters.told('id')).toEqual({ status: 'refused', error });
  });

  it('does not tell a request that stopped waiting', async () => {
    const waiters = new PaymentWaiters();
    const gone = waiters.watch('id')!;
    const staying = waiters.watch('id')!;
    gone.close();
    expect(waiters.waiting).toBe(1);
    waiters.tell('id', stored);
    expect(await staying.outcome).toBe(stored);
    const told = await Promise.race([gone.outcome, Promise.resolve('not told')]);
    expect(told).toBe('not told');
    expect(waiters.waiting).toBe(0);
  });

  it('keeps a told outcome for a request that comes after it, for keptMs', () => {
    const clock = manualClock();
    const waiters = new PaymentWaiters({ keptMs: 10_000, now: clock.now });
    expect(waiters.told('id')).toBeUndefined();
    waiters.tell('id', stored);
    expect(waiters.told('id')).toBe(stored);
    expect(waiters.told('other')).toBeUndefined();
    clock.ms = 9_999;
    expect(waiters.told('id')).toBe(stored);
    expect(waiters.kept).toBe(1);
    clock.ms = 10_000;
    expect(waiters.told('id')).toBeUndefined();
    expect(waiters.kept).toBe(0);
  });

  it('drops expired outcomes when it is told a new one', () => {
    const clock = manualClock();
    const waiters = new PaymentWaiters({ keptMs: 100, now: clock.now });
    waiters.tell('a', stored);
    clock.ms = 50;
    waiters.tell('b', stored);
    clock.ms = 120;
    waiters.tell('c', stored);
    expect([waiters.told('a'), waiters.told('b'), waiters.told('c')]).toEqual([
      undefined,
      stored,
      stored,
    ]);
    expect(waiters.kept).toBe(2);
  });

  it('keeps at most maxKept outcomes, dropping the oldest', () => {
    const waiters = new PaymentWaiters({ maxKept: 3 });
    for (const id of ['a', 'b', 'c']) waiters.tell(id, stored);
    waiters.tell('a', stored); // told again: now the newest
    waiters.tell('d', stored);
    expect(waiters.kept).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => waiters.told(id) !== undefined)).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('keeps 4,096 outcomes for 10 s by default', () => {
    const clock = manualClock();
    const waiters = new PaymentWaiters({ now: clock.now });
    for (let i = 0; i <= 4096; i++) waiters.tell(`id${i}`, stored);
    expect(waiters.kept).toBe(4096);
    expect(waiters.told('id0')).toBeUndefined();
    expect(waiters.told('id1')).toBe(stored);
    clock.ms = 9_999;
    expect(waiters.told('id4096')).toBe(stored);
    clock.ms = 10_000;
    expect(waiters.kept).toBe(0);
  });

  it('keeps refusals apart, so a flood of them cannot push out stored payments', () => {
    const waiters = new PaymentWaiters({ maxKept: 8 });
    for (const id of ['a', 'b', 'c']) waiters.tell(id, stored);
    const refused = { status: 'refused', error: new Error('no') } as const;
    for (let i = 0; i < 100; i++) waiters.tell(`junk${i}`, refused);
    expect(['a', 'b', 'c'].map((id) => waiters.told(id))).toEqual([stored, stored, stored]);
    // A quarter of maxKept refusals, the newest.
    expect(waiters.kept).toBe(3 + 2);
    expect(waiters.told('junk99')).toBe(refused);
    expect(waiters.told('junk97')).toBeUndefined();
  });

  it('does not let a later refusal take back a stored payment', () => {
    const waiters = new PaymentWaiters();
    waiters.tell('id', stored);
    waiters.tell('id', { status: 'refused', error: new Error('stray') });
    expect(waiters.told('id')).toBe(stored);
    // A refusal is replaced by a payment stored after it (the wallet sent it again).
    const error = new Error('refused');
    waiters.tell('other', { status: 'refused', error });
    waiters.tell('other', stored);
    expect(waiters.told('other')).toBe(stored);
  });

  it('lets at most maxWaiting requests wait, and frees a place when one stops', () => {
    const waiters = new PaymentWaiters({ maxWaiting: 2 });
    const first = waiters.watch('a')!;
    expect(waiters.watch('b')).toBeDefined();
    expect(waiters.watch('c')).toBeUndefined();
    first.close();
    expect(waiters.watch('c')).toBeDefined();
    waiters.tell('b', stored);
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
