/**
 * A coin (DESIGN.md "E-cash (Chaum, online)"): an Ed25519 public key the mint has signed,
 * blindly, with one denomination's RSA key. Whoever holds the coin's secret key can spend it
 * once; the mint never saw the key at withdrawal, so a deposit cannot be linked to it.
 *
 * What the mint signs (RFC 9474 §4.1, randomized variant):
 *
 *   msg       = signingBytes('coinPublicKey', 1, coinPublicKey[32])
 *   input_msg = messagePrefix[32] ‖ msg
 *
 * and the unblinded signature is a plain RSASSA-PSS signature (SHA-384, MGF1-SHA-384, 48-byte
 * salt) over `input_msg`, which anyone verifies with the denomination's public key (§4.5).
 *
 * Wire JSON (`CoinWire`):
 *
 *   { "denominationId": "<32 bytes b64u>", "coinPublicKey": "<32 bytes b64u>",
 *     "messagePrefix": "<32 bytes b64u>", "denominationSignature": "<256 bytes b64u>" }
 */
import * as v from 'valibot';
import {
  type DetachedVerify,
  type Ed25519Verify,
  ed25519PublicKey,
  ed25519Sign,
} from '../ed25519.ts';
import { concatBytes, equalBytes, signingBytes, toBase64url } from '../encoding.ts';
import { assertBytes, FarthingError, invalidArgument } from '../errors.ts';
import type { MessageField } from '../message-fields.ts';
import { bytesSchema, parseMessage } from '../schema.ts';
import type { SignedMessageType } from '../signed-message.ts';
import {
  type Denomination,
  type DenominationPublicKey,
  denominationId,
  denominationIdLength,
  denominationModulusLength,
} from './denomination.ts';
import { coinMessagePrefixLength } from './derivation.ts';

export const coinPublicKeyLength = 32;
export const coinMessageVersion = 1;

/**
 * RSASSA-PSS verification (RFC 8017 §8.1.2) with SHA-384, MGF1-SHA-384 and a 48-byte salt,
 * as RFC 9474 §4.5 prescribes for RSABSSA-SHA384-PSS. Returns false on a bad signature;
 * never throws for one. Taken as a parameter so each platform plugs in its native verifier.
 */
export type RsaPssVerify = DetachedVerify<DenominationPublicKey>;

export interface Coin {
  /** `denominationId` of the key that signed the coin; fixes the coin's value. */
  readonly denominationId: Uint8Array;
  /** The coin's Ed25519 public key. */
  readonly coinPublicKey: Uint8Array;
  /** RFC 9474 `msg_prefix`, part of what the mint signed. */
  readonly messagePrefix: Uint8Array;
  /** The unblinded RSA signature of the denomination key over `preparedCoinMessage`. */
  readonly denominationSignature: Uint8Array;
}

/** The message the mint blind-signs for a coin, before RFC 9474's prefix. */
export function coinMessage(coinPublicKey: Uint8Array): Uint8Array {
  assertBytes(coinPublicKey, 'coinPublicKey', coinPublicKeyLength);
  return signingBytes('coinPublicKey', coinMessageVersion, (w) =>
    w.fixed(coinPublicKey, coinPublicKeyLength, 'coinPublicKey'),
  );
}

/** RFC 9474 §4.1 `input_msg = msg_prefix ‖ msg`: what the RSA signature covers. */
export function preparedCoinMessage(
  messagePrefix: Uint8Array,
  coinPublicKey: Uint8Array,
): Uint8Array {
  assertBytes(messagePrefix, 'messagePrefix', coinMessagePrefixLength);
  return concatBytes(messagePrefix, coinMessage(coinPublicKey));
}

export function assertCoin(coin: Coin): void {
  if (typeof coin !== 'object' || coin === null) {
    throw new FarthingError('invalid_argument', 'expected a coin object', {
      details: { field: 'coin' },
    });
  }
  assertBytes(coin.denominationId, 'coin.denominationId', denominationIdLength);
  assertBytes(coin.coinPublicKey, 'coin.coinPublicKey', coinPublicKeyLength);
  assertBytes(coin.messagePrefix, 'coin.messagePrefix', coinMessagePrefixLength);
  assertBytes(coin.denominationSignature, 'coin.denominationSignature', denominationModulusLength);
}

/**
 * Throws unless `denomination` signed the coin: `invalid_argument` when the coin names
 * another denomination, `bad_signature` when the RSA signature does not verify. The wallet
 * calls this before storing a withdrawn coin; the mint and merchant on every deposit.
 */
export function verifyCoin(coin: Coin, denomination: Denomination, rsaVerify: RsaPssVerify): void {
  assertCoin(coin);
  if (typeof rsaVerify !== 'function') {
    throw new FarthingError('invalid_argument', 'expected a function "rsaVerify"', {
      details: { field: 'rsaVerify' },
    });
  }
  if (!equalBytes(denominationId(denomination), coin.denominationId)) {
    throw new FarthingError('invalid_argument', 'the coin belongs to another denomination', {
      details: { field: 'coin.denominationId' },
    });
  }
  const message = preparedCoinMessage(coin.messagePrefix, coin.coinPublicKey);
  if (!rsaVerify(coin.denominationSignature, message, denomination.publicKey)) {
    throw new FarthingError('bad_signature', 'the coin is not signed by its denomination key', {
      details: { field: 'coin.denominationSignature' },
    });
  }
}

/** What a request to sign with a coin's key adds to the message's fields. */
export interface CoinSecretKeyParameter {
  /** The coin's Ed25519 secret key (from `deriveCoinSecretKey`). */
  readonly coinSecretKey: Uint8Array;
}

/**
 * `message` signed with the coin's secret key over `bytes`, its signing bytes, frozen:
 * `invalid_argument` unless `coinSecretKey` is the key of `message.coin`. The other end of
 * `verifyCoinSigned`; Ed25519 is deterministic (RFC 8032 §5.1.6), so the same message signed
 * again after a crash carries the same signature.
 */
export function signWithCoinKey<M extends { readonly coin: Coin }>(
  message: M,
  bytes: Uint8Array,
  coinSecretKey: Uint8Array,
): M & { readonly signature: Uint8Array } {
  if (!equalBytes(ed25519PublicKey(coinSecretKey), message.coin.coinPublicKey)) {
    throw invalidArgument('coinSecretKey', 'is not the secret key of this coin');
  }
  return Object.freeze({ ...message, signature: ed25519Sign(bytes, coinSecretKey) });
}

/** The verifiers a message signed by a coin key is checked with, and its own rules. */
export interface VerifyCoinSignedParameters {
  readonly rsaVerify: RsaPssVerify;
  readonly ed25519Verify?: Ed25519Verify;
  /** The message type's own checks of the denomination (a window, an amount), run first. */
  readonly checkDenomination?: (denomination: Denomination) => void;
}

/**
 * What every message a coin's key signs (deposit permission, change request, refund refresh)
 * is checked for, cheapest first: that `denomination` is the one the coin names
 * (`invalid_argument`), `checkDenomination`, the denomination's RSA signature over the coin,
 * then the coin key's signature over `bytes`, the message's signing bytes (`bad_signature`).
 */
export function verifyCoinSigned(
  type: SignedMessageType<number>,
  message: { readonly coin: Coin; readonly signature: Uint8Array },
  bytes: Uint8Array,
  denomination: Denomination,
  parameters: VerifyCoinSignedParameters,
): void {
  const { rsaVerify, ed25519Verify, checkDenomination }: Partial<VerifyCoinSignedParameters> =
    parameters ?? {};
  assertBytes(message.signature, 'signature', 64);
  if (!equalBytes(denominationId(denomination), message.coin.denominationId)) {
    throw invalidArgument('denomination', 'is not the denomination the coin names');
  }
  checkDenomination?.(denomination);
  verifyCoin(message.coin, denomination, rsaVerify as RsaPssVerify);
  type.checkSignature({
    verify: ed25519Verify,
    signature: message.signature,
    bytes,
    publicKey: message.coin.coinPublicKey,
    by: 'the coin',
  });
}

// --- wire

export interface CoinWire {
  readonly denominationId: string;
  readonly coinPublicKey: string;
  readonly messagePrefix: string;
  readonly denominationSignature: string;
}

export const coinSchema = v.strictObject({
  denominationId: bytesSchema(denominationIdLength),
  coinPublicKey: bytesSchema(coinPublicKeyLength),
  messagePrefix: bytesSchema(coinMessagePrefixLength),
  denominationSignature: bytesSchema(denominationModulusLength),
});

export function coinToWire(coin: Coin): CoinWire {
  assertCoin(coin);
  return {
    denominationId: toBase64url(coin.denominationId),
    coinPublicKey: toBase64url(coin.coinPublicKey),
    messagePrefix: toBase64url(coin.messagePrefix),
    denominationSignature: toBase64url(coin.denominationSignature),
  };
}

/** Validates a received coin; its signature is checked by `verifyCoin`. */
export function parseCoin(input: unknown): Coin {
  return Object.freeze(parseMessage(coinSchema, input, 'coin'));
}

/**
 * A coin as a field of a message the coin's key signs (deposit permission, change request,
 * refund refresh): its whole wire form, but only its key and denomination are signed.
 */
export const coinField: MessageField<Coin, CoinWire> = {
  assert: (value) => assertCoin(value as Coin),
  write: (writer, coin, field) =>
    writer
      .fixed(coin.coinPublicKey, coinPublicKeyLength, `${field}.coinPublicKey`)
      .fixed(coin.denominationId, denominationIdLength, `${field}.denominationId`),
  schema: coinSchema,
  toWire: coinToWire,
};
