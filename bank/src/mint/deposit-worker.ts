/**
 * A deposit worker thread (deposit-verifier.ts starts them): parses, validates and verifies
 * the coins of deposit requests (deposit-checks.ts) and answers, per request, the coins to
 * mark spent or the coded refusal. It holds the public denomination keys only, sent by the
 * main thread at start and whenever the keyring adds one.
 *
 * Both ends of the message contract below are this package's code in one process, so the
 * messages are trusted as typed; the request bodies inside them were read at the HTTP edge
 * and are validated here.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { DenominationPublicKey } from '@farthing/protocol/coin/denomination';
import { toBase64url } from '@farthing/protocol/encoding';
import { type ErrorCode, isFarthingError } from '@farthing/protocol/errors';
import { parseJsonBody, requestHashOf } from '../http/request.ts';
import type { SpentCoin } from '../store/store.ts';
import { type CoinEd25519Library, coinEd25519 } from './coin-ed25519.ts';
import {
  checkDepositCoins,
  type DepositKey,
  type DepositKeys,
  type DepositRequest,
  depositPath,
  depositRequestSchema,
} from './deposit-checks.ts';

// --- the message contract

/** One deposit request of a batch: its body is `bodies[start, end)`. */
export interface DepositJob {
  /** The merchant's account name. */
  readonly merchantId: string;
  readonly now: number;
  readonly start: number;
  readonly end: number;
}

export type ToDepositWorker =
  /** Keys to add (all of them when a worker starts; then each new one). */
  | { readonly type: 'keys'; readonly keys: readonly DepositKey[] }
  /** Requests that arrived in one turn of the main event loop, bodies in one buffer. */
  | {
      readonly type: 'check';
      readonly batch: number;
      readonly jobs: readonly DepositJob[];
      readonly bodies: ArrayBuffer;
    };

/** A refusal as it crosses the thread boundary; re-raised as the same `FarthingError`. */
export interface DepositRefusal {
  /** `request`: the body is no deposit request (JSON, schema); `coins`: a coin was refused. */
  readonly stage: 'request' | 'coins';
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** For `internal`: what went wrong, for the bank's log only. */
  readonly reason?: string;
}

export type DepositOutcome =
  | {
      readonly ok: true;
      /** The merchant's own id for the deposit, if it chose one. */
      readonly depositId: string | undefined;
      /** The idempotency hash of the request (`requestHashOf`). */
      readonly requestHash: Uint8Array;
      readonly coins: readonly SpentCoin[];
    }
  | { readonly ok: false; readonly refusal: DepositRefusal };

export type FromDepositWorker =
  /** Loaded; `ed25519` names the library verifying coin signatures (coin-ed25519.ts). */
  | { readonly type: 'ready'; readonly ed25519: CoinEd25519Library }
  /** `outcomes[i]` answers `jobs[i]`; the coins' bytes are views of one transferred buffer. */
  | { readonly type: 'checked'; readonly batch: number; readonly outcomes: DepositOutcome[] };

// --- the keys

interface WorkerKey extends DepositKey {
  readonly verifyKey: KeyObject;
}

const byId = new Map<string, WorkerKey>();
const byPublicKey = new WeakMap<DenominationPublicKey, KeyObject>();

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

const keys: DepositKeys = {
  find: (id) => byId.get(idKey(id)),
  verifyKeyOf: (publicKey) => byPublicKey.get(publicKey),
};

function addKey(key: DepositKey): void {
  const { n, e } = key.denomination.publicKey;
  // Imported once per key, not per coin: an import costs ~11 µs, a third of a verification.
  const verifyKey = createPublicKey({
    key: { kty: 'RSA', n: toBase64url(n), e: toBase64url(e) },
    format: 'jwk',
  });
  byId.set(idKey(key.id), { ...key, verifyKey });
  byPublicKey.set(key.denomination.publicKey, verifyKey);
}

// --- checking

function refusal(error: unknown, stage: DepositRefusal['stage']): DepositRefusal {
  if (isFarthingError(error)) {
    return { stage, code: error.code, shortMessage: error.shortMessage, details: error.details };
  }
  return {
    stage,
    code: 'internal',
    shortMessage: 'the deposit could not be checked',
    details: {},
    reason: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

function checkJob(bodies: Uint8Array, job: DepositJob): DepositOutcome {
  const body = bodies.subarray(job.start, job.end);
  let request: DepositRequest;
  try {
    // The same reading as every other request of the bank (http/command.ts), done here to
    // keep it off the event loop.
    request = parseJsonBody(body, depositRequestSchema, 'deposit');
  } catch (error) {
    return { ok: false, refusal: refusal(error, 'request') };
  }
  try {
    const coins = checkDepositCoins(keys, {
      merchantId: job.merchantId,
      coins: request.coins,
      now: job.now,
    });
    const requestHash = requestHashOf('POST', depositPath, body);
    return { ok: true, depositId: request.depositId, requestHash, coins };
  } catch (error) {
    return { ok: false, refusal: refusal(error, 'coins') };
  }
}

/** Bytes per spent coin in the answer: coinPub, denominationId and signature. */
const packedCoinLength = 32 + 32 + 64;
/** Bytes per accepted request: its SHA-256 request hash. */
const packedRequestLength = 32;

/**
 * Moves every coin's bytes into one buffer that is transferred, not copied: the main thread
 * then receives views of it instead of allocating three small buffers per coin.
 */
function pack(outcomes: DepositOutcome[]): ArrayBuffer {
  let length = 0;
  for (const outcome of outcomes) {
    if (outcome.ok) length += packedRequestLength + outcome.coins.length * packedCoinLength;
  }
  const buffer = new ArrayBuffer(length);
  let offset = 0;
  const place = (bytes: Uint8Array) => {
    const view = new Uint8Array(buffer, offset, bytes.length);
    view.set(bytes);
    offset += bytes.length;
    return view;
  };
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i]!;
    if (!outcome.ok) continue;
    const coins = outcome.coins.map((coin) => ({
      ...coin,
      coinPub: place(coin.coinPub),
      denominationId: place(coin.denominationId),
      signature: place(coin.signature),
    }));
    outcomes[i] = { ...outcome, requestHash: place(outcome.requestHash), coins };
  }
  return buffer;
}

const port = parentPort;
if (port === null) throw new Error('deposit-worker.ts runs as a worker thread');

/**
 * The event loop is the deposits' serial stage (HTTP, the write, the answer); these threads
 * only feed it. On a busy machine it waited for a core behind them: with the checks at nice 5,
 * its run-queue wait per deposit fell from ~95 to ~70 µs and saturated deposits rose ~10%
 * (6 alternating rounds, bench/bank.bench.ts's load, 64 connections). A checking thread still
 * gets the cores the event loop leaves, so its throughput is unchanged. Linux only: there a
 * nice value belongs to the thread (setpriority(2) "BUGS"); elsewhere it would slow the whole
 * bank. Lowering one's own priority needs no privilege, but a sandbox may refuse it: then the
 * checks simply run at the bank's priority.
 */
const checkNice = 5;
if (process.platform === 'linux') {
  try {
    setPriority(0, checkNice);
  } catch {
    // not fatal: see above
  }
}

port.on('message', (message: ToDepositWorker) => {
  switch (message.type) {
    case 'keys':
      for (const key of message.keys) addKey(key);
      return;
    case 'check': {
      const bodies = new Uint8Array(message.bodies);
      const outcomes = message.jobs.map((job) => checkJob(bodies, job));
      const packed = pack(outcomes);
      const answer: FromDepositWorker = { type: 'checked', batch: message.batch, outcomes };
      port.postMessage(answer, [packed]);
      return;
    }
    default: {
      const unknown: never = message;
      throw new Error(`unknown deposit worker message ${JSON.stringify(unknown)}`);
    }
  }
});
port.postMessage({ type: 'ready', ed25519: coinEd25519.library } satisfies FromDepositWorker);
