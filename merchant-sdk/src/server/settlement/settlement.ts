/**
 * PayWord settlement (Rivest & Shamir 1996, §4.4; DESIGN.md "PayWord"): the vendor redeems
 * (commitment, last word, index) with the broker, in batches of at most 256 and incrementally
 * (the broker pays only the words beyond its previous redemption of a chain).
 *
 * A batch is written to the store before it is sent, with its own Idempotency-Key, and is
 * sent again under that same key, with the same bytes, until the broker's answer is recorded:
 * a retry after a lost answer, or after a crash, is paid once (the bank keeps the first answer
 * per key). Failures the bank may get over (unreachable, 5xx, a rejected API key the operator
 * can fix) are retried with exponential backoff; a batch the broker refuses as malformed is
 * closed as failed and its chains go into the next batch. Chains in a batch in flight are not
 * put into another one, so redemptions of one chain reach the broker in order.
 */
import { randomUUID } from 'node:crypto';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isErrorCode, isFarthingError } from '@farthing/protocol/errors';
import type * as v from 'valibot';
import type {
  MerchantStore,
  SettlementBatchRecord,
  SettlementItemOutcome,
  SettlementItemRecord,
} from '../../store/store.ts';
import { readBankAnswer, redemptionAnswer } from '../bank/bank-answers.ts';
import type { BankClient } from '../bank/bank-client.ts';

/** The broker's batch limit (bank/src/broker/redemptions.ts). */
export const maxRedemptionBatch = 256;
/** New batches one `settle()` opens at most (64 × 256 chains). */
const maxBatchesPerRun = 64;

/** How settlement retries and how large its batches are. */
export interface SettlementOptions {
  /** Wait before the first retry of a batch; doubled per attempt. Default 1 s. */
  readonly retryBaseMs?: number;
  /** The longest wait between retries. Default 10 minutes. */
  readonly retryMaxMs?: number;
  /** Chains per batch, at most 256 (the default). */
  readonly batchSize?: number;
}

/** What one `settle()` did: the batches it sent and how each ended. */
export interface SettleReturnType {
  /** Batches answered (settled or failed) in this run, in the order they were sent. */
  readonly answered: readonly SettlementBatchRecord[];
  /** Batches left in flight, to be sent again (the bank could not be reached, or erred). */
  readonly retrying: number;
  /**
   * Chains the broker refused in this run: items it rejected in a batch it answered, and every
   * chain of a batch it refused whole (those go into a later batch again).
   */
  readonly refusedChains: number;
}

function refusedChainsOf(answered: readonly SettlementBatchRecord[]): number {
  let refused = 0;
  for (const batch of answered) {
    for (const item of batch.items) {
      if (batch.status === 'failed' || item.outcome === 'rejected') refused++;
    }
  }
  return refused;
}

/** Broker refusals that a later redemption of the same chain can get past. */
const passingCodes = new Set(['payword_replayed', 'conflict', 'internal']);

/** The request body: the same items always give the same bytes (one Idempotency-Key, one body). */
export function redemptionBody(items: readonly SettlementItemRecord[]): string {
  const parts = items.map(
    (item) =>
      `{"commitment":${item.commitment},"index":${item.index},"word":"${toBase64url(item.word)}"}`,
  );
  return `{"redemptions":[${parts.join(',')}]}`;
}

type RedemptionAnswerItem = v.InferOutput<typeof redemptionAnswer>['redemptions'][number];

function itemOutcome(answer: RedemptionAnswerItem): SettlementItemOutcome {
  if (answer.status === 'redeemed') {
    return { outcome: 'redeemed', index: answer.index, paid: answer.paid.minor };
  }
  const { code, status } = answer.problem;
  const problemCode = isErrorCode(code) ? code : 'internal';
  return {
    outcome: 'rejected',
    problemCode,
    final: status < 500 && !passingCodes.has(problemCode),
  };
}

/** Transient: worth sending the same batch again later. */
function isTransient(error: unknown): boolean {
  if (!isFarthingError(error, 'bank_unavailable')) return false;
  const status = error.details.bankStatus;
  return typeof status !== 'number' || status >= 500 || [401, 403, 408, 409, 429].includes(status);
}

function describe(error: unknown): string {
  if (!isFarthingError(error)) return 'internal';
  const bankCode = error.details.bankCode;
  return typeof bankCode === 'string' ? `${error.code}: ${bankCode}` : error.code;
}

/** Sends settlement batches to the broker (module comment). */
export class Settlement {
  readonly #store: MerchantStore;
  readonly #bank: BankClient;
  readonly #now: () => number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #batchSize: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    parameters: { store: MerchantStore; bank: BankClient; now: () => number },
    options: SettlementOptions = {},
  ) {
    this.#store = parameters.store;
    this.#bank = parameters.bank;
    this.#now = parameters.now;
    this.#retryBaseMs = options.retryBaseMs ?? 1000;
    this.#retryMaxMs = options.retryMaxMs ?? 600_000;
    this.#batchSize = options.batchSize ?? maxRedemptionBatch;
    if (!Number.isSafeInteger(this.#batchSize) || this.#batchSize < 1 || this.#batchSize > 256) {
      throw new FarthingError('invalid_argument', '"batchSize" must be 1–256', {
        details: { field: 'batchSize' },
      });
    }
  }

  /**
   * Sends the batches still in flight, then new batches until nothing is owed or the bank
   * stops answering. Runs one at a time: a call made while another runs waits for it.
   * `respectBackoff` (the schedule) skips batches whose next attempt is not due yet.
   */
  settle(options: { readonly respectBackoff?: boolean } = {}): Promise<SettleReturnType> {
    const run = this.#queue.then(() => this.#run(options.respectBackoff ?? false));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(respectBackoff: boolean): Promise<SettleReturnType> {
    const answered: SettlementBatchRecord[] = [];
    let retrying = 0;
    let reachable = true;
    for (const batch of await this.#store.inFlightSettlementBatches()) {
      if (!reachable || (respectBackoff && batch.nextAttemptAt > this.#now())) {
        retrying++;
        continue;
      }
      const done = await this.#send(batch);
      if (done === undefined) {
        retrying++;
        reachable = false;
      } else {
        answered.push(done);
      }
    }
    // New batches until nothing is owed, with two stops so that a run always ends: a batch the
    // broker did not redeem whole (its chains wait for the next run), and a cap on batches per
    // run (payments keep arriving while it runs).
    for (let opened = 0; reachable && opened < maxBatchesPerRun; opened++) {
      const batchId = randomUUID();
      const batch = await this.#store.openSettlementBatch({
        batchId,
        idempotencyKey: `farthing-settle-${batchId}`,
        now: this.#now(),
        limit: this.#batchSize,
      });
      if (batch === undefined) break;
      const done = await this.#send(batch);
      if (done === undefined) {
        retrying++;
        break;
      }
      answered.push(done);
      if (done.status !== 'settled' || done.items.some((item) => item.outcome !== 'redeemed'))
        break;
    }
    return { answered, retrying, refusedChains: refusedChainsOf(answered) };
  }

  /** One attempt; the finished batch, or undefined when it stays in flight for a retry. */
  async #send(batch: SettlementBatchRecord): Promise<SettlementBatchRecord | undefined> {
    let outcomes: SettlementItemOutcome[];
    try {
      const json = await this.#bank.post('/v1/broker/redemptions', redemptionBody(batch.items), {
        idempotencyKey: batch.idempotencyKey,
      });
      const answer = readBankAnswer(redemptionAnswer, json, 'the redemption batch');
      if (answer.redemptions.length !== batch.items.length) {
        throw new FarthingError('bank_unavailable', 'the broker answered for other items', {
          details: { expected: batch.items.length, got: answer.redemptions.length },
        });
      }
      outcomes = answer.redemptions.map(itemOutcome);
    } catch (error) {
      const now = this.#now();
      if (isTransient(error)) {
        const attempts = batch.attempts + 1;
        const wait = Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** (attempts - 1));
        await this.#store.noteSettlementAttempt(batch.batchId, {
          attempts,
          nextAttemptAt: now + wait,
          error: describe(error),
        });
        return undefined;
      }
      await this.#store.failSettlementBatch(batch.batchId, now, describe(error));
      return this.#reload(batch.batchId);
    }
    await this.#store.settleSettlementBatch(batch.batchId, this.#now(), outcomes);
    return this.#reload(batch.batchId);
  }

  async #reload(batchId: string): Promise<SettlementBatchRecord> {
    const batch = await this.#store.getSettlementBatch(batchId);
    if (batch === undefined)
      throw new FarthingError('internal', `settlement batch ${batchId} vanished`);
    return batch;
  }

  /** Runs `settle` every `intervalMs` (respecting backoff) until `stop()`. */
  start(options: {
    readonly intervalMs: number;
    readonly onError?: (error: unknown) => void;
  }): SettlementSchedule {
    const { intervalMs, onError } = options;
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 10) {
      throw new FarthingError('invalid_argument', '"intervalMs" must be at least 10', {
        details: { field: 'intervalMs' },
      });
    }
    let current: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      current = this.settle({ respectBackoff: true }).catch((error: unknown) => onError?.(error));
    }, intervalMs);
    timer.unref?.();
    return {
      async stop() {
        clearInterval(timer);
        await current;
      },
    };
  }
}

/** A running settlement schedule. */
export interface SettlementSchedule {
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}
