/**
 * A signed message type, declared once: its domain-separation tag, its version and the name
 * errors give it. From that declaration follow what every such type needs and used to write
 * by hand: the canonical signing bytes under that tag and version (`signingBytes`), the check
 * of a value's `version` at the API boundary, and the wire schema of its `version` field.
 * Each message module then declares only its fields: how they are written, checked and parsed.
 * The two ends of a signature follow too: `sign` (the signer checked, its answer checked to be
 * an Ed25519 signature) and `checkSignature` (the verifier checked, `bad_signature` naming the
 * message, who should have signed it and the field).
 *
 * A version other than ours is always `unsupported_version` (not `invalid_argument` or
 * `invalid_message`), so a peer speaking a newer version is told so.
 */
import * as v from 'valibot';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
  nobleEd25519Verify,
} from './ed25519.ts';
import { type CanonicalWriter, type SigningTagName, signingBytes } from './encoding.ts';
import { assertBytes, FarthingError } from './errors.ts';
import { codedTransform } from './schema.ts';

export interface SignedMessageType<V extends number> {
  readonly tag: SigningTagName;
  readonly version: V;
  /** What errors call a message of this type, e.g. "change request". */
  readonly what: string;
  /** `signingBytes(tag, version, writeFields)`: the bytes that are signed. */
  signingBytes(writeFields: (writer: CanonicalWriter) => void): Uint8Array;
  /** Throws `unsupported_version` unless `version` is this type's. */
  assertVersion(version: unknown): asserts version is V;
  /** The wire schema of the `version` field: this version, else `unsupported_version`. */
  readonly versionSchema: v.GenericSchema<unknown, V>;
  /**
   * `signer`'s signature over `bytes`: `invalid_argument` naming `signerField` unless `signer`
   * is a signer, or unless what it answers is a 64-byte signature.
   */
  sign(
    bytes: Uint8Array,
    signer: Pick<Ed25519Signer, 'sign'>,
    signerField?: string,
  ): Promise<Uint8Array>;
  /** Throws `bad_signature` unless `check.signature` over `check.bytes` verifies under the key. */
  checkSignature(check: SignatureCheck): void;
  /** `checkSignature` for a message a merchant's key signs (offer, receipt, refund). */
  checkMerchantSignature(
    signature: unknown,
    bytes: Uint8Array,
    parameters: MerchantSignatureParameters,
  ): void;
}

/** Whose key checks a merchant's signed message, and with which verifier. */
export interface MerchantSignatureParameters {
  /** The merchant's Ed25519 key, from its certificate or descriptor, never from the page. */
  readonly merchantPublicKey: Uint8Array;
  readonly ed25519Verify?: Ed25519Verify;
}

/** What `checkSignature` needs: the verifier, the signature, the bytes, the key, the signer. */
export interface SignatureCheck {
  /** The caller's verifier (default noble's); `invalid_argument` unless it is a function. */
  readonly verify?: unknown;
  /** Default `ed25519Verify`. */
  readonly verifyField?: string;
  /** `invalid_argument` unless bytes (of `signatureLength` when given). */
  readonly signature: unknown;
  readonly signatureLength?: number;
  readonly bytes: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Who should have signed, as the error says it: "this merchant", "the coin". */
  readonly by: string;
  /** `details.field` of the errors (default `signature`). */
  readonly field?: string;
  /** More `details` of the `bad_signature`. */
  readonly details?: Readonly<Record<string, unknown>>;
}

function checkSignature(what: string, check: SignatureCheck): void {
  const {
    verify = nobleEd25519Verify,
    verifyField = 'ed25519Verify',
    field = 'signature',
    signature,
  } = check;
  if (typeof verify !== 'function') {
    throw new FarthingError('invalid_argument', `expected a function "${verifyField}"`, {
      details: { field: verifyField },
    });
  }
  assertBytes(signature, field, check.signatureLength);
  if (!verify(signature, check.bytes, check.publicKey)) {
    throw new FarthingError('bad_signature', `the ${what} is not signed by ${check.by}`, {
      details: { field, ...check.details },
    });
  }
}

async function sign(bytes: Uint8Array, signer: Pick<Ed25519Signer, 'sign'>, field = 'signer') {
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    throw new FarthingError('invalid_argument', `expected an Ed25519 signer "${field}"`, {
      details: { field },
    });
  }
  const signature = await signer.sign(bytes);
  assertBytes(signature, 'signature', ed25519SignatureLength);
  return signature;
}

/** `changeRequest` → "change request": what errors call a type unless it says otherwise. */
function words(tag: SigningTagName): string {
  return tag.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

export function signedMessageType<V extends number>(
  tag: SigningTagName,
  version: V,
  what: string = words(tag),
): SignedMessageType<V> {
  const unsupported = (got: unknown) =>
    new FarthingError('unsupported_version', `${what} version ${String(got)} is not supported`, {
      details: { field: 'version', expected: version, got },
    });
  return Object.freeze({
    tag,
    version,
    what,
    signingBytes: (writeFields: (writer: CanonicalWriter) => void) =>
      signingBytes(tag, version, writeFields),
    assertVersion(got: unknown): asserts got is V {
      if (got !== version) throw unsupported(got);
    },
    versionSchema: v.pipe(
      v.unknown(),
      codedTransform<unknown, V>((got) => {
        if (got === version) return version;
        throw unsupported(got);
      }),
    ),
    sign,
    checkSignature: (check: SignatureCheck) => checkSignature(what, check),
    checkMerchantSignature(
      signature: unknown,
      bytes: Uint8Array,
      parameters: MerchantSignatureParameters,
    ) {
      const { merchantPublicKey, ed25519Verify }: Partial<MerchantSignatureParameters> =
        parameters ?? {};
      assertBytes(merchantPublicKey, 'merchantPublicKey', ed25519PublicKeyLength);
      checkSignature(what, {
        verify: ed25519Verify,
        signature,
        bytes,
        publicKey: merchantPublicKey,
        by: 'this merchant',
      });
    },
  });
}
