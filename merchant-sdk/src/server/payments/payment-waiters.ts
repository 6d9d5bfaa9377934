/**
 * Navigations waiting for their payment, by navigation id (issue 21; protocol
 * http/paying-navigation.ts): at a click the wallet's page goes to the paid resource with
 * `?farthing-paying=<id>` while the wallet POSTs the credential with `Farthing-Navigation: <id>`.
 * The pay endpoint tells the id how that payment ended (stored or refused); the guard asks.
 *
 * The GET may come before the POST is decided, or after it: a told outcome is therefore kept
 * for `keptMs` (10 s) so a later request finds it at once, and a request that comes first waits
 * (`watch`) until it is told. Both are bounded, so made-up ids cost the shop nothing lasting:
 * at most `maxWaiting` (1,024) requests wait, more get their 402 at once; at most `maxKept`
 * (4,096) stored payments' outcomes are kept, the oldest dropped first, and refusals apart from
 * them (a quarter as many): a flood of refused POSTs, which cost nothing to send, cannot push
 * out the outcomes of payments that did go through.
 *
 * Only this process is told: a shop run as several processes should send one browser's
 * requests to one process (sticky sessions), or such a navigation gets its 402 after the wait.
 */
import type { PaymentRecord } from '../../store/store.ts';

/** How a payment carrying a navigation id ended in this process. */
export type PaymentOutcome =
  | {
      readonly status: 'stored';
      readonly payment: Pick<PaymentRecord, 'resource' | 'grantToken' | 'grantExpiresAt'>;
    }
  | { readonly status: 'refused'; readonly error: unknown };

/** One waiting request: its outcome once a `pay` tells it, and `close` when it stops waiting. */
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

/** How long a told outcome is kept for a request that comes after it, in milliseconds. */
export const defaultKeptMs = 10_000;

/** At most this many told outcomes are kept; the oldest is dropped for a new one. */
export const defaultMaxKept = 4096;

export interface PaymentWaitersOptions {
  readonly waitMs?: number;
  readonly maxWaiting?: number;
  readonly keptMs?: number;
  readonly maxKept?: number;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

type Settle = (outcome: PaymentOutcome) => void;

/** What a second request for an id already served is told: the plain 402. */
const notYours: PaymentOutcome = { status: 'refused', error: undefined };

interface Kept {
  readonly outcome: PaymentOutcome;
  readonly until: number;
}

/** The navigations one desk's payments are awaited by, keyed by navigation id. */
export class PaymentWaiters {
  readonly #waitingById = new Map<string, Set<Settle>>();
  /** Oldest first: every entry lives `keptMs`, and a re-told id moves to the end. */
  readonly #kept = new Map<string, Kept>();
  /** The same for refusals, kept apart (module comment). */
  readonly #keptRefusals = new Map<string, Kept>();
  readonly #maxWaiting: number;
  readonly #keptMs: number;
  readonly #maxKept: number;
  readonly #now: () => number;
  #waiting = 0;
  /** How long the guard waits for a payment (createMerchant's `paymentWaitMs`). */
  readonly waitMs: number;

  constructor(options: PaymentWaitersOptions = {}) {
    this.waitMs = options.waitMs ?? defaultPaymentWaitMs;
    this.#maxWaiting = options.maxWaiting ?? defaultMaxWaiting;
    this.#keptMs = options.keptMs ?? defaultKeptMs;
    this.#maxKept = options.maxKept ?? defaultMaxKept;
    this.#now = options.now ?? (() => performance.now());
  }

  /** How many requests wait now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** How many told outcomes are kept now (expired ones dropped first). */
  get kept(): number {
    const now = this.#now();
    dropExpired(this.#kept, now);
    dropExpired(this.#keptRefusals, now);
    return this.#kept.size + this.#keptRefusals.size;
  }

  /** The outcome told for `id` within `keptMs`, if any (a stored payment before a refusal). */
  told(id: string): PaymentOutcome | undefined {
    const now = this.#now();
    for (const kept of [this.#kept, this.#keptRefusals]) {
      const entry = kept.get(id);
      if (entry === undefined) continue;
      if (entry.until > now) return entry.outcome;
      kept.delete(id);
    }
    return undefined;
  }

  /**
   * `told`, for the request that acts on it: a stored payment's outcome is taken (one
   * navigation per id; a second request for it gets nothing), a refusal stays for the next.
   */
  take(id: string): PaymentOutcome | undefined {
    const outcome = this.told(id);
    if (outcome?.status === 'stored') this.#kept.delete(id);
    return outcome;
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
    let settles = this.#waitingById.get(id);
    if (settles === undefined) {
      settles = new Set();
      this.#waitingById.set(id, settles);
    }
    settles.add(own);
    this.#waiting++;
    return {
      outcome,
      close: () => {
        if (!open) return;
        open = false;
        this.#waiting--;
        const current = this.#waitingById.get(id);
        if (current === undefined) return;
        current.delete(own);
        if (current.size === 0) this.#waitingById.delete(id);
      },
    };
  }

  /**
   * Tells everyone waiting for `id` how its payment ended, and keeps the outcome for a request
   * still to come. A stored payment stays the answer: a later refusal for the same id (a stray
   * second POST) does not take it back.
   */
  tell(id: string, outcome: PaymentOutcome): void {
    const now = this.#now();
    const earlier = this.#kept.get(id);
    if (earlier !== undefined && earlier.until > now && outcome.status === 'refused') return;
    this.#kept.delete(id);
    this.#keptRefusals.delete(id);
    const settles = this.#waitingById.get(id);
    if (settles !== undefined) {
      this.#waitingById.delete(id);
      if (outcome.status === 'stored') {
        // One navigation per id: the first request waiting is served, any other gets the 402
        // (an id read off the page and replayed from elsewhere gets nothing the user paid for).
        const [first, ...others] = settles;
        first?.(outcome);
        for (const settle of others) settle(notYours);
        return;
      }
      for (const settle of settles) settle(outcome);
    }
    const [kept, max] =
      outcome.status === 'stored'
        ? [this.#kept, this.#maxKept]
        : [this.#keptRefusals, Math.max(1, Math.floor(this.#maxKept / 4))];
    dropExpired(kept, now);
    if (kept.size >= max) kept.delete(kept.keys().next().value as string);
    kept.set(id, { outcome, until: now + this.#keptMs });
  }
}

/** Drops the entries whose time is up (oldest first, so it stops at the first live one). */
function dropExpired(kept: Map<string, Kept>, now: number): void {
  for (const [id, entry] of kept) {
    if (entry.until > now) return;
    kept.delete(id);
  }
}
