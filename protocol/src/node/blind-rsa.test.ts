import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modInverse } from '../blind-rsa/bigint.ts';
import {
  generateTestKey,
  hex,
  rfc9474,
  variants,
  vectorKey,
} from '../blind-rsa/blind-rsa.fixture.ts';
import { blind, blindSign, finalize, prepare, verify } from '../blind-rsa/rsabssa.ts';
import { toBase64url } from '../encoding.ts';
import {
  blindRsaPublicKeyFromKeyObject,
  nodeBlindRsaSigner,
  nodePublicKeyObject,
  nodeRawPrivateOperation,
  nodeRawPublicOperation,
  verifyNative,
} from './blind-rsa.ts';

const code = (c: string) => expect.objectContaining({ code: c });
const b64 = (x: bigint) => {
  const text = x.toString(16);
  return toBase64url(hex(text.length % 2 === 0 ? text : `0${text}`));
};

const key = generateTestKey();
const signer = nodeBlindRsaSigner(key.privateKey);
const pss = 'RSABSSA-SHA384-PSS-Randomized';

describe('the Node-native blind RSA signer', () => {
  it('reads the public key out of the private key', () => {
    expect(signer.publicKey).toEqual(key.publicKey);
    expect(blindRsaPublicKeyFromKeyObject(key.publicKeyObject)).toEqual(key.publicKey);
  });

  it('reproduces every RFC 9474 Appendix A blind signature from the vector key', () => {
    const { n, e, d, p, q } = vectorKey;
    const privateKey = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        n: b64(n),
        e: b64(e),
        d: b64(d),
        p: b64(p),
        q: b64(q),
        dp: b64(d % (p - 1n)),
        dq: b64(d % (q - 1n)),
        qi: b64(modInverse(q, p)!),
      },
    });
    const vectorSigner = nodeBlindRsaSigner(privateKey);
    for (const v of rfc9474.vectors) {
      expect(blindSign(vectorSigner, hex(v.blinded_msg))).toEqual(hex(v.blind_sig));
      expect(() =>
        verifyNative(v.name, vectorSigner.publicKey, hex(v.prepared_msg), hex(v.sig)),
      ).not.toThrow();
    }
  });

  it.each(variants)('signs blinded messages that finalize and verify natively, %s', (variant) => {
    const preparedMsg = prepare(variant, Uint8Array.of(1, 2, 3));
    const { blindedMsg, inv } = blind(variant, signer.publicKey, preparedMsg);
    const sig = finalize(
      variant,
      signer.publicKey,
      preparedMsg,
      blindSign(signer, blindedMsg),
      inv,
    );
    expect(() => verifyNative(variant, signer.publicKey, preparedMsg, sig)).not.toThrow();
  });

  it('computes x^d and s^e exactly as the raw RSA operations', () => {
    const x = new Uint8Array(256);
    x[255] = 2;
    const s = nodeRawPrivateOperation(key.privateKey)(x);
    expect(nodeRawPublicOperation(key.publicKeyObject)(s)).toEqual(x);
  });

  it('self-checks with the native public operation and refuses a faulty private one', () => {
    const preparedMsg = prepare(pss, Uint8Array.of(9));
    const { blindedMsg } = blind(pss, signer.publicKey, preparedMsg);
    const faulty = {
      ...signer,
      privateOperation: (x: Uint8Array) => {
        const s = signer.privateOperation(x);
        s[0]! ^= 1;
        return s;
      },
    };
    expect(() => blindSign(faulty, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
    const garbage = { ...signer, privateOperation: () => new Uint8Array(256).fill(0xff) };
    expect(() => blindSign(garbage, blindedMsg)).toThrow(code('blind_rsa_signing_failed'));
  });

  it('rejects id-RSASSA-PSS keys, on which OpenSSL refuses the raw RSA operation', () => {
    const { privateKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    expect(() => nodeBlindRsaSigner(privateKey)).toThrow(code('invalid_key'));
  });

  it('rejects keys that are not RSA, too small, or not KeyObjects', () => {
    const { privateKey: ed } = generateKeyPairSync('ed25519');
    expect(() => nodeBlindRsaSigner(ed)).toThrow(code('invalid_key'));
    const { privateKey: small } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => nodeBlindRsaSigner(small)).toThrow(code('invalid_key'));
    expect(() => nodeBlindRsaSigner(key.publicKeyObject)).toThrow(code('invalid_argument'));
    expect(() => nodeBlindRsaSigner('pem' as never)).toThrow(code('invalid_argument'));
  });
});

describe('native RSA-PSS verification', () => {
  const preparedMsg = prepare(pss, Uint8Array.of(4, 2));
  const { blindedMsg, inv } = blind(pss, signer.publicKey, preparedMsg);
  const sig = finalize(pss, signer.publicKey, preparedMsg, blindSign(signer, blindedMsg), inv);

  it('reuses one native key object per public key', () => {
    expect(nodePublicKeyObject(signer.publicKey)).toBe(nodePublicKeyObject(signer.publicKey));
  });

  it('agrees with the BigInt verification on tampered signatures and messages', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 256 * 8 - 1 }),
        fc.boolean(),
        fc.constantFrom(...variants),
        (bit, tamperMessage, variant) => {
          const s = sig.slice();
          const m = preparedMsg.slice();
          if (tamperMessage) m[bit % m.length]! ^= 1;
          else s[bit >> 3]! ^= 0x80 >> (bit & 7);
          const bigint = (() => {
            try {
              verify(variant, signer.publicKey, m, s);
              return true;
            } catch {
              return false;
            }
          })();
          const native = (() => {
            try {
              verifyNative(variant, signer.publicKey, m, s);
              return true;
            } catch {
              return false;
            }
          })();
          expect(native).toBe(bigint);
          expect(native).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('throws bad_signature for a wrong signature, length or salt length', () => {
    expect(() => verifyNative(pss, signer.publicKey, preparedMsg, sig.subarray(1))).toThrow(
      code('bad_signature'),
    );
    expect(() =>
      verifyNative('RSABSSA-SHA384-PSSZERO-Randomized', signer.publicKey, preparedMsg, sig),
    ).toThrow(code('bad_signature'));
    expect(() => verifyNative('nope' as never, signer.publicKey, preparedMsg, sig)).toThrow(
      code('invalid_argument'),
    );
  });
});
