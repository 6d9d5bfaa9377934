/**
 * Requests waiting for a payment by its credential id (issue 21): a click's navigation may
 * reach the merchant before the wallet's POST of the credential has been stored, carrying the
 * paying cookie that names the payment (protocol credential-id.ts `payingCookieName`). The
 * guard parks such a request here; `PaymentDesk.pay` settles it the moment a payment for that
 * id is stored or refused in this process.
 *
 * Bounded (`maxWaiting`): a page could otherwise hold any number of requests open with made-up
 * ids. Nothing is allocated for a payment when no one waits (`PaymentDesk.pay` looks at `size`
 * first), so the pay endpoint's cost per payment stays what it was.
 */
import type { PaymentRecord } from '../../store/store.ts';

/** How a payment someone waits for ended in this process. */
export type PaymentOutcome =
  | {
      readonly status: 'stored';
      readonly payment: Pick<PaymentRecord, 'resource' | 'grantToken' | 'grantExpiresAt'>;
    }
  | { readonly status: 'refused'; readonly error: unknown };

/** One waiting request: its outcome once a `pay` settles it, and `close` when it stops waiting. */
export interface PaymentWatch {
  /** Resolves with the first outcome told for the id; never rejects. */
  readonly outcome: Promise<PaymentOutcome>;
  /** Stops waiting (idempotent); must be called when the request is answered. */
  close(): void;
}

/** At most this many requests wait per desk; more are answered 402 at once. */
export const defaultMaxWaiting = 1024;

/** How long a request waits for its payment by default, in milliseconds. */
export const defaultPaymentWaitMs = 2_000;

type Settle = (outcome: PaymentOutcome) => void;

/** The requests one desk's payments are awaited by, keyed by base64url credential id. */
export class PaymentWaiters {
  readonly #byId = new Map<string, Set<Settle>>();
  readonly #maxWaiting: number;
  #waiting = 0;
  /** How long the guard waits for a payment (createMerchant's `paymentWaitMs`). */
  readonly waitMs: number;

  constructor(options: { readonly waitMs?: number; readonly maxWaiting?: number } = {}) {
    this.waitMs = options.waitMs ?? defaultPaymentWaitMs;
    this.#maxWaiting = options.maxWaiting ?? defaultMaxWaiting;
  }

  /** How many credential ids are awaited: zero on the pay endpoint's common path. */
  get size(): number {
    return this.#byId.size;
  }

  /** How many requests wait now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Waits for `id`'s outcome; undefined when `maxWaiting` requests wait already. */
  watch(id: string): PaymentWatch | undefined {
    if (this.#waiting >= this.#maxWaiting) return undefined;
    let settle!: Settle;
    const outcome = new Promise<PaymentOutcome>((resolve) => {
      settle = resolve;
    });
    let open = true;
    const own: Settle = (told) => {
      if (!open) return;
      open = false;
      this.#waiting--;
      settle(told);
    };
    let settles = this.#byId.get(id);
    if (settles === undefined) {
      settles = new Set();
      this.#byId.set(id, settles);
    }
    settles.add(own);
    this.#waiting++;
    return {
      outcome,
      close: () => {
        if (!open) return;
        open = false;
        this.#waiting--;
        const current = this.#byId.get(id);
        if (current === undefined) return;
        current.delete(own);
        if (current.size === 0) this.#byId.delete(id);
      },
    };
  }

  /** Tells everyone waiting for `id` how its payment ended, and forgets them. */
  settle(id: string, outcome: PaymentOutcome): void {
    const settles = this.#byId.get(id);
    if (settles === undefined) return;
    this.#byId.delete(id);
    for (const settle of settles) settle(outcome);
  }
}
