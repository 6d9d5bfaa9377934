/**
 * The per-coin work of deposits, in a pool of worker threads (deposit-worker.ts): parsing each
 * deposit permission, checking it, and both signatures, RSA-PSS over the coin and Ed25519
 * with the fresh coin key (deposit-checks.ts).
 *
 * On the event loop that work held the main thread even with `crypto.verify` on libuv's pool,
 * because Node imports and decodes every key on the calling thread. Measured with `prof.mts`
 * (6,400 single-coin deposits over 64 connections, 2 cores), main-thread CPU per deposit fell
 * from ~540 to ~410 µs with the checks here; a worker spends ~250 µs per coin (Ed25519 alone
 * ~125 µs with this OpenSSL). The event loop only copies request bodies out and takes back
 * the coins to mark spent, or the refusal to re-raise.
 *
 * Requests go to a worker as one message per turn of the event loop (or per `batchLimit`),
 * their bodies in one transferred buffer, to the worker with the fewest bytes in flight. A
 * worker that dies or stalls is replaced, and the requests it held fail with `internal`.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { FarthingError, isErrorCode } from '@farthing/protocol/errors';
import { typeScriptWorker } from '@farthing/server-runtime/typescript-worker';
import { packBatch } from '@farthing/server-runtime/worker-batch';
import type { Logger } from '../log.ts';
import type { SpentCoin } from '../store/store.ts';
import type { CoinEd25519Library } from './coin-ed25519.ts';
import type { DepositKey } from './deposit-checks.ts';
import type {
  DepositJob,
  DepositOutcome,
  DepositRefusal,
  FromDepositWorker,
  ToDepositWorker,
} from './deposit-worker.ts';
import type { DenominationKey, Keyring } from './keyring.ts';

export interface DepositVerifierOptions {
  readonly keyring: Keyring;
  readonly log: Logger;
  /** How many worker threads; `os.availableParallelism()` by default. */
  readonly threads?: number;
  /** The worker's module; tests substitute one that fails on purpose. */
  readonly entry?: URL;
}

/** A deposit request whose coins all passed. */
export interface CheckedDeposit {
  /** The merchant's own id for the deposit, if it chose one. */
  readonly depositId: string | undefined;
  /** SHA-256 of method, path and body, for the idempotency claim (http/command.ts). */
  readonly requestHash: Uint8Array;
  /** The coins to mark spent, in order. */
  readonly coins: readonly SpentCoin[];
}

/**
 * Whether a refusal of `check` was of the body itself (not JSON, not a deposit request)
 * rather than of one of its coins.
 */
export function isMalformedDeposit(error: unknown): boolean {
  return error instanceof FarthingError && malformed.has(error);
}

const malformed = new WeakSet<FarthingError>();

export interface CheckDepositParameters {
  /** The request body as received: `{ depositId?, coins }` JSON. */
  readonly body: Uint8Array;
  /** The merchant's account name, which every permission must name. */
  readonly merchantId: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

/** `FARTHING_DEPOSIT_THREADS`, when set: the size of the pool. */
export function depositThreadsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  const text = env.FARTHING_DEPOSIT_THREADS;
  if (text === undefined || text === '') return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(`expected 1–64 in "FARTHING_DEPOSIT_THREADS", got ${text}`);
  }
  return threads;
}

const defaultEntry = new URL('./deposit-worker.ts', import.meta.url);
/**
 * A batch closes at the end of the event loop's turn or at this many requests: when 64
 * requests arrive in one turn, the workers start on the first ones while the event loop still
 * reads the rest (median wait for a check 21 → 15 ms under `prof.mts`; 2 costs more
 * main-thread time in messages than it saves).
 */
const batchLimit = 8;
/** How long a worker that died before it was ready waits to be replaced (no restart storm). */
const retryDelayMs = 1_000;
/**
 * A batch unanswered this long means a stuck worker (a 256-coin request takes ~70 ms): it is
 * ended and replaced like a crashed one, so no request waits forever.
 */
const stallMs = 30_000;

interface Request extends CheckDepositParameters {
  readonly resolve: (checked: CheckedDeposit) => void;
  readonly reject: (error: FarthingError) => void;
}

interface Thread {
  readonly worker: Worker;
  /** Resolves when the worker has loaded its code; rejects if it dies first. */
  readonly ready: Promise<void>;
  isReady: boolean;
  /** Body bytes of the requests in flight: the load the next batch is balanced on. */
  load: number;
  /** In flight, oldest first. */
  readonly batches: Map<number, { readonly requests: Request[]; readonly sentAt: number }>;
}

/** Public descriptors only, in fresh buffers: a pooled Buffer could carry other bytes along. */
function publicKeyOf(key: DenominationKey): DepositKey {
  const { denomination } = key;
  return {
    id: new Uint8Array(key.id),
    denomination: {
      ...denomination,
      value: { ...denomination.value },
      publicKey: {
        n: new Uint8Array(denomination.publicKey.n),
        e: new Uint8Array(denomination.publicKey.e),
      },
    },
  };
}

function internal(shortMessage: string): FarthingError {
  return new FarthingError('internal', shortMessage);
}

export class DepositVerifier {
  readonly #options: DepositVerifierOptions;
  readonly #size: number;
  readonly #threads: (Thread | undefined)[] = [];
  readonly #retries = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: () => void;
  #queue: Request[] = [];
  #flush: NodeJS.Immediate | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #nextBatch = 0;
  #started = false;
  #stopped = false;
  #ed25519Library: CoinEd25519Library | undefined;

  constructor(options: DepositVerifierOptions) {
    const size = options.threads ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`expected a positive integer "threads", got ${size}`);
    }
    this.#options = options;
    this.#size = size;
    this.#unsubscribe = options.keyring.onKeyAdded((key) => {
      const message: ToDepositWorker = { type: 'keys', keys: [publicKeyOf(key)] };
      for (const thread of this.#threads) thread?.worker.postMessage(message);
    });
  }

  /** The library the workers verify Ed25519 with, once one has loaded. */
  get ed25519Library(): CoinEd25519Library | undefined {
    return this.#ed25519Library;
  }

  /**
   * Starts the workers (`check` does on first use) and resolves once all have loaded, so a
   * bank that cannot run them fails at start rather than on its first deposit.
   */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(internal('the deposit verifier was stopped'));
    if (!this.#started) {
      this.#started = true;
      for (let slot = 0; slot < this.#size; slot++) this.#threads[slot] = this.#spawn(slot);
    }
    return Promise.all(this.#threads.map((thread) => thread?.ready)).then(() => undefined);
  }

  /**
   * Reads one deposit request and checks its coins: the request's id and hash and the coins
   * to mark spent, or the coded refusal raised reading it (`isMalformedDeposit`) or in
   * deposit-checks.ts (the same `FarthingError`), or `internal` if the worker holding the
   * request died or the verifier stopped.
   */
  check(parameters: CheckDepositParameters): Promise<CheckedDeposit> {
    if (this.#stopped) return Promise.reject(internal('the deposit verifier was stopped'));
    if (!this.#started) this.start().catch(() => undefined); // failures reach each request
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...parameters, resolve, reject });
      if (this.#queue.length >= batchLimit) this.#dispatch();
      else this.#flush ??= setImmediate(() => this.#dispatch());
    });
  }

  /** Ends the workers; requests still queued or in flight fail with `internal`. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe();
    if (this.#flush !== undefined) clearImmediate(this.#flush);
    clearInterval(this.#watchdog);
    for (const timer of this.#retries) clearTimeout(timer);
    const stopping = internal('the bank is stopping');
    for (const request of this.#queue) request.reject(stopping);
    this.#queue = [];
    const threads = this.#threads.splice(0).filter((thread) => thread !== undefined);
    for (const thread of threads) this.#fail(thread, stopping);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  #spawn(slot: number): Thread {
    const entry = this.#options.entry ?? defaultEntry;
    const worker = typeScriptWorker(entry, { name: `deposit-${slot}` });
    let loaded!: () => void;
    let failed!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      failed = reject;
    });
    ready.catch(() => undefined); // also reported through `start()` and the log
    // A worker keeps the process alive only while it loads or holds requests (#send, #settle).
    const thread: Thread = { worker, ready, isReady: false, load: 0, batches: new Map() };
    worker.on('message', (message: FromDepositWorker) => {
      if (message.type === 'ready') {
        thread.isReady = true;
        if (this.#ed25519Library === undefined) {
          this.#ed25519Library = message.ed25519;
          this.#options.log.info(
            { library: message.ed25519 },
            'deposit workers verify coin signatures (Ed25519)',
          );
        }
        if (thread.batches.size === 0) worker.unref();
        loaded();
      } else {
        this.#settle(thread, message.batch, message.outcomes);
      }
    });
    worker.on('error', (error) => {
      this.#options.log.error({ err: error, slot }, 'deposit worker failed');
    });
    worker.once('exit', (code) => {
      failed(new Error(`deposit worker ${slot} exited with code ${code} before it was ready`));
      this.#lost(slot, thread, code);
    });
    const keys = this.#options.keyring.list().map(publicKeyOf);
    worker.postMessage({ type: 'keys', keys } satisfies ToDepositWorker);
    return thread;
  }

  /** A worker ended without `stop()`: its requests fail, and another takes its place. */
  #lost(slot: number, thread: Thread, code: number): void {
    if (this.#stopped || this.#threads[slot] !== thread) return;
    this.#options.log.error({ slot, code }, 'deposit worker exited; starting another');
    this.#fail(thread, internal('the deposit could not be checked; try again'));
    if (thread.isReady) {
      this.#threads[slot] = this.#spawn(slot);
      return;
    }
    this.#threads[slot] = undefined;
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      if (!this.#stopped) this.#threads[slot] = this.#spawn(slot);
    }, retryDelayMs);
    timer.unref();
    this.#retries.add(timer);
  }

  /** Ends workers holding a batch for longer than `stallMs`; stops when nothing is in flight. */
  #watch(): void {
    let busy = false;
    for (const thread of this.#threads) {
      const oldest = thread?.batches.values().next().value;
      if (thread === undefined || oldest === undefined) continue;
      busy = true;
      if (performance.now() - oldest.sentAt > stallMs) {
        this.#options.log.error({ threadId: thread.worker.threadId }, 'deposit worker stalled');
        void thread.worker.terminate(); // its 'exit' fails its requests and replaces it
      }
    }
    if (!busy) {
      clearInterval(this.#watchdog);
      this.#watchdog = undefined;
    }
  }

  #fail(thread: Thread, error: FarthingError): void {
    for (const { requests } of thread.batches.values()) {
      for (const request of requests) request.reject(error);
    }
    thread.batches.clear();
    thread.load = 0;
  }

  /** Sends the queued requests, each to the least loaded worker. */
  #dispatch(): void {
    if (this.#flush !== undefined) clearImmediate(this.#flush);
    this.#flush = undefined;
    const queue = this.#queue;
    this.#queue = [];
    const live = this.#threads.filter((thread) => thread !== undefined);
    if (live.length === 0) {
      const error = internal('the deposit could not be checked; try again');
      for (const request of queue) request.reject(error);
      return;
    }
    const shares = new Map<Thread, Request[]>();
    for (const request of queue) {
      let target = live[0]!;
      for (const thread of live) if (thread.load < target.load) target = thread;
      target.load += request.body.byteLength;
      const share = shares.get(target);
      if (share === undefined) shares.set(target, [request]);
      else share.push(request);
    }
    for (const [thread, requests] of shares) this.#send(thread, requests);
  }

  #send(thread: Thread, requests: Request[]): void {
    const { buffer: bodies, ends } = packBatch(requests.map((request) => request.body));
    const jobs = requests.map(
      (request, i): DepositJob => ({
        merchantId: request.merchantId,
        now: request.now,
        start: ends[i - 1] ?? 0,
        end: ends[i]!,
      }),
    );
    const batch = this.#nextBatch++;
    thread.batches.set(batch, { requests, sentAt: performance.now() });
    if (thread.batches.size === 1) thread.worker.ref();
    this.#watchdog ??= setInterval(() => this.#watch(), stallMs / 4).unref();
    const message: ToDepositWorker = { type: 'check', batch, jobs, bodies };
    thread.worker.postMessage(message, [bodies]);
  }

  #settle(thread: Thread, batch: number, outcomes: readonly DepositOutcome[]): void {
    const requests = thread.batches.get(batch)?.requests;
    if (requests === undefined) return;
    thread.batches.delete(batch);
    if (thread.batches.size === 0 && thread.isReady) thread.worker.unref();
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      thread.load -= request.body.byteLength;
      const outcome = outcomes[i];
      if (outcome === undefined) request.reject(internal('the deposit could not be checked'));
      else if (outcome.ok) request.resolve(outcome);
      else request.reject(this.#refusal(outcome.refusal));
    }
  }

  #refusal(refusal: DepositRefusal): FarthingError {
    if (refusal.reason !== undefined) {
      this.#options.log.error({ reason: refusal.reason }, 'deposit check failed unexpectedly');
    }
    const code = isErrorCode(refusal.code) ? refusal.code : 'internal';
    const error = new FarthingError(code, refusal.shortMessage, { details: refusal.details });
    if (refusal.stage === 'request' && code !== 'internal') malformed.add(error);
    return error;
  }
}
