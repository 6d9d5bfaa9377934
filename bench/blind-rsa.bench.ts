/**
 * RFC 9474 blind RSA: what the wallet pays per coin (prepare + blind + finalize + verify) and
 * how many blind signatures per second the mint's native signer gives, each beside the same
 * figure for @cloudflare/blindrsa-ts, on one fresh 2048-bit key.
 *
 * The signing step between blind and finalize is not counted in the wallet figures (the mint
 * does it). `wallet_ms_per_coin` is the path the wallet takes for a withdrawal: 100 coins
 * blinded with one inversion, finalized and verified with WebCrypto in parallel;
 * `wallet_single_ms_per_coin` is one coin through the synchronous BigInt path.
 *
 * Run alone: npx tsx -e "import('./bench/blind-rsa.bench.ts').then(m=>m.run()).then(console.log)"
 */
import { constants, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { type BlindRSA, RSABSSA } from '@cloudflare/blindrsa-ts';
import {
  type BlindRsaVariant,
  blind,
  blindSign,
  finalize,
  prepare,
  verify,
} from '@farthing/protocol/blind-rsa';
import { blindBatch, finalizeBatch, verifyBatch } from '@farthing/protocol/blind-rsa/batch';
import { publicKeyToJwk } from '@farthing/protocol/blind-rsa/public-key';
import { nodeBlindRsaSigner } from '@farthing/protocol/node/blind-rsa';
import { roundsMetric } from './stats.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const variant: BlindRsaVariant = 'RSABSSA-SHA384-PSS-Randomized';
const withdrawalSize = 100;

function coinMessage(i: number): Uint8Array {
  const msg = new Uint8Array(32);
  new DataView(msg.buffer).setUint32(0, i);
  return msg;
}

export async function run(): Promise<Metrics> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const signer = nodeBlindRsaSigner(privateKey);
  const { publicKey } = signer;
  const jwk = privateKey.export({ format: 'jwk' });
  const algorithm = { name: 'RSA-PSS', hash: 'SHA-384' };
  const referencePublic = await crypto.subtle.importKey(
    'jwk',
    { ...publicKeyToJwk(publicKey) },
    algorithm,
    true,
    ['verify'],
  );
  const referencePrivate = await crypto.subtle.importKey('jwk', jwk, algorithm, true, ['sign']);
  const reference: BlindRSA = RSABSSA.SHA384.PSS.Randomized();

  // --- ours, one coin at a time (synchronous BigInt)
  const singleCoin = (i: number): number => {
    let started = performance.now();
    const preparedMsg = prepare(variant, coinMessage(i));
    const { blindedMsg, inv } = blind(variant, publicKey, preparedMsg);
    let elapsed = performance.now() - started;
    const blindSig = blindSign(signer, blindedMsg);
    started = performance.now();
    const sig = finalize(variant, publicKey, preparedMsg, blindSig, inv);
    verify(variant, publicKey, preparedMsg, sig);
    elapsed += performance.now() - started;
    return elapsed;
  };
  for (let i = 0; i < 300; i++) singleCoin(i);
  const singleRuns: number[] = [];
  for (let run = 0; run < 5; run++) {
    let total = 0;
    for (let i = 0; i < 300; i++) total += singleCoin(i);
    singleRuns.push(total / 300);
  }

  // --- ours, a withdrawal of 100 coins (batch inversion, WebCrypto verification in parallel)
  const withdrawal = async (): Promise<number> => {
    let started = performance.now();
    const preparedMsgs = Array.from({ length: withdrawalSize }, (_, i) =>
      prepare(variant, coinMessage(i)),
    );
    const blinded = blindBatch(variant, publicKey, preparedMsgs);
    let elapsed = performance.now() - started;
    const blindSigs = blinded.map(({ blindedMsg }) => blindSign(signer, blindedMsg));
    started = performance.now();
    const sigs = await finalizeBatch(
      variant,
      publicKey,
      blinded.map(({ inv }, i) => ({
        preparedMsg: preparedMsgs[i]!,
        blindSig: blindSigs[i]!,
        inv,
      })),
    );
    await verifyBatch(
      variant,
      publicKey,
      sigs.map((signature, i) => ({ preparedMsg: preparedMsgs[i]!, signature })),
    );
    elapsed += performance.now() - started;
    return elapsed / withdrawalSize;
  };
  for (let i = 0; i < 3; i++) await withdrawal();
  const batchRuns: number[] = [];
  for (let run = 0; run < 9; run++) batchRuns.push(await withdrawal());

  // --- @cloudflare/blindrsa-ts, the same steps (signed by our signer, not counted)
  const referenceCoin = async (i: number): Promise<number> => {
    let started = performance.now();
    const preparedMsg = reference.prepare(coinMessage(i));
    const { blindedMsg, inv } = await reference.blind(referencePublic, preparedMsg);
    let elapsed = performance.now() - started;
    const blindSig = blindSign(signer, blindedMsg);
    started = performance.now();
    const sig = await reference.finalize(referencePublic, preparedMsg, blindSig, inv);
    if (!(await reference.verify(referencePublic, sig, preparedMsg))) throw new Error('reference');
    elapsed += performance.now() - started;
    return elapsed;
  };
  for (let i = 0; i < 3; i++) await referenceCoin(i);
  const referenceRuns: number[] = [];
  for (let i = 0; i < 15; i++) referenceRuns.push(await referenceCoin(i));

  // --- signing: our native signer (with its self-check) and the reference's blindSign
  const toSign = Array.from(
    { length: 64 },
    (_, i) => blind(variant, publicKey, prepare(variant, coinMessage(i))).blindedMsg,
  );
  const signRate = (): number => {
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < 1_000) {
      blindSign(signer, toSign[count % toSign.length]!);
      count++;
    }
    return (count * 1000) / (performance.now() - started);
  };
  signRate();
  const signRuns = [signRate(), signRate(), signRate()];
  await reference.blindSign(referencePrivate, toSign[0]!);
  const referenceSignRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await reference.blindSign(referencePrivate, toSign[i]!);
    referenceSignRuns.push(1000 / (performance.now() - started));
  }

  // --- verification choices behind the wallet's paths (one signature, ms each)
  const preparedMsg = prepare(variant, coinMessage(1));
  const { blindedMsg, inv } = blind(variant, publicKey, preparedMsg);
  const sig = finalize(variant, publicKey, preparedMsg, blindSign(signer, blindedMsg), inv);
  const timeSync = (fn: () => void, count: number): number => {
    for (let i = 0; i < count / 4; i++) fn();
    const started = performance.now();
    for (let i = 0; i < count; i++) fn();
    return (performance.now() - started) / count;
  };
  const verifyBigint = timeSync(() => verify(variant, publicKey, preparedMsg, sig), 2_000);
  const nativeKey = { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
  const verifyNode = timeSync(() => nodeVerify('sha384', preparedMsg, nativeKey, sig), 5_000);
  const [sigBuffer, msgBuffer] = [new Uint8Array(sig), new Uint8Array(preparedMsg)];
  const webCryptoOnce = () =>
    crypto.subtle.verify(
      { name: 'RSA-PSS', saltLength: 48 },
      referencePublic,
      sigBuffer,
      msgBuffer,
    );
  for (let i = 0; i < 200; i++) await webCryptoOnce();
  let started = performance.now();
  for (let i = 0; i < 2_000; i++) await webCryptoOnce();
  const verifyWebCrypto = (performance.now() - started) / 2_000;
  started = performance.now();
  for (let i = 0; i < 20; i++) {
    await Promise.all(Array.from({ length: withdrawalSize }, webCryptoOnce));
  }
  const verifyWebCryptoParallel = (performance.now() - started) / (20 * withdrawalSize);

  return {
    // Medians of the runs, with their range (stats.ts).
    'protocol.blind_rsa.wallet_ms_per_coin': roundsMetric(batchRuns, 'ms', 3),
    'protocol.blind_rsa.wallet_single_ms_per_coin': roundsMetric(singleRuns, 'ms', 3),
    'protocol.blind_rsa.reference_ms_per_coin': roundsMetric(referenceRuns, 'ms', 3),
    'protocol.blind_rsa.sign_per_s': roundsMetric(signRuns, 'ops/s', 4),
    'protocol.blind_rsa.reference_sign_per_s': roundsMetric(referenceSignRuns, 'ops/s', 3),
    'protocol.blind_rsa.verify_bigint_ms': { value: verifyBigint, unit: 'ms' },
    'protocol.blind_rsa.verify_webcrypto_ms': { value: verifyWebCrypto, unit: 'ms' },
    'protocol.blind_rsa.verify_webcrypto_parallel_ms': {
      value: verifyWebCryptoParallel,
      unit: 'ms',
    },
    'protocol.blind_rsa.verify_node_native_ms': { value: verifyNode, unit: 'ms' },
  };
}
