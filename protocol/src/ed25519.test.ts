import { describe, expect, it } from 'vitest';
import {
  ed25519PublicKey,
  ed25519Sign,
  ed25519Signer,
  nobleEd25519Verify,
  randomSecretKey,
} from './ed25519.ts';
import { FarthingError } from './errors.ts';
import { nodeEd25519Signer, nodeEd25519Verify } from './node/ed25519.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'));

// RFC 8032 §7.1, TEST 1 and TEST 3.
const vectors = [
  {
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Ed25519', () => {
  it.each(vectors)('matches RFC 8032 §7.1 vector $publicKey', async (vector) => {
    const secretKey = hex(vector.secretKey);
    const message = hex(vector.message);
    expect(ed25519PublicKey(secretKey)).toEqual(hex(vector.publicKey));
    expect(ed25519Sign(message, secretKey)).toEqual(hex(vector.signature));
    expect(await nodeEd25519Signer(secretKey).sign(message)).toEqual(hex(vector.signature));
    for (const verify of [nobleEd25519Verify, nodeEd25519Verify]) {
      expect(verify(hex(vector.signature), message, hex(vector.publicKey))).toBe(true);
    }
  });

  it('rejects tampered signatures, messages and keys in both verifiers', async () => {
    const signer = ed25519Signer(randomSecretKey());
    const message = Uint8Array.of(1, 2, 3);
    const signature = await signer.sign(message);
    for (const verify of [nobleEd25519Verify, nodeEd25519Verify]) {
      expect(verify(signature, message, signer.publicKey)).toBe(true);
      const badSig = signature.slice();
      badSig[10]! ^= 1;
      expect(verify(badSig, message, signer.publicKey)).toBe(false);
      expect(verify(signature, Uint8Array.of(1, 2, 4), signer.publicKey)).toBe(false);
      expect(verify(signature, message, ed25519PublicKey(randomSecretKey()))).toBe(false);
      expect(verify(signature.subarray(1), message, signer.publicKey)).toBe(false);
      expect(verify(signature, message, new Uint8Array(31))).toBe(false);
      // A public key that is not a curve point.
      expect(verify(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
    }
  });

  it('agrees with the native verifier on a non-canonical S (strict RFC 8032 §5.1.7)', () => {
    const secretKey = hex(vectors[0]!.secretKey);
    const signature = hex(vectors[0]!.signature);
    // S + L, where L is the group order: same point equation, but S ≥ L must be rejected.
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    let big = s + order;
    const malleated = signature.slice();
    for (let i = 0; i < 32; i++) {
      malleated[32 + i] = Number(big & 0xffn);
      big >>= 8n;
    }
    const publicKey = ed25519PublicKey(secretKey);
    expect(nobleEd25519Verify(malleated, new Uint8Array(0), publicKey)).toBe(false);
    expect(nodeEd25519Verify(malleated, new Uint8Array(0), publicKey)).toBe(false);
  });

  it('refuses inputs of the wrong type with a coded error', () => {
    expect(() => ed25519PublicKey(new Uint8Array(31))).toThrow(FarthingError);
    expect(() => ed25519Sign('m' as unknown as Uint8Array, new Uint8Array(32))).toThrow(
      FarthingError,
    );
    expect(() =>
      nodeEd25519Verify(null as unknown as Uint8Array, new Uint8Array(0), new Uint8Array(32)),
    ).toThrow(FarthingError);
    expect(() => nodeEd25519Signer(new Uint8Array(16))).toThrow(FarthingError);
  });
});
