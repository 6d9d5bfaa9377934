/**
 * The mint's side of RFC 9474 on Node's native (OpenSSL) RSA.
 *
 * - RSASP1 (x^d mod n) is `privateDecrypt` with `RSA_NO_PADDING`: OpenSSL's private-key path,
 *   with CRT and base blinding against timing attacks (RFC 9474 §7.1).
 * - The signer's self-check RSAVP1 (s^e mod n) is `publicEncrypt` with `RSA_NO_PADDING`,
 *   several times faster than BigInt.
 * - Verification is OpenSSL's RSASSA-PSS with SHA-384, MGF1-SHA-384 and the variant's salt
 *   length (RFC 9474 §4.5: a standard RSA-PSS verification).
 */
import {
  constants,
  createPublicKey,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  verify,
} from 'node:crypto';
import {
  type BlindRsaPublicKey,
  keyContext,
  publicKeyFromJwk,
  publicKeyToJwk,
} from '../blind-rsa/public-key.ts';
import {
  type BlindRsaSigner,
  type BlindRsaVariant,
  badSignature,
  type RawRsaOperation,
  variantParams,
} from '../blind-rsa/rsabssa.ts';
import { assertBytes, FarthingError } from '../errors.ts';

function assertKeyObject(key: unknown, type: 'private' | 'public', field: string): KeyObject {
  if (!(key instanceof KeyObject) || key.type !== type) {
    throw new FarthingError('invalid_argument', `expected a ${type} KeyObject "${field}"`, {
      details: { field },
    });
  }
  if (key.asymmetricKeyType === 'rsa') return key;
  // OpenSSL refuses raw RSA operations on id-RSASSA-PSS ('rsa-pss') keys, and Node 20 cannot
  // export them as JWK, so the mint keeps its blind-signing keys as plain 'rsa' keys.
  throw new FarthingError(
    'invalid_key',
    `expected an rsaEncryption ('rsa') key in "${field}", got ${key.asymmetricKeyType}`,
    { details: { field, got: key.asymmetricKeyType } },
  );
}

/** The `{ n, e }` of a native RSA key, validated (2048–4096 bits, odd n, odd e > 1). */
export function blindRsaPublicKeyFromKeyObject(key: KeyObject): BlindRsaPublicKey {
  if (!(key instanceof KeyObject) || key.type === 'secret') {
    throw new FarthingError('invalid_argument', 'expected an RSA KeyObject "key"', {
      details: { field: 'key' },
    });
  }
  const native = assertKeyObject(key, key.type, 'key');
  return publicKeyFromJwk(native.export({ format: 'jwk' }), 'key');
}

const keyObjects = new WeakMap<BlindRsaPublicKey, KeyObject>();

/** A native public key for `publicKey`, cached per key object. */
export function nodePublicKeyObject(publicKey: BlindRsaPublicKey): KeyObject {
  keyContext(publicKey);
  let native = keyObjects.get(publicKey);
  if (native === undefined) {
    native = createPublicKey({ key: { ...publicKeyToJwk(publicKey) }, format: 'jwk' });
    keyObjects.set(publicKey, native);
  }
  return native;
}

/** The same bytes as a plain Uint8Array, so callers never see Buffer's different semantics. */
function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** RSASP1, x^d mod n, on a private RSA key. The caller checks that x < n (`blindSign` does). */
export function nodeRawPrivateOperation(privateKey: KeyObject): RawRsaOperation {
  const key = assertKeyObject(privateKey, 'private', 'privateKey');
  return (input) => plain(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, input));
}

/** RSAVP1, s^e mod n; OpenSSL rejects s >= n, which `blindSign` reports as a failed check. */
export function nodeRawPublicOperation(publicKey: KeyObject): RawRsaOperation {
  const key = assertKeyObject(publicKey, 'public', 'publicKey');
  return (input) => plain(publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, input));
}

/** A `BlindRsaSigner` for `blindSign` backed entirely by native RSA. */
export function nodeBlindRsaSigner(privateKey: KeyObject): BlindRsaSigner {
  const key = assertKeyObject(privateKey, 'private', 'privateKey');
  const publicKey = blindRsaPublicKeyFromKeyObject(key);
  return {
    publicKey,
    privateOperation: nodeRawPrivateOperation(key),
    publicOperation: nodeRawPublicOperation(createPublicKey(key)),
  };
}

/**
 * RFC 9474 §4.5 verification with OpenSSL's RSASSA-PSS. Throws `bad_signature` like the
 * BigInt `verify`, which it matches result for result.
 */
export function verifyNative(
  variant: BlindRsaVariant,
  publicKey: BlindRsaPublicKey,
  preparedMsg: Uint8Array,
  signature: Uint8Array,
): void {
  const { saltLength } = variantParams(variant);
  const key = nodePublicKeyObject(publicKey);
  assertBytes(preparedMsg, 'preparedMsg');
  assertBytes(signature, 'signature');
  let valid = false;
  try {
    valid = verify(
      'sha384',
      preparedMsg,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
      signature,
    );
  } catch {
    // OpenSSL throws rather than answering false for some malformed signatures (wrong length).
  }
  if (!valid) throw badSignature('signature');
}
