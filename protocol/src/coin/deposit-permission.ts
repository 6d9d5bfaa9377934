/**
 * A deposit permission (DESIGN.md "E-cash", pay): the coin's owner, signing with the coin's
 * Ed25519 key, lets one merchant deposit part or all of the coin's value for one offer. The
 * signature binds the offer hash, the merchant id, the amount and the payer code hash, so a
 * permission stolen in transit is worthless for any other payment, and the payer can later
 * prove the payment by revealing the payer code.
 *
 * Signing bytes: tag `farthing/deposit-permission`, version 1, then offerHash[32],
 * merchantId, amount, payerCodeHash[32], coinPublicKey[32], denominationId[32].
 *
 * Wire JSON (`DepositPermissionWire`), version 1:
 *
 *   { "version": 1, "coin": <CoinWire>, "offerHash": "<32 bytes b64u>",
 *     "merchantId": "demo-shop", "amount": "EUR 0.05", "payerCodeHash": "<32 bytes b64u>",
 *     "signature": "<64 bytes b64u>" }
 */
import { type Amount, compareAmounts, formatAmount, sumAmounts } from '../amount.ts';
import type { Ed25519Verify } from '../ed25519.ts';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError, invalidArgument } from '../errors.ts';
import {
  bytesField,
  identifierField,
  positiveAmountField,
  type Signed,
  type SignedWire,
  signedMessage,
  type Unsigned,
} from '../message-fields.ts';
import { offerHashLength } from '../offer.ts';
import {
  type CoinSecretKeyParameter,
  coinField,
  type RsaPssVerify,
  signWithCoinKey,
  verifyCoinSigned,
} from './coin.ts';
import { checkDenominationUsable, type Denomination } from './denomination.ts';
import { payerCodeHashLength } from './derivation.ts';

/** More coins than anyone pays with at once; bounds the work one request can cause. */
export const maxCoinsPerPayment = 256;

/**
 * Deposit permissions, declared once: the type (tag, version) and the fields in wire order,
 * the signed coin last. `signingBytes` checks a permission and gives the bytes the coin key
 * signs; `schema` and `signedToWire` are its wire form (`parseDepositPermission` parses one).
 */
export const depositPermissions = signedMessage(
  'depositPermission',
  1,
  {
    /** The coin spent: its whole wire form, but only its key and denomination are signed. */
    coin: coinField,
    /** `offerHash` of the offer being paid. */
    offerHash: bytesField(offerHashLength),
    merchantId: identifierField,
    /** What this coin contributes: more than zero, at most the coin's value. */
    amount: positiveAmountField,
    /** `payerCodeHash` of this payment's payer code; the same for every coin of a payment. */
    payerCodeHash: bytesField(payerCodeHashLength),
  },
  {
    argument: 'permission',
    signingOrder: ['offerHash', 'merchantId', 'amount', 'payerCodeHash', 'coin'],
  },
);

export type UnsignedDepositPermission = Unsigned<typeof depositPermissions>;
/** `signature`: the coin key's Ed25519 signature over `depositPermissions.signingBytes`. */
export type DepositPermission = Signed<typeof depositPermissions>;

/** The permission's fields, and the key of the coin it spends. */
export type CreateDepositPermissionParameters = Omit<UnsignedDepositPermission, 'version'> &
  CoinSecretKeyParameter;

/** Signs a permission with the coin's key (synchronously: coin keys live in memory). */
export function createDepositPermission(
  parameters: CreateDepositPermissionParameters,
): DepositPermission {
  const unsigned = depositPermissions.create(parameters);
  return signWithCoinKey(
    unsigned,
    depositPermissions.signingBytes(unsigned),
    parameters.coinSecretKey,
  );
}

export interface VerifyDepositPermissionParameters {
  readonly rsaVerify: RsaPssVerify;
  readonly ed25519Verify?: Ed25519Verify;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

/**
 * What the mint checks before it accepts a spent coin (DESIGN.md "E-cash", deposit), cheapest
 * first: the denomination's deposit window (`denomination_not_yet_valid`,
 * `denomination_expired`), the amount against the coin's value (`currency_mismatch`,
 * `coin_amount_mismatch`), the denomination's RSA signature over the coin, then the coin
 * key's signature over the permission (`bad_signature`). `denomination` must be the one the
 * coin names (`findDenomination`); another is `invalid_argument`. Whether the coin was spent
 * before is the mint's ledger's question, not this function's.
 */
export function verifyDepositPermission(
  permission: DepositPermission,
  denomination: Denomination,
  parameters: VerifyDepositPermissionParameters,
): void {
  const { now, ...verifiers }: Partial<VerifyDepositPermissionParameters> = parameters ?? {};
  assertInteger(now, 'now');
  const bytes = depositPermissions.signingBytes(permission);
  verifyCoinSigned(depositPermissions.type, permission, bytes, denomination, {
    ...(verifiers as VerifyDepositPermissionParameters),
    checkDenomination: () => {
      checkDenominationUsable(denomination, 'deposit', now);
      if (permission.amount.currency !== denomination.value.currency) {
        throw new FarthingError(
          'currency_mismatch',
          `the coin is in ${denomination.value.currency}, the permission in ${permission.amount.currency}`,
          { details: { field: 'amount', expected: denomination.value.currency } },
        );
      }
      if (compareAmounts(permission.amount, denomination.value) > 0) {
        throw new FarthingError(
          'coin_amount_mismatch',
          'the permission spends more than the coin is worth',
          {
            details: {
              field: 'amount',
              amount: formatAmount(permission.amount),
              value: formatAmount(denomination.value),
            },
          },
        );
      }
    },
  });
}

export interface CheckPaymentParameters {
  /** The offer's amount. */
  readonly price: Amount;
  readonly offerHash: Uint8Array;
  readonly merchantId: string;
}

/**
 * Checks that a set of permissions is one payment of exactly `price` for one offer:
 * `offer_mismatch`, `merchant_mismatch`, `currency_mismatch`, `invalid_message` (a coin twice,
 * or different payer codes), `coin_amount_mismatch` (the sum is not the price). It checks no
 * signature: run `verifyDepositPermission` on each too.
 */
export function checkPermissionsPayPrice(
  permissions: readonly DepositPermission[],
  parameters: CheckPaymentParameters,
): void {
  const { price, offerHash, merchantId } = parameters;
  formatAmount(price);
  assertBytes(offerHash, 'offerHash', offerHashLength);
  if (!Array.isArray(permissions) || permissions.length > maxCoinsPerPayment) {
    throw invalidArgument('permissions', `must be an array of at most ${maxCoinsPerPayment}`);
  }
  if (permissions.length === 0) {
    throw new FarthingError('coin_amount_mismatch', 'no coins were given for the price', {
      details: { field: 'permissions', price: formatAmount(price) },
    });
  }
  const coins = new Set<string>();
  const first = permissions[0]!;
  for (const [index, permission] of permissions.entries()) {
    const field = `permissions.${index}`;
    depositPermissions.assert(permission);
    if (!equalBytes(permission.offerHash, offerHash)) {
      throw new FarthingError('offer_mismatch', 'a coin was spent for another offer', {
        details: { field: `${field}.offerHash` },
      });
    }
    if (permission.merchantId !== merchantId) {
      throw new FarthingError('merchant_mismatch', 'a coin was spent at another merchant', {
        details: { field: `${field}.merchantId` },
      });
    }
    if (permission.amount.currency !== price.currency) {
      throw new FarthingError('currency_mismatch', `the price is in ${price.currency}`, {
        details: { field: `${field}.amount`, expected: price.currency },
      });
    }
    if (!equalBytes(permission.payerCodeHash, first.payerCodeHash)) {
      throw new FarthingError(
        'invalid_message',
        'the coins of one payment carry different payer codes',
        {
          details: { field: `${field}.payerCodeHash` },
        },
      );
    }
    const coin = toBase64url(permission.coin.coinPublicKey);
    if (coins.has(coin)) {
      throw new FarthingError('invalid_message', 'the same coin is spent twice in one payment', {
        details: { field: `${field}.coin.coinPublicKey` },
      });
    }
    coins.add(coin);
  }
  const total = sumAmounts(
    permissions.map((p) => p.amount),
    price.currency,
  );
  if (compareAmounts(total, price) !== 0) {
    throw new FarthingError('coin_amount_mismatch', 'the coins do not add up to the price', {
      details: { field: 'permissions', total: formatAmount(total), price: formatAmount(price) },
    });
  }
}

// --- wire

export type DepositPermissionWire = SignedWire<typeof depositPermissions>;

/**
 * Validates a received permission, frozen with its coin; `verifyDepositPermission` checks its
 * signatures.
 */
export function parseDepositPermission(input: unknown): DepositPermission {
  const parsed = depositPermissions.parse(input);
  return Object.freeze({ ...parsed, coin: Object.freeze(parsed.coin) });
}
