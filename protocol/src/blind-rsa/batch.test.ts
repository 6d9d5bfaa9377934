import { sha384 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blindBatch, finalizeBatch, verifyBatch } from './batch.ts';
import { i2osp } from './bigint.ts';
import { bigintSigner, generateTestKey, replay, variants } from './blind-rsa.fixture.ts';
import { blindRsaPublicKey } from './public-key.ts';
import {
  type BlindRsaVariant,
  blind,
  blindSign,
  finalize,
  prepare,
  type RandomSource,
} from './rsabssa.ts';

const key = generateTestKey();
const { publicKey } = key;
const signer = bigintSigner(key.integers);
const pss: BlindRsaVariant = 'RSABSSA-SHA384-PSS-Randomized';
const code = (c: string, details?: Record<string, unknown>) =>
  expect.objectContaining(details === undefined ? { code: c } : { code: c, details });

function counterRandom(seed: number): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 48) {
      out.set(
        sha384(Uint8Array.of(seed, counter++)).subarray(0, Math.min(48, length - offset)),
        offset,
      );
    }
    return out;
  };
}

function withdraw(variant: BlindRsaVariant, count: number) {
  const preparedMsgs = Array.from({ length: count }, (_, i) => prepare(variant, Uint8Array.of(i)));
  const blinded = blindBatch(variant, publicKey, preparedMsgs);
  const items = blinded.map(({ blindedMsg, inv }, i) => ({
    preparedMsg: preparedMsgs[i]!,
    blindSig: blindSign(signer, blindedMsg),
    inv,
  }));
  return { preparedMsgs, blinded, items };
}

describe('blinding a withdrawal in one batch', () => {
  it('gives the same results as blinding each message in turn', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...variants),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 255 }),
        (variant, msgs, seed) => {
          const one = counterRandom(seed);
          const singles = msgs.map((msg) => blind(variant, publicKey, msg, { random: one }));
          expect(blindBatch(variant, publicKey, msgs, { random: counterRandom(seed) })).toEqual(
            singles,
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it.each(variants)('finalizes and verifies every coin of a %s withdrawal', async (variant) => {
    const { preparedMsgs, items } = withdraw(variant, 5);
    const sigs = await finalizeBatch(variant, publicKey, items);
    sigs.forEach((sig, i) => {
      expect(sig).toEqual(
        finalize(variant, publicKey, preparedMsgs[i]!, items[i]!.blindSig, items[i]!.inv),
      );
    });
    await verifyBatch(
      variant,
      publicKey,
      sigs.map((signature, i) => ({ preparedMsg: preparedMsgs[i]!, signature })),
    );
  });

  it('handles an empty withdrawal', async () => {
    expect(blindBatch(pss, publicKey, [])).toEqual([]);
    expect(await finalizeBatch(pss, publicKey, [])).toEqual([]);
    await verifyBatch(pss, publicKey, []);
  });

  it('names the message whose blinding factor is not invertible', () => {
    const salt = new Uint8Array(48);
    const good = i2osp(12345n, 256)!;
    const bad = i2osp(key.integers.q, 256)!;
    expect(() =>
      blindBatch(pss, publicKey, [Uint8Array.of(1), Uint8Array.of(2)], {
        random: replay(salt, good, salt, bad),
      }),
    ).toThrow(code('blind_rsa_not_invertible', { field: 'r', index: 1 }));
  });

  it('names the first coin whose blind signature is bad', async () => {
    const { preparedMsgs, items } = withdraw(pss, 3);
    const tampered = items.map((item, i) =>
      i === 0 ? item : { ...item, blindSig: item.blindSig.map((b, j) => (j === 5 ? b ^ 1 : b)) },
    );
    await expect(finalizeBatch(pss, publicKey, tampered)).rejects.toThrow(
      code('bad_signature', { field: 'blindSig', index: 1 }),
    );
    const sigs = await finalizeBatch(pss, publicKey, items);
    const swapped = [
      { preparedMsg: preparedMsgs[0]!, signature: sigs[0]! },
      { preparedMsg: preparedMsgs[1]!, signature: sigs[2]! },
    ];
    await expect(verifyBatch(pss, publicKey, swapped)).rejects.toThrow(
      code('bad_signature', { field: 'signature', index: 1 }),
    );
    await expect(
      verifyBatch(pss, publicKey, [
        { preparedMsg: preparedMsgs[0]!, signature: sigs[0]!.subarray(1) },
      ]),
    ).rejects.toThrow(code('bad_signature', { field: 'signature', index: 0 }));
  });

  describe('without a working WebCrypto', () => {
    afterEach(() => vi.unstubAllGlobals());

    it('gives the same answers with BigInt when crypto.subtle is missing or failing', async () => {
      const { preparedMsgs, items } = withdraw(pss, 2);
      const webCryptoSigs = await finalizeBatch(pss, publicKey, items);
      const realCrypto = globalThis.crypto;
      const getRandomValues = realCrypto.getRandomValues.bind(realCrypto);
      const failingSubtle = {
        importKey: realCrypto.subtle.importKey.bind(realCrypto.subtle),
        verify: () => Promise.reject(new Error('operation failed')),
      };
      for (const stub of [{ getRandomValues }, { getRandomValues, subtle: failingSubtle }]) {
        vi.stubGlobal('crypto', stub);
        // A fresh key object, so no CryptoKey is cached for it yet.
        const freshKey = blindRsaPublicKey({ n: publicKey.n, e: publicKey.e });
        expect(await finalizeBatch(pss, freshKey, items)).toEqual(webCryptoSigs);
        const swapped = [{ preparedMsg: preparedMsgs[0]!, signature: webCryptoSigs[1]! }];
        await expect(verifyBatch(pss, freshKey, swapped)).rejects.toThrow(
          code('bad_signature', { field: 'signature', index: 0 }),
        );
        vi.unstubAllGlobals();
      }
    });
  });

  it('rejects malformed batch arguments with invalid_argument naming the item', async () => {
    expect(() => blindBatch(pss, publicKey, 'msgs' as unknown as Uint8Array[])).toThrow(
      code('invalid_argument', { field: 'preparedMsgs' }),
    );
    expect(() =>
      blindBatch(pss, publicKey, [Uint8Array.of(1), 2 as unknown as Uint8Array]),
    ).toThrow(
      code('invalid_argument', { field: 'preparedMsgs[1]', expected: 'Uint8Array', got: 'number' }),
    );
    const { items } = withdraw(pss, 1);
    await expect(
      finalizeBatch(pss, publicKey, [{ ...items[0]!, inv: items[0]!.inv.subarray(2) }]),
    ).rejects.toThrow(code('invalid_argument', { field: 'items[0].inv', expected: 256, got: 254 }));
    await expect(finalizeBatch(pss, publicKey, [null as never])).rejects.toThrow(
      code('invalid_argument'),
    );
  });
});
