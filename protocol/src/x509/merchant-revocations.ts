/**
 * The bank's list of revoked merchant certificates, signed by its CA key, which wallets fetch
 * to stop paying a merchant whose certificate the operator revoked (the role an X.509 CRL
 * plays, RFC 5280 §5, in the project's own signed encoding).
 *
 * Only certificates that are revoked and not yet expired are listed: an expired one is refused
 * by every wallet anyway, so the list stays as short as the merchant certificates' lifetime
 * (30 days) keeps it. The list is dated by the bank; a wallet refuses a list dated further
 * than `maxRevocationListSkew` from its own clock, so an old list (from before a revocation)
 * cannot be replayed to it.
 *
 * Wire JSON, version 1:
 *
 *   { "version": 1, "bankId": "farthing-bank", "issuedAt": 1700000000000,
 *     "serials": ["5f1c…"], "signature": "<64 bytes b64u>" }
 */
import * as v from 'valibot';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, FarthingError } from '../errors.ts';
import { bytesSchema, identifierSchema, parseMessage, timestampSchema } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';

/** The signed message type (tag, version, name), declared once. */
export const merchantRevocationsType: SignedMessageType<1> = signedMessageType(
  'merchantRevocations',
  1,
  'revocation list',
);
export const merchantRevocationsVersion = merchantRevocationsType.version;
/** How far from the wallet's clock the list's date may be. */
export const maxRevocationListSkew = 5 * 60_000;
/** Serials are lower-case hex of at most 20 octets (RFC 5280 §4.1.2.2). */
const serialPattern = /^[0-9a-f]{2,40}$/;
/** More than a bank revokes in a certificate lifetime; the bound keeps the list's cost fixed. */
export const maxRevokedSerials = 100_000;

export interface MerchantRevocationList {
  readonly version: typeof merchantRevocationsVersion;
  readonly bankId: string;
  /** Milliseconds since the Unix epoch, the bank's clock. */
  readonly issuedAt: number;
  /** Serial numbers (lower-case hex) of revoked, unexpired merchant certificates, sorted. */
  readonly serials: readonly string[];
}

export interface SignedMerchantRevocationList extends MerchantRevocationList {
  readonly signature: Uint8Array;
}

/** Tag `farthing/merchant-revocations`, version 1, then the fields in this order. */
export function merchantRevocationsSigningBytes(list: MerchantRevocationList): Uint8Array {
  assertInteger(list?.issuedAt, 'issuedAt');
  return merchantRevocationsType.signingBytes((w) =>
    w
      .string(list.bankId, 'bankId', 128)
      .u64(list.issuedAt, 'issuedAt')
      .list(list.serials, 'serials', (writer, serial, index) =>
        writer.string(serial, `serials.${index}`, 40),
      ),
  );
}

/** The bank signs its list with its CA key. */
export async function signMerchantRevocations(
  list: Omit<MerchantRevocationList, 'version'>,
  signer: Pick<Ed25519Signer, 'sign'>,
): Promise<SignedMerchantRevocationList> {
  const unsigned: MerchantRevocationList = {
    version: merchantRevocationsVersion,
    bankId: list.bankId,
    issuedAt: list.issuedAt,
    serials: [...list.serials].sort(),
  };
  const signature = await merchantRevocationsType.sign(
    merchantRevocationsSigningBytes(unsigned),
    signer,
  );
  return Object.freeze({ ...unsigned, signature });
}

export const merchantRevocationsSchema = v.strictObject({
  version: v.literal(merchantRevocationsVersion),
  bankId: identifierSchema,
  issuedAt: timestampSchema,
  serials: v.pipe(
    v.array(
      v.pipe(
        v.string(),
        v.maxLength(40),
        v.regex(serialPattern, 'expected a lower-case hex serial'),
      ),
    ),
    v.maxLength(maxRevokedSerials),
  ),
  signature: bytesSchema(ed25519SignatureLength),
});

export function merchantRevocationsToWire(list: SignedMerchantRevocationList) {
  return {
    version: list.version,
    bankId: list.bankId,
    issuedAt: list.issuedAt,
    serials: [...list.serials],
    signature: toBase64url(list.signature),
  };
}

export interface VerifyMerchantRevocationsParameters {
  /** The raw Ed25519 key of the bank's CA certificate. */
  readonly caPublicKey: Uint8Array;
  /** Milliseconds since the Unix epoch, the wallet's clock. */
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}

/**
 * Parses and checks a list as received: `invalid_message`, `bad_signature` unless the CA key
 * signed it, `revocations_stale` if dated more than `maxRevocationListSkew` from `now`.
 */
export function verifyMerchantRevocations(
  input: unknown,
  parameters: VerifyMerchantRevocationsParameters,
): SignedMerchantRevocationList {
  const { caPublicKey, now, ed25519Verify } = parameters;
  assertBytes(caPublicKey, 'caPublicKey', ed25519PublicKeyLength);
  assertInteger(now, 'now');
  const list = parseMessage(merchantRevocationsSchema, input, 'merchant revocation list');
  merchantRevocationsType.checkSignature({
    verify: ed25519Verify,
    signature: list.signature,
    bytes: merchantRevocationsSigningBytes(list),
    publicKey: caPublicKey,
    by: "the bank's CA",
  });
  if (Math.abs(list.issuedAt - now) > maxRevocationListSkew) {
    throw new FarthingError(
      'revocations_stale',
      "the revocation list is too old or dated ahead; check this device's clock",
      { details: { field: 'issuedAt', issuedAt: list.issuedAt, now } },
    );
  }
  return Object.freeze(list);
}
