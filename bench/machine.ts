/**
 * The machine's speed in this run, as the unchanged reference implementation measures it:
 * `@cloudflare/blindrsa-ts` preparing, blinding, finalizing and verifying one RFC 9474 coin
 * (RSABSSA-SHA384-PSS-Randomized, 2048-bit; the mint's signature in between is made by our
 * native signer and not counted), as `protocol.blind_rsa.reference_ms_per_coin` measures it.
 * Every `npm run bench` measures it first, so a figure can be read against the speed the
 * machine had in the same run (`machine.reference_ms_per_coin`, median of rounds with range).
 */
import { generateKeyPairSync } from 'node:crypto';
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { blindSign } from '@farthing/protocol/blind-rsa';
import { publicKeyToJwk } from '@farthing/protocol/blind-rsa/public-key';
import { nodeBlindRsaSigner } from '@farthing/protocol/node/blind-rsa';
import { median, roundsMetric } from './stats.ts';
import type { Metrics } from './targets.ts';

const rounds = 5;
const coinsPerRound = 5;

export async function machineSpeed(): Promise<Metrics> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const signer = nodeBlindRsaSigner(privateKey);
  const referencePublic = await crypto.subtle.importKey(
    'jwk',
    { ...publicKeyToJwk(signer.publicKey) },
    { name: 'RSA-PSS', hash: 'SHA-384' },
    true,
    ['verify'],
  );
  const reference = RSABSSA.SHA384.PSS.Randomized();
  const coin = async (i: number): Promise<number> => {
    const message = new Uint8Array(32);
    new DataView(message.buffer).setUint32(0, i);
    let started = performance.now();
    const preparedMsg = reference.prepare(message);
    const { blindedMsg, inv } = await reference.blind(referencePublic, preparedMsg);
    const elapsed = performance.now() - started;
    const blindSig = blindSign(signer, blindedMsg);
    started = performance.now();
    const sig = await reference.finalize(referencePublic, preparedMsg, blindSig, inv);
    if (!(await reference.verify(referencePublic, sig, preparedMsg))) throw new Error('reference');
    return elapsed + performance.now() - started;
  };
  for (let i = 0; i < 3; i++) await coin(i);
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const times: number[] = [];
    for (let i = 0; i < coinsPerRound; i++) times.push(await coin(round * coinsPerRound + i));
    perRound.push(median(times));
  }
  return { 'machine.reference_ms_per_coin': roundsMetric(perRound, 'ms', 3) };
}
