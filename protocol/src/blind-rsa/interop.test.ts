/**
 * Cross-checks against @cloudflare/blindrsa-ts (a dev dependency, never used in production
 * code): each side's blinded messages, signed by our native signer, finalize and verify on the
 * other side; our signatures verify with Node's native RSA-PSS and with WebCrypto.
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { type BlindRSA, RSABSSA } from '@cloudflare/blindrsa-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeBlindRsaSigner } from '../node/blind-rsa.ts';
import { generateTestKey, variants } from './blind-rsa.fixture.ts';
import { publicKeyToJwk } from './public-key.ts';
import {
  type BlindRsaVariant,
  blind,
  blindRsaVariants,
  blindSign,
  finalize,
  prepare,
  verify,
} from './rsabssa.ts';

const key = generateTestKey(2048);
const signer = nodeBlindRsaSigner(key.privateKey);
const { publicKey } = signer;

const reference: Record<BlindRsaVariant, () => BlindRSA> = {
  'RSABSSA-SHA384-PSS-Randomized': () => RSABSSA.SHA384.PSS.Randomized(),
  'RSABSSA-SHA384-PSSZERO-Randomized': () => RSABSSA.SHA384.PSSZero.Randomized(),
  'RSABSSA-SHA384-PSS-Deterministic': () => RSABSSA.SHA384.PSS.Deterministic(),
  'RSABSSA-SHA384-PSSZERO-Deterministic': () => RSABSSA.SHA384.PSSZero.Deterministic(),
};

let referencePublicKey: CryptoKey;

beforeAll(async () => {
  // The reference library reads n and e back out of the key, so it must be extractable.
  referencePublicKey = await crypto.subtle.importKey(
    'jwk',
    { ...publicKeyToJwk(publicKey) },
    { name: 'RSA-PSS', hash: 'SHA-384' },
    true,
    ['verify'],
  );
});

describe.each(variants)('interoperability with @cloudflare/blindrsa-ts, %s', (variant) => {
  const theirs = reference[variant]();
  const msg = new TextEncoder().encode(`coin for ${variant}`);

  it('finalizes and verifies, with their code, a message we blinded and our signer signed', async () => {
    const preparedMsg = prepare(variant, msg);
    const { blindedMsg, inv } = blind(variant, publicKey, preparedMsg);
    const blindSig = blindSign(signer, blindedMsg);
    const sig = await theirs.finalize(referencePublicKey, preparedMsg, blindSig, inv);
    expect(await theirs.verify(referencePublicKey, sig, preparedMsg)).toBe(true);
    expect(sig).toEqual(finalize(variant, publicKey, preparedMsg, blindSig, inv));
  });

  it('finalizes and verifies, with our code, a message they blinded and our signer signed', async () => {
    const preparedMsg = theirs.prepare(msg);
    const { blindedMsg, inv } = await theirs.blind(referencePublicKey, preparedMsg);
    const blindSig = blindSign(signer, blindedMsg);
    const sig = finalize(variant, publicKey, preparedMsg, blindSig, inv);
    expect(() => verify(variant, publicKey, preparedMsg, sig)).not.toThrow();
    expect(await theirs.verify(referencePublicKey, sig, preparedMsg)).toBe(true);
  });

  it('produces signatures that Node and WebCrypto verify as plain RSA-PSS SHA-384', async () => {
    const preparedMsg = prepare(variant, msg);
    const { blindedMsg, inv } = blind(variant, publicKey, preparedMsg);
    const sig = finalize(variant, publicKey, preparedMsg, blindSign(signer, blindedMsg), inv);
    const { saltLength } = blindRsaVariants[variant];
    const pssOptions = { key: key.publicKeyObject, padding: constants.RSA_PKCS1_PSS_PADDING };
    expect(nodeVerify('sha384', preparedMsg, { ...pssOptions, saltLength }, sig)).toBe(true);
    expect(
      await crypto.subtle.verify(
        { name: 'RSA-PSS', saltLength },
        referencePublicKey,
        new Uint8Array(sig),
        new Uint8Array(preparedMsg),
      ),
    ).toBe(true);
  });
});
