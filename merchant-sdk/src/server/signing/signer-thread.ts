/**
 * The signing thread (entry module; ./signer.ts starts it and says why): signs the messages of
 * each batch with the merchant's offer key. libsodium (`sodium-native`) signs when its addon
 * loads, OpenSSL otherwise (both RFC 8032, so the same signature);
 * `FARTHING_MERCHANT_ED25519=openssl` picks OpenSSL (the parent then sends no `sodium`).
 *
 * Both ends of the message contract below are this package's code in one process, so the
 * messages are trusted as typed.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

/** What the thread is started with. */
export interface SigningThreadData {
  /** The offer key as PKCS#8 DER (RFC 8410); the thread wipes its copy once it holds the key. */
  readonly der: Uint8Array;
  /** Where libsodium's addon is; '' for OpenSSL. */
  readonly sodium: string;
  /** The thread's nice value on Linux. */
  readonly nice: number;
}

/** The messages of one batch back to back in `buffer`, each ending at its `ends` entry. */
export interface ToSigningThread {
  readonly batch: number;
  readonly buffer: ArrayBuffer;
  readonly ends: readonly number[];
}

/** The batch's signatures, 64 bytes each in order, or why it failed. */
export type FromSigningThread =
  | { readonly batch: number; readonly signatures: ArrayBuffer }
  | { readonly batch: number; readonly error: string };

/** What the thread needs of libsodium. */
interface Sodium {
  sodium_malloc(size: number): Buffer;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
}

const port = parentPort!;
const data = workerData as SigningThreadData;
const post = (message: FromSigningThread, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

if (process.platform === 'linux') {
  try {
    setPriority(0, data.nice);
  } catch {
    // a sandbox may refuse it: then the thread signs at the server's priority
  }
  try {
    // Its name in /proc (Node 20 names every thread "node"), for per-thread CPU figures.
    writeFileSync('/proc/thread-self/comm', 'farthing-signer');
  } catch {
    // only a label
  }
}

function sodiumSigner(path: string): (message: Buffer, out: Buffer) => void {
  // libsodium: ~19 µs a signature here, against ~40 µs for OpenSSL with its key object.
  const sodium = createRequire(import.meta.url)(path) as Sodium;
  const publicKey = Buffer.alloc(32);
  const secretKey = sodium.sodium_malloc(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(data.der.subarray(-32)));
  return (message, out) => sodium.crypto_sign_detached(out, message, secretKey);
}

function opensslSigner(): (message: Buffer, out: Buffer) => void {
  const key = createPrivateKey({ key: Buffer.from(data.der), format: 'der', type: 'pkcs8' });
  return (message, out) => out.set(sign(null, message, key));
}

let signOne: (message: Buffer, out: Buffer) => void;
try {
  signOne = data.sodium === '' ? opensslSigner() : sodiumSigner(data.sodium);
} catch {
  signOne = opensslSigner();
}
data.der.fill(0);

port.on('message', ({ batch, buffer, ends }: ToSigningThread) => {
  try {
    const bytes = Buffer.from(buffer);
    const signatures = Buffer.from(new ArrayBuffer(ends.length * 64));
    let start = 0;
    ends.forEach((end, i) => {
      signOne(bytes.subarray(start, end), signatures.subarray(i * 64, (i + 1) * 64));
      start = end;
    });
    const transferred = signatures.buffer as ArrayBuffer;
    post({ batch, signatures: transferred }, [transferred]);
  } catch (error) {
    post({ batch, error: String(error) });
  }
});
