/**
 * The trusted confirmation window (DESIGN.md "Priced link", step 3): an extension page the
 * background opens as a popup window. `offer.pay` waits here for `confirmation.answer` from
 * that page, for at most `timeoutMs`; closing the window or the timeout declines.
 */
import type { ConfirmationView } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';
import type { ConfirmationRequest } from '../wallet/pay/pay.ts';

export const confirmationTimeoutMs = 120_000;

export interface ConfirmationWindows {
  /** Opens `extension/src/pages/confirm/index.html?id=…`; resolves with the window id. */
  open(id: string): Promise<number | undefined>;
  close(windowId: number): Promise<void>;
}

interface Pending {
  readonly view: ConfirmationView;
  readonly resolve: (accepted: boolean) => void;
  windowId: number | undefined;
}

export class ConfirmationDesk {
  readonly #windows: ConfirmationWindows;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();

  constructor(windows: ConfirmationWindows, now: () => number, timeoutMs = confirmationTimeoutMs) {
    this.#windows = windows;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  /** Shows the window and waits for the user's answer (false on timeout or close). */
  async confirm(request: ConfirmationRequest): Promise<boolean> {
    const id = crypto.randomUUID();
    const view: ConfirmationView = { ...request, id, expiresAt: this.#now() + this.#timeoutMs };
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.#settle(id, false), this.#timeoutMs);
      const pending: Pending = {
        view,
        windowId: undefined,
        resolve: (accepted) => {
          clearTimeout(timer);
          resolve(accepted);
        },
      };
      this.#pending.set(id, pending);
      this.#windows.open(id).then(
        (windowId) => {
          pending.windowId = windowId;
        },
        () => this.#settle(id, false),
      );
    });
  }

  get(id: string): ConfirmationView {
    const pending = this.#pending.get(id);
    if (pending === undefined) {
      throw new WalletFailure('confirmation_pending', 'This confirmation is no longer open.');
    }
    return pending.view;
  }

  answer(id: string, accepted: boolean): { readonly accepted: boolean } {
    if (!this.#pending.has(id)) {
      throw new WalletFailure('confirmation_pending', 'This confirmation is no longer open.');
    }
    this.#settle(id, accepted);
    return { accepted };
  }

  /** The window was closed without an answer. */
  windowClosed(windowId: number): void {
    for (const [id, pending] of this.#pending) {
      if (pending.windowId === windowId) this.#settle(id, false);
    }
  }

  #settle(id: string, accepted: boolean): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.resolve(accepted);
    if (pending.windowId !== undefined)
      void this.#windows.close(pending.windowId).catch(() => undefined);
  }
}
