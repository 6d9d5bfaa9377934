/**
 * HPKE (RFC 9180) for SET's envelopes: the payment information sealed to the payment
 * gateway, and the card details sealed to the cardholder CA at registration. Base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 §7: KEM 0x0020, KDF 0x0001,
 * AEAD 0x0001), single-shot (§6.1): one message per encapsulation, so no sequence numbers.
 *
 * Why `@hpke/core` (pinned to 1.9.0): it is the RFC 9180 implementation the IETF's own
 * implementation list points JavaScript users to, maintained, checked by its authors against
 * the CFRG vectors, and it runs everywhere the parties run (Node 20, service workers) on
 * WebCrypto's native X25519, HKDF and AES-GCM, with no code of its own for the primitives.
 * AES-128-GCM rather than ChaCha20-Poly1305 because WebCrypto has it natively; the same
 * family's ChaCha20-Poly1305 module is used only to check the vectors of that suite too.
 * Our own test checks the suite against the published vectors (test/vectors/hpke/).
 */
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, HpkeError } from '@hpke/core';
import * as v from 'valibot';
import { type CanonicalWriter, concatBytes, utf8Bytes } from '../encoding.ts';
import { assertBytes, type ErrorCode, FarthingError } from '../errors.ts';
import { signedMessageType } from '../signed-message.ts';

export const x25519KeyLength = 32;
/** RFC 9180 §7.1: Nenc for DHKEM(X25519, HKDF-SHA256). */
export const encapsulatedKeyLength = 32;

export const envelopeSuite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes128Gcm(),
});

const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/** A recipient's key pair: keep `privateKey` (a non-extractable-capable CryptoKey) in memory. */
export interface EnvelopeKeyPair {
  readonly privateKey: CryptoKey;
  /** Raw 32-byte X25519 public key, as certified in the key-exchange certificate. */
  readonly publicKey: Uint8Array;
}

/**
 * RFC 9180 §7.1.3 DeriveKeyPair: the key pair for a 32-byte secret seed, so the owner stores
 * only the seed and gets the same key after every restart.
 */
export async function envelopeKeyPairFromSeed(seed: Uint8Array): Promise<EnvelopeKeyPair> {
  assertBytes(seed, 'seed', 32);
  const pair = await envelopeSuite.kem.deriveKeyPair(copy(seed));
  const publicKey = new Uint8Array(await envelopeSuite.kem.serializePublicKey(pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

export interface SealedEnvelope {
  /** The encapsulated key (RFC 9180 `enc`). */
  readonly enc: Uint8Array;
  /** AEAD ciphertext with its 16-byte tag. */
  readonly ciphertext: Uint8Array;
}

export interface SealEnvelopeParameters {
  readonly recipientPublicKey: Uint8Array;
  /** Binds the envelope to its purpose and recipient (RFC 9180 §5.1 `info`). */
  readonly info: Uint8Array;
  /** Authenticated, not encrypted: what the envelope travels with. */
  readonly aad: Uint8Array;
  readonly plaintext: Uint8Array;
}

export async function sealEnvelope(parameters: SealEnvelopeParameters): Promise<SealedEnvelope> {
  const { recipientPublicKey, info, aad, plaintext } = parameters;
  assertBytes(recipientPublicKey, 'recipientPublicKey', x25519KeyLength);
  assertBytes(info, 'info');
  assertBytes(aad, 'aad');
  assertBytes(plaintext, 'plaintext');
  let key: CryptoKey;
  try {
    key = await envelopeSuite.kem.deserializePublicKey(copy(recipientPublicKey));
  } catch (cause) {
    throw new FarthingError('invalid_key', 'the recipient key is not an X25519 public key', {
      details: { field: 'recipientPublicKey' },
      cause,
    });
  }
  const sealed = await envelopeSuite.seal(
    { recipientPublicKey: key, info: copy(info) },
    copy(plaintext),
    copy(aad),
  );
  return { enc: new Uint8Array(sealed.enc), ciphertext: new Uint8Array(sealed.ct) };
}

export interface OpenEnvelopeParameters {
  readonly recipient: EnvelopeKeyPair;
  readonly envelope: SealedEnvelope;
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
}

/**
 * Opens an envelope; anything wrong (another recipient, another `info` or `aad`, a changed
 * byte) is one `set_envelope_invalid`, without saying which, as RFC 9180 §9.7 advises for
 * decryption failures.
 */
export async function openEnvelope(parameters: OpenEnvelopeParameters): Promise<Uint8Array> {
  const { recipient, envelope, info, aad } = parameters;
  assertBytes(envelope?.enc, 'envelope.enc', encapsulatedKeyLength);
  assertBytes(envelope.ciphertext, 'envelope.ciphertext');
  try {
    const plaintext = await envelopeSuite.open(
      { recipientKey: recipient.privateKey, enc: copy(envelope.enc), info: copy(info) },
      copy(envelope.ciphertext),
      copy(aad),
    );
    return new Uint8Array(plaintext);
  } catch (cause) {
    if (!(cause instanceof HpkeError)) throw cause;
    throw new FarthingError('set_envelope_invalid', 'the envelope cannot be opened', { cause });
  }
}

// --- SET's envelopes: JSON content, bound to their purpose, recipient and context

const envelopeContextType = signedMessageType('setEnvelopeContext', 1, 'envelope context');

/** Where a SET envelope belongs; opening it anywhere else fails. */
export interface EnvelopeBinding {
  /** `info` (RFC 9180 §5.1) is `farthing/set/<purpose>-envelope/v1` ‖ the recipient's fingerprint. */
  readonly purpose: 'pi' | 'registration';
  /** SHA-256 of the recipient's key-exchange certificate. */
  readonly recipientFingerprint: Uint8Array;
  /** Writes what the envelope travels with in clear: its `aad` is their canonical bytes. */
  readonly context: (writer: CanonicalWriter) => void;
}

function bindingBytes(binding: EnvelopeBinding): { info: Uint8Array; aad: Uint8Array } {
  return {
    info: concatBytes(
      utf8Bytes(`farthing/set/${binding.purpose}-envelope/v1`),
      binding.recipientFingerprint,
    ),
    aad: envelopeContextType.signingBytes(binding.context),
  };
}

/** Seals `content` as UTF-8 JSON. */
export async function sealJsonEnvelope(
  parameters: EnvelopeBinding & {
    readonly recipientPublicKey: Uint8Array;
    readonly content: unknown;
  },
): Promise<SealedEnvelope> {
  return sealEnvelope({
    recipientPublicKey: parameters.recipientPublicKey,
    ...bindingBytes(parameters),
    plaintext: utf8Bytes(JSON.stringify(parameters.content)),
  });
}

/** How a recipient refuses an envelope that opens but does not hold what it should. */
export interface EnvelopeContentRefusal {
  readonly code: ErrorCode;
  readonly message: string;
  /** `details.field` when the schema names no field. */
  readonly field: string;
}

/**
 * Opens an envelope (`openEnvelope`) and parses its JSON with `schema`: `set_envelope_invalid`
 * when it is not JSON, `refusal` naming the first bad field when it does not fit.
 */
export async function openJsonEnvelope<T>(
  parameters: EnvelopeBinding & {
    readonly recipient: EnvelopeKeyPair;
    readonly envelope: SealedEnvelope;
  },
  schema: v.GenericSchema<unknown, T>,
  refusal: EnvelopeContentRefusal,
): Promise<T> {
  const plaintext = await openEnvelope({
    recipient: parameters.recipient,
    envelope: parameters.envelope,
    ...bindingBytes(parameters),
  });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch (cause) {
    throw new FarthingError('set_envelope_invalid', 'the envelope does not hold JSON', { cause });
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    throw new FarthingError(refusal.code, refusal.message, {
      details: { field: v.getDotPath(result.issues[0]) ?? refusal.field },
    });
  }
  return result.output;
}
