import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { payableOffer } from '../ui/testing/fixtures.ts';
import type { ConfirmationRequest } from '../wallet/pay/pay.ts';
import { ConfirmationDesk } from './confirmations.ts';

function request(title: string): ConfirmationRequest {
  const offer = payableOffer;
  if (offer.status !== 'payable') throw new Error('expected the payable fixture');
  return {
    reason: 'first_payment_to_site',
    pageOrigin: offer.payee.origin,
    payee: offer.payee,
    title,
    resource: offer.resourceUrl,
    price: offer.price,
    instrument: offer.instrument,
    siteBudgetLeft: offer.siteBudgetLeft,
    dailyBudgetLeft: offer.dailyBudgetLeft,
  };
}

function fakeWindows() {
  const log: string[] = [];
  const windows = {
    open: vi.fn(async (id: string) => {
      log.push(`open ${id}`);
      return 7;
    }),
    show: vi.fn(async (windowId: number, id: string) => {
      log.push(`show ${windowId} ${id}`);
    }),
    close: vi.fn(async (windowId: number) => {
      log.push(`close ${windowId}`);
    }),
  };
  return { windows, log };
}

/** The id of the question the window shows now (its last open or show). */
function shownId(log: readonly string[]): string {
  const last = [...log]
    .reverse()
    .find((line) => line.startsWith('open') || line.startsWith('show'));
  return last!.split(' ').at(-1)!;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('the confirmation window', () => {
  it('asks ten quick clicks one after the other in one window, each with its own answer', async () => {
    const { windows, log } = fakeWindows();
    const desk = new ConfirmationDesk(windows, () => Date.now());
    const answers = Array.from({ length: 10 }, (_, i) => desk.confirm(request(`article ${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(windows.open).toHaveBeenCalledOnce();
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const id = shownId(log);
      const view = desk.get(id);
      seen.push(view.title);
      expect(view.waiting).toBe(9 - i);
      const answer = desk.answer(id, i % 2 === 0);
      expect(answer.waiting).toBe(9 - i);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `article ${i}`));
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 10 }, (_, i) => i % 2 === 0));
    expect(windows.open).toHaveBeenCalledOnce();
    expect(windows.show).toHaveBeenCalledTimes(9);
    expect(windows.close).toHaveBeenCalledOnce();
    expect(desk.size).toBe(0);
  });

  it('never lets a waiting question be read or answered before its turn', async () => {
    const { windows, log } = fakeWindows();
    const desk = new ConfirmationDesk(windows, () => Date.now());
    const first = desk.confirm(request('first'));
    void desk.confirm(request('second'));
    await vi.advanceTimersByTimeAsync(0);
    const shown = shownId(log);
    expect(desk.get(shown).title).toBe('first');
    // Guessing is hopeless (random UUIDs), but even a known waiting id is refused.
    expect(() => desk.answer('not-shown', true)).toThrow(
      expect.objectContaining({ code: 'confirmation_pending' }),
    );
    desk.answer(shown, true);
    expect(await first).toBe(true);
  });

  it('declines what it shows and everything waiting when the user closes the window', async () => {
    const { windows } = fakeWindows();
    const desk = new ConfirmationDesk(windows, () => Date.now());
    const answers = [
      desk.confirm(request('a')),
      desk.confirm(request('b')),
      desk.confirm(request('c')),
    ];
    await vi.advanceTimersByTimeAsync(0);
    desk.windowClosed(7);
    expect(await Promise.all(answers)).toEqual([false, false, false]);
    expect(desk.size).toBe(0);
  });

  it('runs each question’s time from when it is shown, and moves on when it runs out', async () => {
    const { windows, log } = fakeWindows();
    const desk = new ConfirmationDesk(windows, () => Date.now(), 1_000);
    const first = desk.confirm(request('a'));
    const second = desk.confirm(request('b'));
    await vi.advanceTimersByTimeAsync(900);
    await vi.advanceTimersByTimeAsync(200);
    expect(await first).toBe(false);
    // The second has its own full second from when it was shown (at 1,000 ms): at 1,900 ms
    // it is still open, though it was asked 1,900 ms ago.
    await vi.advanceTimersByTimeAsync(800);
    const id = shownId(log);
    expect(desk.get(id).title).toBe('b');
    desk.answer(id, true);
    expect(await second).toBe(true);
  });

  it('opens a new window for a click after the last one closed', async () => {
    const { windows } = fakeWindows();
    const desk = new ConfirmationDesk(windows, () => Date.now());
    const first = desk.confirm(request('a'));
    await vi.advanceTimersByTimeAsync(0);
    desk.answer(windows.open.mock.calls[0]![0], false);
    expect(await first).toBe(false);
    void desk.confirm(request('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(windows.open).toHaveBeenCalledTimes(2);
  });
});
