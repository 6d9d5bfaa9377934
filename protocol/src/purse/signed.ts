/**
 * The purse's signed structures travel as their canonical signing bytes followed by the
 * signature: `u32 len ‖ signingBytes ‖ signature (64)`. The bytes are read back strictly
 * (canonical-reader.ts), so each structure has one byte form and the signature is checked over
 * exactly the bytes received. On JSON wires (bank, merchant) the whole is one base64url string.
 */
import { type CanonicalReader, readAll, readSigningHeader } from '../canonical-reader.ts';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519SignatureLength,
  nobleEd25519Verify,
} from '../ed25519.ts';
import { CanonicalWriter, type SigningTagName } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import { type PurseFieldTable, type PurseValue, readFields, writeFields } from './fields.ts';

/** Longest signing bytes accepted: generous for every purse structure, small for a card. */
export const maxSignedLength = 1024;

export interface SignedBytes {
  readonly signingBytes: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeSigned(signed: SignedBytes): Uint8Array {
  return new CanonicalWriter()
    .bytes(signed.signingBytes, 'signingBytes')
    .fixed(signed.signature, ed25519SignatureLength, 'signature')
    .finish();
}

/** Splits the envelope and reads the fields with `read`, which must consume them all. */
export function decodeSigned<T>(
  bytes: Uint8Array,
  tag: SigningTagName,
  version: number,
  what: string,
  read: (reader: CanonicalReader) => T,
): { readonly fields: T; readonly signingBytes: Uint8Array; readonly signature: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) {
    throw new FarthingError('invalid_encoding', `expected the bytes of a ${what}`, {
      details: { field: what },
    });
  }
  const { signingBytes, signature } = readAll(bytes, what, (outer) => ({
    signingBytes: outer.bytes(what, maxSignedLength),
    signature: outer.fixed(ed25519SignatureLength, `${what}.signature`),
  }));
  const fields = readAll(signingBytes, what, (inner) => {
    readSigningHeader(inner, tag, version, what);
    return read(inner);
  });
  return { fields, signingBytes, signature };
}

/** The purse's signing tags: `purse`, then the structure's name. */
export type PurseTagName = Extract<SigningTagName, `purse${string}`>;

/** The value a table of kinds declares, with the bytes that were signed and the signature. */
export type SignedPurseValue<F> = PurseValue<F> & SignedBytes;

/**
 * A declared purse message type and its operations, exported by its module under a plural
 * name (`purseProofs.sign(…)`).
 */
export interface PurseMessage<F extends PurseFieldTable> {
  readonly type: SignedMessageType<number>;
  readonly fields: F;
  /** Checks `value`'s fields and signs them under the type's tag and version. */
  sign(value: PurseValue<F>, signer: Pick<Ed25519Signer, 'sign'>): Promise<SignedPurseValue<F>>;
  /** `u32 len ‖ signingBytes ‖ signature` (`encodeSigned`). */
  encode(signed: SignedPurseValue<F>): Uint8Array;
  /** Reads the envelope strictly; the signature is checked by `verify`. */
  decode(bytes: Uint8Array): SignedPurseValue<F>;
  /** `bad_signature`, naming the type (its `what`), unless `publicKey` signed it. */
  verify(signed: SignedPurseValue<F>, publicKey: Uint8Array, verify?: Ed25519Verify): void;
}

/**
 * A purse message type, declared once: its tag, its version and its fields in byte order, each
 * of a kind that checks it, writes it and reads it back (fields.ts). Its names follow from the
 * tag: without `purse` it is what decoding errors prefix its fields with (`purseProof` →
 * `proof.sno`), and that in words is what the other errors call it ("load request"). Signing,
 * encoding, decoding and verifying follow from it.
 */
export function purseMessage<F extends PurseFieldTable>(
  tag: PurseTagName,
  version: number,
  fields: F,
): PurseMessage<F> {
  const field = tag.charAt(5).toLowerCase() + tag.slice(6);
  const what = field.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
  const type = signedMessageType(tag, version, what);
  return Object.freeze({
    type,
    fields,
    async sign(value: PurseValue<F>, signer: Pick<Ed25519Signer, 'sign'>) {
      const bytes = type.signingBytes((w) => writeFields(w, fields, value));
      return { ...value, signingBytes: bytes, signature: await signer.sign(bytes) };
    },
    encode: encodeSigned,
    decode(bytes: Uint8Array) {
      const decoded = decodeSigned(bytes, type.tag, type.version, field, (r) =>
        readFields(r, fields, `${field}.`),
      );
      return {
        ...decoded.fields,
        signingBytes: decoded.signingBytes,
        signature: decoded.signature,
      };
    },
    verify: (signed: SignedBytes, publicKey: Uint8Array, verify?: Ed25519Verify) =>
      assertSignature(signed, publicKey, type.what, verify),
  });
}

/** Throws `bad_signature` naming `what` unless the signature verifies. */
export function assertSignature(
  signed: SignedBytes,
  publicKey: Uint8Array,
  what: string,
  verify: Ed25519Verify = nobleEd25519Verify,
): void {
  if (!verify(signed.signature, signed.signingBytes, publicKey)) {
    throw new FarthingError('bad_signature', `the ${what} signature does not verify`, {
      details: { field: `${what}.signature` },
    });
  }
}
