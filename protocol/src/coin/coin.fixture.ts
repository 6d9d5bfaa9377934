/**
 * Denomination keys, coins and RSA verifiers for the coin tests and the deposit benchmark
 * (not part of the API).
 *
 * Coins are signed here with Node's RSA-PSS (SHA-384, salt 48) directly over the prepared
 * message: a blind signature finalizes to exactly such a signature (RFC 9474 §4.4), and this
 * is ~50× faster than a blind round. deposit-permission.test.ts also runs the full blind flow.
 */
import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { type Amount, amount } from '../amount.ts';
import { type BlindRsaPublicKey, publicKeyFromJwk } from '../blind-rsa/public-key.ts';
import { verify as bigintVerify } from '../blind-rsa/rsabssa.ts';
import { toBase64url } from '../encoding.ts';
import { isFarthingError } from '../errors.ts';
import { verifyNative } from '../node/blind-rsa.ts';
import { type Coin, preparedCoinMessage, type RsaPssVerify } from './coin.ts';
import {
  type Denomination,
  type DenominationPublicKey,
  denominationCipher,
  denominationId,
} from './denomination.ts';
import { deriveCoinSecrets } from './derivation.ts';

/** 2026-01-01T00:00:00Z. */
export const now = Date.UTC(2026, 0, 1);
export const day = 86_400_000;

export function eur(minor: number): Amount {
  return amount('EUR', minor);
}

export interface DenominationKey {
  readonly privateKey: KeyObject;
  readonly publicKey: DenominationPublicKey;
}

function base64urlToBytes(text: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? '', 'base64url'));
}

export function generateDenominationKey(): DenominationKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    publicKey: { n: base64urlToBytes(jwk.n), e: base64urlToBytes(jwk.e) },
  };
}

export function makeDenomination(
  key: DenominationKey,
  overrides: Partial<Denomination> = {},
): Denomination {
  return {
    value: eur(100),
    publicKey: key.publicKey,
    cipher: denominationCipher,
    validFrom: now - day,
    withdrawUntil: now + 30 * day,
    depositUntil: now + 365 * day,
    ...overrides,
  };
}

/** Signs the coin's prepared message as the unblinded blind signature would be. */
export function signCoinDirectly(
  key: DenominationKey,
  denomination: Denomination,
  coinPublicKey: Uint8Array,
  messagePrefix: Uint8Array,
): Coin {
  const message = preparedCoinMessage(messagePrefix, coinPublicKey);
  const signature = nodeSign('sha384', message, {
    key: key.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 48,
  });
  return {
    denominationId: denominationId(denomination),
    coinPublicKey,
    messagePrefix,
    denominationSignature: new Uint8Array(signature),
  };
}

export interface CoinWithSecret {
  readonly coin: Coin;
  readonly secretKey: Uint8Array;
}

/** Coin `index` of `seed`, signed directly. */
export function issueCoin(
  key: DenominationKey,
  denomination: Denomination,
  seed: Uint8Array,
  index: number,
): CoinWithSecret {
  const secrets = deriveCoinSecrets(seed, index);
  return {
    coin: signCoinDirectly(key, denomination, secrets.publicKey, secrets.messagePrefix),
    secretKey: secrets.secretKey,
  };
}

/** The blind-RSA module's form of a denomination key. */
export function blindRsaKey(publicKey: DenominationPublicKey): BlindRsaPublicKey {
  return publicKeyFromJwk({ kty: 'RSA', n: toBase64url(publicKey.n), e: toBase64url(publicKey.e) });
}

function cachedConversion(): (publicKey: DenominationPublicKey) => BlindRsaPublicKey {
  const cache = new WeakMap<DenominationPublicKey, BlindRsaPublicKey>();
  return (publicKey) => {
    let key = cache.get(publicKey);
    if (key === undefined) {
      key = blindRsaKey(publicKey);
      cache.set(publicKey, key);
    }
    return key;
  };
}

function asBoolean(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (isFarthingError(error, 'bad_signature')) return false;
    throw error;
  }
}

/** OpenSSL's RSASSA-PSS through protocol/src/node/blind-rsa.ts (native key cached per key). */
export function nodeBlindRsaVerify(): RsaPssVerify {
  const convert = cachedConversion();
  return (signature, message, publicKey) =>
    asBoolean(() => verifyNative(denominationCipher, convert(publicKey), message, signature));
}

/** The blind-RSA module's BigInt verifier (what the wallet runs). */
export function bigintBlindRsaVerify(): RsaPssVerify {
  const convert = cachedConversion();
  return (signature, message, publicKey) =>
    asBoolean(() => bigintVerify(denominationCipher, convert(publicKey), message, signature));
}

/** `node:crypto` RSA-PSS directly, without the blind-RSA module, as a cross-check. */
export const plainNodeRsaVerify: RsaPssVerify = (signature, message, publicKey) =>
  nodeVerify(
    'sha384',
    message,
    {
      key: { kty: 'RSA', n: toBase64url(publicKey.n), e: toBase64url(publicKey.e) },
      format: 'jwk',
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 48,
    },
    signature,
  );
