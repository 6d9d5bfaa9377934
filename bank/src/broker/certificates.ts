/**
 * User certificates (Rivest & Shamir 1996, §4.1): the broker vouches to every vendor that it
 * will redeem paywords signed under PK_U, until E, up to the credit limit. The paper lets the
 * broker bill the user afterwards; Farthing holds the limit from the customer's balance when
 * the certificate is issued, so a vendor's redemption is always covered and the books balance
 * at every moment (the hold sits in `system:payword-holds` until redeemed or released).
 */
import { type Amount, amount, formatAmount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import {
  type PaywordUserCertificateJson,
  paywordCertificates,
} from '@farthing/protocol/payword/certificate';
import type { AccountRecord, IdempotencyClaim, PaywordCertificateRecord } from '../store/store.ts';
import type { Broker } from './broker.ts';

/** EUR 1,000.00 (in minor units of the bank's currency): PayWord is for small payments. */
export const maxCreditLimitMinor = 100_000;
export const minValiditySeconds = 60;
export const defaultValiditySeconds = 30 * 86_400;
export const maxValiditySeconds = 90 * 86_400;
/** Serial collisions among 2^53 are rare enough that a third one in a row means a bug. */
const serialAttempts = 3;

export interface IssueUserCertificateParameters {
  readonly account: AccountRecord;
  readonly userPublicKey: Uint8Array;
  readonly creditLimit: Amount;
  /** Defaults to `defaultValiditySeconds`. */
  readonly validForSeconds?: number | undefined;
  readonly idempotency?: IdempotencyClaim | undefined;
}

export type IssueUserCertificateReturnType = PaywordUserCertificateJson;

export type IssueUserCertificateErrorType = FarthingError<
  'currency_mismatch' | 'invalid_amount' | 'invalid_argument' | 'insufficient_funds' | 'forbidden'
>;

function checkTerms(broker: Broker, params: IssueUserCertificateParameters): number {
  const { config } = broker.ctx;
  const { creditLimit, validForSeconds } = params;
  if (params.account.kind !== 'customer') {
    throw new FarthingError('forbidden', 'only customer accounts hold PayWord certificates');
  }
  if (creditLimit.currency !== config.currency) {
    throw new FarthingError(
      'currency_mismatch',
      `this broker extends credit in ${config.currency}`,
      { details: { field: 'creditLimit', expected: config.currency, got: creditLimit.currency } },
    );
  }
  if (creditLimit.minor < 1 || creditLimit.minor > maxCreditLimitMinor) {
    throw new FarthingError(
      'invalid_amount',
      `the credit limit must be more than zero and at most ${formatAmount(amount(config.currency, maxCreditLimitMinor))}`,
      { details: { field: 'creditLimit', max: maxCreditLimitMinor } },
    );
  }
  const seconds = validForSeconds ?? defaultValiditySeconds;
  if (
    !Number.isSafeInteger(seconds) ||
    seconds < minValiditySeconds ||
    seconds > maxValiditySeconds
  ) {
    throw new FarthingError(
      'invalid_argument',
      `a certificate is valid for ${minValiditySeconds} s to ${maxValiditySeconds / 86_400} days`,
      { details: { field: 'validForSeconds', min: minValiditySeconds, max: maxValiditySeconds } },
    );
  }
  return seconds * 1000;
}

function isSerialCollision(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Signs the certificate first (the signature is CPU work that must not sit inside a write),
 * then the store records it and holds the credit limit in one transaction: the customer is
 * never charged for a certificate the broker did not return, nor handed one that is not held.
 * Throws `insufficient_funds` (nothing changed) when the balance does not cover the limit.
 */
export async function issueUserCertificate(
  broker: Broker,
  params: IssueUserCertificateParameters,
): Promise<IssueUserCertificateReturnType> {
  const { ctx } = broker;
  const validForMs = checkTerms(broker, params);
  const { account, creditLimit } = params;
  for (let attempt = 1; ; attempt++) {
    const issuedAt = ctx.now();
    const certificate = await paywordCertificates.sign(
      {
        brokerId: ctx.config.bankId,
        userId: account.name,
        userPublicKey: params.userPublicKey,
        serial: broker.randomSerial(),
        issuedAt,
        expiresAt: issuedAt + validForMs,
        creditLimit,
      },
      ctx.keys.broker,
    );
    const json = paywordCertificates.toJson(certificate);
    try {
      return await ctx.store.issuePaywordCertificate(
        {
          serial: certificate.serial,
          accountId: account.id,
          userPublicKey: certificate.userPublicKey,
          currency: creditLimit.currency,
          creditLimit: creditLimit.minor,
          issuedAt,
          expiresAt: certificate.expiresAt,
          certificate: JSON.stringify(json),
        },
        () => json,
        params.idempotency,
      );
    } catch (error) {
      // The signed certificate with the taken serial was never handed out, so dropping it
      // leaves no second certificate under that serial anywhere.
      if (!isSerialCollision(error) || attempt >= serialAttempts) throw error;
    }
  }
}

/** What the customer sees of a certificate: its credit, what vendors redeemed, its expiry. */
export function userCertificateStatus(record: PaywordCertificateRecord, graceMs: number) {
  const money = (minor: number) => formatAmount(amount(record.currency, minor));
  const released = record.releasedAt !== undefined;
  return {
    serial: record.serial,
    creditLimit: money(record.creditLimit),
    redeemed: money(record.redeemed),
    /** Credit vendors can still redeem; none once the rest went back to the account. */
    remaining: money(released ? 0 : record.creditLimit - record.redeemed),
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    /** Vendors may redeem until then; afterwards what is left returns to the account. */
    redeemableUntil: record.expiresAt + graceMs,
    released,
    releasedAt: record.releasedAt ?? null,
    certificate: JSON.parse(record.certificate) as PaywordUserCertificateJson,
  };
}
