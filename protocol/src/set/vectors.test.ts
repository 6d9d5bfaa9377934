import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nobleEd25519Verify } from '../ed25519.ts';
import { fromBase64url } from '../encoding.ts';
import { isFarthingError } from '../errors.ts';
import { parseMessage } from '../schema.ts';
import { cardAccountDigest } from './card-account.ts';
import {
  parseSetMessage,
  type SetMessageType,
  setMessageSigningBytes,
  setMessageToWire,
  setMessageTypes,
  verifySetMessage,
} from './messages.ts';
import {
  dualSignatureBytes,
  orderInformationDigest,
  orderInformationSchema,
  paymentInformationDigest,
  paymentInformationSchema,
  verifyDualSignature,
} from './purchase.ts';

interface SetVectors {
  readonly signerPublicKey: string;
  readonly cardAccount: { pan: string; expiry: string; cardSecret: string; digest: string };
  readonly dualSignature: {
    oi: unknown;
    pi: unknown;
    oiDigest: string;
    piDigest: string;
    signedBytes: string;
    signature: string;
  };
  readonly messages: readonly { type: SetMessageType; signingBytes: string; wire: unknown }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/set/set-vectors.json', import.meta.url), 'utf8'),
) as SetVectors;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const publicKey = fromBase64url(vectors.signerPublicKey);

describe('project SET vectors (test/vectors/set/set-vectors.json)', () => {
  it('recomputes the card account digest', () => {
    const { pan, expiry, cardSecret, digest } = vectors.cardAccount;
    expect(hex(cardAccountDigest({ pan, expiry, cardSecret: fromBase64url(cardSecret) }))).toBe(
      digest,
    );
  });

  it('recomputes H(OI), H(PI), the signed bytes and verifies the dual signature', () => {
    const ds = vectors.dualSignature;
    const oi = parseMessage(orderInformationSchema, ds.oi, 'OI');
    const pi = parseMessage(paymentInformationSchema, ds.pi, 'PI');
    const oiDigest = orderInformationDigest(oi);
    const piDigest = paymentInformationDigest(pi);
    expect(hex(oiDigest)).toBe(ds.oiDigest);
    expect(hex(piDigest)).toBe(ds.piDigest);
    expect(hex(dualSignatureBytes(piDigest, oiDigest))).toBe(ds.signedBytes);
    verifyDualSignature({
      dualSignature: Buffer.from(ds.signature, 'hex'),
      piDigest,
      oiDigest,
      cardholderPublicKey: publicKey,
    });
  });

  it('has one vector per message type', () => {
    expect(vectors.messages.map((m) => m.type).sort()).toEqual([...setMessageTypes].sort());
  });

  for (const vector of vectors.messages) {
    it(`parses, re-encodes and verifies ${vector.type}`, () => {
      const message = parseSetMessage(vector.type, vector.wire);
      expect(hex(setMessageSigningBytes(message.type, message.body))).toBe(vector.signingBytes);
      verifySetMessage(message, publicKey, nobleEd25519Verify);
      expect(setMessageToWire(message)).toEqual(vector.wire);
    });
  }
});

describe('SET messages', () => {
  const [first] = vectors.messages.filter((m) => m.type === 'capture-request');
  const wire = first!.wire as { type: string; body: Record<string, unknown>; signature: string };

  it('refuses a changed field as not signed by its sender', () => {
    const changed = { ...wire, body: { ...wire.body, amount: 'EUR 99.00' } };
    const message = parseSetMessage('capture-request', changed);
    const error = (() => {
      try {
        verifySetMessage(message, publicKey);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(isFarthingError(error, 'bad_signature')).toBe(true);
  });

  it('refuses a message read as another type, and unknown fields', () => {
    for (const [type, input] of [
      ['credit-request', wire],
      ['capture-request', { ...wire, body: { ...wire.body, pan: '4000001234567899' } }],
    ] as const) {
      const error = (() => {
        try {
          parseSetMessage(type, input);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(isFarthingError(error, 'invalid_message')).toBe(true);
    }
  });
});
