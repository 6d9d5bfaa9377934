/**
 * PayWord: what a vendor pays per click (one hash, no signature), what the wallet pays to
 * reveal a word from its √n checkpoints, and which SHA-256 the server path should use.
 *
 * Run alone: npx tsx -e "import('./bench/payword.bench.ts').then(m=>m.run()).then(console.log)"
 */
import { createHash, hash as nodeHash } from 'node:crypto';
import { amount } from '@farthing/protocol/amount';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { createPaywordChain } from '@farthing/protocol/payword/chain';
import {
  type PaywordCommitment,
  paywordCommitments,
  verifyPaywordCommitment,
} from '@farthing/protocol/payword/commitment';
import { acceptPayment, initialVendorState } from '@farthing/protocol/payword/verifier';
import { sha256 } from '@noble/hashes/sha2.js';
import { roundsMetric } from './stats.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const now = Date.UTC(2026, 0, 1);
const day = 86_400_000;
const vendorId = 'shop.example';
const broker = ed25519Signer(new Uint8Array(32).fill(0xb1));
const user = ed25519Signer(new Uint8Array(32).fill(0x05));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Operations per second of `body`, which performs `count` operations, in each of `runs`. */
function perSecondRuns(count: number, body: () => void, runs = 5): number[] {
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    body();
    rates.push((count * 1000) / (performance.now() - start));
  }
  return rates;
}

/** The median of `perSecondRuns`. */
function perSecond(count: number, body: () => void, runs = 5): number {
  return median(perSecondRuns(count, body, runs));
}

async function commit(
  length: number,
): Promise<{ commitment: PaywordCommitment; words: Uint8Array[] }> {
  const chain = createPaywordChain(crypto.getRandomValues(new Uint8Array(32)), length);
  const certificate = await paywordCertificates.sign(
    {
      brokerId: 'bank.example',
      userId: 'alice',
      userPublicKey: user.publicKey,
      serial: 1,
      issuedAt: now - day,
      expiresAt: now + 30 * day,
      creditLimit: amount('EUR', length),
    },
    broker,
  );
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate,
      root: chain.root,
      length,
      valuePerWord: amount('EUR', 1),
      createdAt: now,
      expiresAt: now + day,
    },
    user,
  );
  const words = Array.from({ length: length + 1 }, (_, i) => chain.wordAt(i));
  return { commitment, words };
}

/** The vendor walks the whole chain one payword at a time, each step from the returned state. */
async function verifyPerSecond(length: number, maxStep: number, step: number): Promise<number[]> {
  const { commitment, words } = await commit(length);
  const verified = verifyPaywordCommitment(commitment, {
    vendorId,
    brokerPublicKey: broker.publicKey,
    now,
  });
  const payments: { commitmentId: Uint8Array; index: number; word: Uint8Array }[] = [];
  for (let index = step; index <= length; index += step) {
    payments.push({ commitmentId: verified.commitmentId, index, word: words[index]! });
  }
  const options = { now, maxStep };
  const walk = () => {
    let state = initialVendorState(verified);
    for (const payment of payments) state = acceptPayment(state, payment, options).state;
    if (state.lastIndex !== payments.at(-1)!.index) throw new Error('walk did not finish');
  };
  walk(); // warm-up: let the JIT settle on this exact path
  return perSecondRuns(payments.length, walk);
}

function revealMs(length: number, order: 'sequential' | 'random'): number {
  const chain = createPaywordChain(crypto.getRandomValues(new Uint8Array(32)), length);
  const indices =
    order === 'sequential'
      ? Array.from({ length }, (_, i) => i + 1)
      : Array.from({ length: 2_000 }, () => 1 + Math.floor(Math.random() * length));
  for (const index of indices.slice(0, 200)) chain.wordAt(index);
  const start = performance.now();
  for (const index of indices) chain.wordAt(index);
  return (performance.now() - start) / indices.length;
}

function createMs(length: number): number {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  createPaywordChain(seed, Math.min(length, 10_000));
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    createPaywordChain(seed, length);
    times.push(performance.now() - start);
  }
  return median(times);
}

type Sha256Variant = 'nobleOneShot' | 'nobleReused' | 'nodeCreateHash' | 'nodeHash';

function sha256PerSecond(): Record<Sha256Variant, number> {
  // The payword hash input: 22-byte prefix + 32-byte word, one SHA-256 block. One loop per
  // implementation, so no call site inside a timed loop sees more than one callee.
  const input = crypto.getRandomValues(new Uint8Array(54));
  const word = input.subarray(22);
  const count = 200_000;
  const nobleOneShot = () => {
    for (let i = 0; i < count; i++) sha256(input);
  };
  // What chain.ts does: a hasher primed with the prefix, cloned into one scratch instance.
  const primed = sha256.create().update(input.subarray(0, 22));
  const scratch = sha256.create();
  const nobleReused = () => {
    for (let i = 0; i < count; i++) primed._cloneInto(scratch).update(word).digest();
  };
  const viaCreateHash = () => {
    for (let i = 0; i < count; i++) createHash('sha256').update(input).digest();
  };
  const viaHash = () => {
    for (let i = 0; i < count; i++) nodeHash('sha256', input, 'buffer');
  };
  const variants = { nobleOneShot, nobleReused, nodeCreateHash: viaCreateHash, nodeHash: viaHash };
  for (const body of Object.values(variants)) body();
  return {
    nobleOneShot: perSecond(count, nobleOneShot),
    nobleReused: perSecond(count, nobleReused),
    nodeCreateHash: perSecond(count, viaCreateHash),
    nodeHash: perSecond(count, viaHash),
  };
}

async function commitmentVerifyPerSecond(): Promise<Record<'noble' | 'node', number>> {
  const { commitment } = await commit(100);
  const options = { vendorId, brokerPublicKey: broker.publicKey, now };
  const count = 300;
  const loop = (verify?: typeof nodeEd25519Verify) => () => {
    for (let i = 0; i < count; i++) {
      verifyPaywordCommitment(commitment, verify ? { ...options, verify } : options);
    }
  };
  loop()();
  loop(nodeEd25519Verify)();
  return { noble: perSecond(count, loop(), 3), node: perSecond(count, loop(nodeEd25519Verify), 3) };
}

export async function run(): Promise<Metrics> {
  // Hashing first: a large live heap of words (the verify runs hold 100,000) slows every
  // allocation-heavy loop that follows by up to a third on this machine.
  const hashes = sha256PerSecond();
  const commitments = await commitmentVerifyPerSecond();
  await verifyPerSecond(20_000, 1, 1); // warm-up on another chain
  const verifyK1 = await verifyPerSecond(100_000, 1, 1);
  const verifyK10 = await verifyPerSecond(100_000, 10, 10);
  return {
    'protocol.payword.verify_per_s': roundsMetric(verifyK1, 'payments/s', 3),
    'protocol.payword.verify_k10_per_s': roundsMetric(verifyK10, 'payments/s', 3),
    'protocol.payword.reveal_word_ms': { value: revealMs(10_000, 'random'), unit: 'ms' },
    'protocol.payword.reveal_word_sequential_ms': {
      value: revealMs(10_000, 'sequential'),
      unit: 'ms',
    },
    'protocol.payword.chain_create_10k_ms': { value: createMs(10_000), unit: 'ms' },
    'protocol.payword.chain_create_100k_ms': { value: createMs(100_000), unit: 'ms' },
    'protocol.payword.sha256_noble_one_shot_per_s': {
      value: Math.round(hashes.nobleOneShot),
      unit: 'hashes/s',
    },
    'protocol.payword.sha256_noble_reused_per_s': {
      value: Math.round(hashes.nobleReused),
      unit: 'hashes/s',
    },
    'protocol.payword.sha256_node_createhash_per_s': {
      value: Math.round(hashes.nodeCreateHash),
      unit: 'hashes/s',
    },
    'protocol.payword.sha256_node_hash_per_s': {
      value: Math.round(hashes.nodeHash),
      unit: 'hashes/s',
    },
    'protocol.payword.commitment_verify_noble_per_s': {
      value: Math.round(commitments.noble),
      unit: 'commitments/s',
    },
    'protocol.payword.commitment_verify_node_per_s': {
      value: Math.round(commitments.node),
      unit: 'commitments/s',
    },
  };
}
