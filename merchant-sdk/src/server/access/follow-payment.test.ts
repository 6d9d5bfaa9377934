import { newNavigationId } from '@farthing/protocol/http/paying-navigation';
import { describe, expect, it } from 'vitest';
import { type PaymentOutcome, PaymentWaiters } from '../payments/payment-waiters.ts';
import { followNavigation } from './follow-payment.ts';

const stored: PaymentOutcome = {
  status: 'stored',
  payment: { resource: '/articles/7', grantToken: 'grant', grantExpiresAt: 2 },
};

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

describe('following a navigation', () => {
  it('finds an outcome told before the request without waiting', async () => {
    const id = newNavigationId();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    waiters.tell(id, stored);
    const { value, ms } = await timed(() => followNavigation(waiters, id));
    expect(value).toBe(stored);
    expect(ms).toBeLessThan(100);
    expect(waiters.waiting).toBe(0);
  });

  it('is told at once when this process decides the payment', async () => {
    const id = newNavigationId();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const followed = timed(() => followNavigation(waiters, id));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(waiters.waiting).toBe(1);
    waiters.tell(id, stored);
    const { value, ms } = await followed;
    expect(value).toBe(stored);
    expect(ms).toBeLessThan(1_000);
    expect(waiters.waiting).toBe(0);
  });

  it('answers a refusal at once, not after the wait', async () => {
    const id = newNavigationId();
    const waiters = new PaymentWaiters({ waitMs: 5_000 });
    const followed = timed(() => followNavigation(waiters, id));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const error = new Error('refused');
    waiters.tell(id, { status: 'refused', error });
    const { value, ms } = await followed;
    expect(value).toEqual({ status: 'refused', error });
    expect(ms).toBeLessThan(1_000);
    expect(waiters.waiting).toBe(0);
  });

  it('is not told by an outcome for another id', async () => {
    const id = newNavigationId();
    const waiters = new PaymentWaiters({ waitMs: 200 });
    const followed = timed(() => followNavigation(waiters, id));
    waiters.tell(newNavigationId(), stored);
    const { value, ms } = await followed;
    expect(value).toEqual({ status: 'missing' });
    expect(ms).toBeGreaterThanOrEqual(195);
  });

  it('gives up after the wait, and stops waiting', async () => {
    const waiters = new PaymentWaiters({ waitMs: 150 });
    const { value, ms } = await timed(() => followNavigation(waiters, newNavigationId()));
    expect(value).toEqual({ status: 'missing' });
    expect(ms).toBeGreaterThanOrEqual(145);
    expect(waiters.waiting).toBe(0);
  });

  it('does not wait when too many requests wait already', async () => {
    const waiters = new PaymentWaiters({ waitMs: 5_000, maxWaiting: 1 });
    const other = newNavigationId();
    const first = followNavigation(waiters, other);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const { value, ms } = await timed(() => followNavigation(waiters, newNavigationId()));
    expect(value).toEqual({ status: 'missing' });
    expect(ms).toBeLessThan(100);
    waiters.tell(other, { status: 'refused', error: new Error('x') });
    expect((await first).status).toBe('refused');
  });

  it('does not wait at all when the wait is 0 ms', async () => {
    const waiters = new PaymentWaiters({ waitMs: 0 });
    expect(await followNavigation(waiters, newNavigationId())).toEqual({ status: 'missing' });
    expect(waiters.waiting).toBe(0);
  });
});
