/**
 * The trusted confirmation window (DESIGN.md "Priced link", step 3): an extension page the
 * background opens as a popup window. `offer.pay` waits here for `confirmation.answer` from
 * that page, for at most `timeoutMs` from when its question is shown; closing the window or the
 * timeout declines.
 *
 * One window at a time. Questions that come while one is shown wait in a queue and are shown
 * in the same window, one after the other, each with its own Confirm: ten quick clicks make one
 * window that asks ten times, never ten windows inviting blind confirming, and none is paid
 * without its own yes. Closing the window declines what it shows and everything waiting.
 */
import type { ConfirmationView } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';
import type { ConfirmationRequest } from '../wallet/pay/pay.ts';

export const confirmationTimeoutMs = 120_000;

export interface ConfirmationWindows {
  /** Opens `extension/src/pages/confirm/index.html?id=…`; resolves with the window id. */
  open(id: string): Promise<number | undefined>;
  /** Shows the question `id` in the open window instead of the one it shows. */
  show(windowId: number, id: string): Promise<void>;
  close(windowId: number): Promise<void>;
}

interface Pending {
  readonly id: string;
  readonly request: ConfirmationRequest;
  readonly resolve: (accepted: boolean) => void;
  /** Set when the question is shown: its deadline runs from then. */
  expiresAt: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class ConfirmationDesk {
  readonly #windows: ConfirmationWindows;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  /** The question shown first, then those waiting, in the order they came. */
  readonly #queue: Pending[] = [];
  /** The window, once open; `opening` while the browser makes it. */
  #window: number | 'opening' | undefined;

  constructor(windows: ConfirmationWindows, now: () => number, timeoutMs = confirmationTimeoutMs) {
    this.#windows = windows;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  /** Asks the user (now, or after the questions before it); false on timeout or close. */
  confirm(request: ConfirmationRequest): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const pending: Pending = {
        id: crypto.randomUUID(),
        request,
        resolve,
        expiresAt: undefined,
        timer: undefined,
      };
      this.#queue.push(pending);
      if (this.#queue.length === 1) this.#present();
    });
  }

  /** Open questions: the one shown first. */
  get size(): number {
    return this.#queue.length;
  }

  get(id: string): ConfirmationView {
    const index = this.#queue.findIndex((pending) => pending.id === id);
    const pending = this.#queue[index];
    // Only the question on show can be read (and answered): a page that learned a waiting id
    // cannot skip the queue.
    if (index !== 0 || pending === undefined || pending.expiresAt === undefined) {
      throw new WalletFailure('confirmation_pending', 'This confirmation is no longer open.');
    }
    return {
      ...pending.request,
      id: pending.id,
      expiresAt: pending.expiresAt,
      waiting: this.#queue.length - 1,
    };
  }

  answer(id: string, accepted: boolean): { readonly accepted: boolean; readonly waiting: number } {
    this.get(id);
    this.#settle(id, accepted);
    return { accepted, waiting: this.#queue.length };
  }

  /** The window was closed: what it showed and everything waiting is declined. */
  windowClosed(windowId: number): void {
    if (this.#window !== windowId) return;
    this.#window = undefined;
    for (const pending of this.#queue.splice(0)) this.#finish(pending, false);
  }

  /** Shows the head of the queue: in the open window, or in a new one. */
  #present(): void {
    const head = this.#queue[0];
    if (head === undefined) return;
    head.expiresAt = this.#now() + this.#timeoutMs;
    head.timer = setTimeout(() => this.#settle(head.id, false), this.#timeoutMs);
    const window = this.#window;
    if (typeof window === 'number') {
      this.#windows.show(window, head.id).catch(() => this.#reopen(window));
      return;
    }
    if (window === 'opening') return;
    this.#window = 'opening';
    this.#windows.open(head.id).then(
      (opened) => {
        this.#window = opened;
        // The question shown may have been answered (timed out) while the window opened.
        const first = this.#queue[0];
        if (opened === undefined) return;
        if (first === undefined) void this.#windows.close(opened).catch(() => undefined);
        else if (first !== head) this.#windows.show(opened, first.id).catch(() => undefined);
      },
      () => {
        this.#window = undefined;
        for (const pending of this.#queue.splice(0)) this.#finish(pending, false);
      },
    );
  }

  /** The window could not be shown another question (the user closed it meanwhile). */
  #reopen(windowId: number): void {
    if (this.#window !== windowId) return;
    this.#window = undefined;
    const head = this.#queue[0];
    if (head === undefined) return;
    clearTimeout(head.timer);
    this.#present();
  }

  #settle(id: string, accepted: boolean): void {
    const index = this.#queue.findIndex((pending) => pending.id === id);
    if (index === -1) return;
    const [pending] = this.#queue.splice(index, 1);
    this.#finish(pending!, accepted);
    if (index !== 0) return;
    if (this.#queue.length > 0) {
      this.#present();
      return;
    }
    const window = this.#window;
    if (typeof window === 'number') {
      this.#window = undefined;
      void this.#windows.close(window).catch(() => undefined);
    }
  }

  #finish(pending: Pending, accepted: boolean): void {
    clearTimeout(pending.timer);
    pending.resolve(accepted);
  }
}
