import { readFileSync } from 'node:fs';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { describe, expect, it } from 'vitest';
import { utf8Bytes } from '../encoding.ts';
import { isFarthingError } from '../errors.ts';
import { envelopeKeyPairFromSeed, envelopeSuite, openEnvelope, sealEnvelope } from './hpke.ts';

interface Rfc9180Vector {
  readonly section: string;
  readonly mode: number;
  readonly aead_id: number;
  readonly info: string;
  readonly ikmE: string;
  readonly ikmR: string;
  readonly pkRm: string;
  readonly skRm: string;
  readonly enc: string;
  readonly encryptions: readonly {
    readonly sequence_number: number;
    readonly pt: string;
    readonly aad: string;
    readonly ct: string;
  }[];
  readonly exports: readonly {
    readonly exporter_context: string;
    readonly L: number;
    readonly exported_value: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/hpke/rfc9180.json', import.meta.url), 'utf8'),
) as { readonly vectors: readonly Rfc9180Vector[] };

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(new Uint8Array(bytes)).toString('hex');

const aeads = { 1: () => new Aes128Gcm(), 3: () => new Chacha20Poly1305() } as const;

describe('RFC 9180 test vectors (base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256)', () => {
  for (const vector of vectors.vectors) {
    const name = vector.aead_id === 1 ? 'AES-128-GCM' : 'ChaCha20Poly1305';
    it(`derives the keys, encrypts and exports as published (${vector.section}, ${name})`, async () => {
      expect(vector.mode).toBe(0);
      const suite = new CipherSuite({
        kem: new DhkemX25519HkdfSha256(),
        kdf: new HkdfSha256(),
        aead: aeads[vector.aead_id as 1 | 3](),
      });
      // §7.1.3 DeriveKeyPair from the published input keying material.
      const recipient = await suite.kem.deriveKeyPair(hex(vector.ikmR));
      expect(toHex(await suite.kem.serializePublicKey(recipient.publicKey))).toBe(vector.pkRm);
      expect(toHex(await suite.kem.serializePrivateKey(recipient.privateKey))).toBe(vector.skRm);

      const sender = await suite.createSenderContext({
        recipientPublicKey: recipient.publicKey,
        info: hex(vector.info),
        ekm: hex(vector.ikmE),
      });
      expect(toHex(sender.enc)).toBe(vector.enc);
      const receiver = await suite.createRecipientContext({
        recipientKey: recipient.privateKey,
        enc: hex(vector.enc),
        info: hex(vector.info),
      });
      // §5.2: the nth message uses sequence number n, so seal and open every message up to
      // the last listed one and compare those the RFC lists.
      const listed = new Map(vector.encryptions.map((e) => [e.sequence_number, e]));
      const last = Math.max(...listed.keys());
      const pt = hex(vector.encryptions[0]!.pt);
      for (let sequence = 0; sequence <= last; sequence++) {
        const expected = listed.get(sequence);
        const aad = expected === undefined ? new Uint8Array() : hex(expected.aad);
        const ct = await sender.seal(pt, aad);
        if (expected !== undefined) expect(toHex(ct)).toBe(expected.ct);
        expect(toHex(await receiver.open(ct, aad))).toBe(toHex(pt));
      }
      for (const exported of vector.exports) {
        const value = await sender.export(hex(exported.exporter_context), exported.L);
        expect(toHex(value)).toBe(exported.exported_value);
      }
    });
  }

  it('is the suite of the first vector: the envelope suite opens its first ciphertext', async () => {
    const [vector] = vectors.vectors;
    const recipient = await envelopeSuite.kem.deriveKeyPair(hex(vector!.ikmR));
    const plaintext = await envelopeSuite.open(
      { recipientKey: recipient.privateKey, enc: hex(vector!.enc), info: hex(vector!.info) },
      hex(vector!.encryptions[0]!.ct),
      hex(vector!.encryptions[0]!.aad),
    );
    expect(toHex(plaintext)).toBe(vector!.encryptions[0]!.pt);
  });
});

describe('envelopes', () => {
  const info = utf8Bytes('info');
  const aad = utf8Bytes('aad');
  const plaintext = utf8Bytes('payment information');

  it('opens what was sealed to the key pair of a seed, and derives the same key each time', async () => {
    const seed = new Uint8Array(32).fill(7);
    const recipient = await envelopeKeyPairFromSeed(seed);
    expect((await envelopeKeyPairFromSeed(seed)).publicKey).toEqual(recipient.publicKey);
    const envelope = await sealEnvelope({
      recipientPublicKey: recipient.publicKey,
      info,
      aad,
      plaintext,
    });
    expect(await openEnvelope({ recipient, envelope, info, aad })).toEqual(plaintext);
  });

  it('refuses another recipient, info, aad or a changed byte with one code', async () => {
    const recipient = await envelopeKeyPairFromSeed(new Uint8Array(32).fill(1));
    const other = await envelopeKeyPairFromSeed(new Uint8Array(32).fill(2));
    const envelope = await sealEnvelope({
      recipientPublicKey: recipient.publicKey,
      info,
      aad,
      plaintext,
    });
    const flipped = { ...envelope, ciphertext: envelope.ciphertext.slice() };
    flipped.ciphertext[0]! ^= 1;
    // Each refusal is caught as it is made: a rejection left waiting for a later await is an
    // unhandled rejection, which fails the whole run.
    const refusals = await Promise.all(
      [
        openEnvelope({ recipient: other, envelope, info, aad }),
        openEnvelope({ recipient, envelope, info: utf8Bytes('other'), aad }),
        openEnvelope({ recipient, envelope, info, aad: utf8Bytes('other') }),
        openEnvelope({ recipient, envelope: flipped, info, aad }),
      ].map((attempt) => attempt.catch((error: unknown) => error)),
    );
    for (const error of refusals) {
      expect(isFarthingError(error, 'set_envelope_invalid')).toBe(true);
    }
  });
});
