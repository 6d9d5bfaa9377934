/**
 * The merchant's offer key as an `Ed25519Signer` that signs off the event loop.
 *
 * Every paid click costs one signature (the receipt; offers are signed once per resource and
 * reused). Measured per payment on the pay endpoint under load (`npm run bench`, per-thread
 * CPU from /proc): signing synchronously cost the event loop ~290 µs per payment in all,
 * Node's callback form (`crypto.sign` on libuv's thread pool) ~225 µs, since each call still
 * spends ~36 µs of event loop setting up its job. `workerEd25519Signer` signs on a thread of
 * its own instead: the signatures asked for in one turn of the event loop go over as one
 * transferred buffer and come back as one, a few microseconds of event loop per signature.
 * There libsodium (`sodium-native`) signs in ~19 µs against OpenSSL's ~40, which matters
 * because the thread shares the machine's cores with the event loop.
 *
 * The thread must also be given a core. On a loaded machine (issue 21: load ~15 on 2 cores,
 * `npm run bench -- merchant`) a quarter of the payments had their commit on disk before their
 * receipt's signature was back, and then waited ~17 ms more for it: the thread, at nice 5,
 * waited for a core. `signNow` signs on the calling thread instead, so the pay endpoint signs
 * a late receipt itself once the payment is durable (payments.ts) rather than wait; Ed25519 is
 * deterministic, so it is the very signature the thread makes.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { type Ed25519Signer, ed25519PublicKey } from '@farthing/protocol/ed25519';
import { assertBytes } from '@farthing/protocol/errors';
import { moduleBeside, typeScriptWorker } from '@farthing/server-runtime/typescript-worker';
import { packBatch } from '@farthing/server-runtime/worker-batch';
import type { FromSigningThread, SigningThreadData, ToSigningThread } from './signer-thread.ts';

// RFC 8410 §7: a PKCS#8 OneAsymmetricKey for id-Ed25519 is this prefix and the 32-byte seed.
const pkcs8Prefix = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const signatureLength = 64;

function pkcs8Of(seed: Uint8Array): Uint8Array {
  assertBytes(seed, 'offerKey', 32);
  const der = new Uint8Array(pkcs8Prefix.length + seed.length);
  der.set(pkcs8Prefix);
  der.set(seed, pkcs8Prefix.length);
  return der;
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  const der = pkcs8Of(seed);
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  der.fill(0);
  return key;
}

/** A signer over a 32-byte Ed25519 seed that signs on libuv's thread pool. */
export function threadPoolEd25519Signer(seed: Uint8Array): Ed25519Signer {
  const key = privateKeyOf(seed);
  return {
    publicKey: ed25519PublicKey(seed),
    sign: (message) =>
      new Promise((resolve, reject) => {
        sign(null, message, key, (error, signature) => {
          if (error) reject(error);
          else resolve(new Uint8Array(signature));
        });
      }),
  };
}

/**
 * The signing thread's nice value. The event loop is the pay endpoint's serial stage (HTTP,
 * checks, the store); the thread only feeds it, and on a busy machine the event loop waited
 * for a core behind it. At nice 5 the thread still gets every core the event loop leaves.
 * Linux only: there a nice value belongs to the thread (setpriority(2) "BUGS"); elsewhere it
 * would lower the whole process.
 */
const signingNice = 5;

/** Where libsodium's addon (`sodium-native`) is, for the signing thread; '' without it. */
function sodiumPath(): string {
  if (process.env.FARTHING_MERCHANT_ED25519 === 'openssl') return '';
  try {
    return createRequire(import.meta.url).resolve('sodium-native');
  } catch {
    return '';
  }
}

interface Waiting {
  readonly message: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

const entry = moduleBeside(import.meta.url, 'signer-thread');

/**
 * A signer that can also sign at once on the calling thread, for a signature that is needed
 * now and has not come back from where it is being made (`workerEd25519Signer`).
 */
export interface UrgentEd25519Signer extends Ed25519Signer {
  /** The signature of `message`, made synchronously on the calling thread. */
  signNow(message: Uint8Array): Uint8Array;
}

/** Whether `signer` can sign at once (`UrgentEd25519Signer`). */
export function canSignNow(signer: Ed25519Signer): signer is UrgentEd25519Signer {
  return typeof (signer as Partial<UrgentEd25519Signer>).signNow === 'function';
}

/** What `workerEd25519Signer` returns: a signer that can also end its thread. */
export interface WorkerEd25519Signer extends UrgentEd25519Signer {
  /** Signs what is queued, then ends the signing thread (a later signature starts it again). */
  close(): Promise<void>;
}

/** What `signNow` needs of libsodium (as the signing thread does). */
interface Sodium {
  sodium_malloc(size: number): Buffer;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
}

/**
 * Ed25519 on the calling thread, for `signNow`: libsodium (~19 µs) when its addon loads, else
 * OpenSSL. Made on first use; the secret key stays in libsodium's guarded memory.
 */
function callingThreadSigner(seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const path = sodiumPath();
  if (path !== '') {
    try {
      const sodium = createRequire(import.meta.url)(path) as Sodium;
      const publicKey = Buffer.alloc(32);
      const secretKey = sodium.sodium_malloc(64);
      sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(seed));
      return (message) => {
        const signature = Buffer.alloc(signatureLength);
        sodium.crypto_sign_detached(
          signature,
          Buffer.from(message.buffer, message.byteOffset, message.byteLength),
          secretKey,
        );
        return new Uint8Array(signature.buffer, signature.byteOffset, signatureLength);
      };
    } catch {
      // OpenSSL below
    }
  }
  const key = privateKeyOf(seed);
  return (message) => new Uint8Array(sign(null, message, key));
}

/**
 * A signer over a 32-byte Ed25519 seed that signs on a thread of its own, started on the
 * first signature (module comment). If the thread fails, the signatures it held are refused
 * and later ones go to libuv's thread pool.
 */
export function workerEd25519Signer(seed: Uint8Array): WorkerEd25519Signer {
  const fallback = threadPoolEd25519Signer(seed);
  const der = pkcs8Of(seed);
  let signHere: ((message: Uint8Array) => Uint8Array) | undefined;
  let worker: Worker | undefined;
  let failed = false;
  let nextBatch = 1;
  let queue: Waiting[] = [];
  const inFlight = new Map<number, readonly Waiting[]>();
  let whenIdle: (() => void)[] = [];
  const idle = () => {
    for (const resolve of whenIdle) resolve();
    whenIdle = [];
  };

  const fail = (error: unknown) => {
    failed = true;
    worker = undefined;
    for (const batch of inFlight.values()) for (const waiting of batch) waiting.reject(error);
    inFlight.clear();
    idle();
  };

  const answer = (thread: Worker, message: FromSigningThread) => {
    const batch = inFlight.get(message.batch);
    if (batch === undefined) return;
    inFlight.delete(message.batch);
    batch.forEach((waiting, i) => {
      if ('error' in message) waiting.reject(new Error(message.error));
      else {
        waiting.resolve(new Uint8Array(message.signatures, i * signatureLength, signatureLength));
      }
    });
    if (inFlight.size === 0) {
      thread.unref(); // an idle signer does not keep the process alive
      idle();
    }
  };

  const start = (): Worker => {
    const thread = typeScriptWorker(entry, {
      workerData: {
        der: der.slice(),
        sodium: sodiumPath(),
        nice: signingNice,
      } satisfies SigningThreadData,
      name: 'farthing-merchant-signer',
    });
    thread.on('message', (message: FromSigningThread) => answer(thread, message));
    thread.on('error', fail);
    thread.on('exit', (code) => {
      if (worker === thread) fail(new Error(`the signing thread stopped (exit code ${code})`));
    });
    return thread;
  };

  const flush = () => {
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    if (failed) {
      for (const waiting of batch) {
        fallback.sign(waiting.message).then(waiting.resolve, waiting.reject);
      }
      return;
    }
    worker ??= start();
    const { buffer, ends } = packBatch(batch.map((waiting) => waiting.message));
    const id = nextBatch++;
    inFlight.set(id, batch);
    worker.ref();
    const job: ToSigningThread = { batch: id, buffer, ends };
    worker.postMessage(job, [buffer]);
  };

  return {
    publicKey: ed25519PublicKey(seed),
    sign(message) {
      if (!(message instanceof Uint8Array)) {
        return Promise.reject(new TypeError('expected a Uint8Array "message"'));
      }
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ message, resolve, reject });
      });
    },
    signNow(message) {
      if (!(message instanceof Uint8Array)) throw new TypeError('expected a Uint8Array "message"');
      signHere ??= callingThreadSigner(der.subarray(pkcs8Prefix.length));
      return signHere(message);
    },
    async close() {
      flush();
      const thread = worker;
      if (thread === undefined) return;
      if (inFlight.size > 0) await new Promise<void>((resolve) => whenIdle.push(resolve));
      if (worker !== thread) return;
      worker = undefined;
      await thread.terminate();
    },
  };
}
