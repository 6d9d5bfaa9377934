/**
 * Rows as both backends return them (sqlite/ and postgres/ name their columns alike) turned
 * into the store's records, so the two cannot map a column differently.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type {
  AccountKind,
  AccountRecord,
  IdempotencyClaim,
  LedgerEntry,
  MerchantCertificateRecord,
  NewAccount,
  NewSession,
  OriginChallengeRecord,
  Session,
} from './store.ts';
import { type TransferParams, transferBetween } from './transfer.ts';

/** A plain Uint8Array view of a BLOB/BYTEA value (both drivers return Buffers). */
export const bytes = (value: Uint8Array): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

/** A stored answer under an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header). */
export interface IdempotencyRow {
  readonly request_hash: Uint8Array;
  /** The answer as JSON. */
  readonly body: string;
}

/**
 * The answer stored for `claim`, if any: what a retry gets back, the JSON round trip of the first
 * answer. The key used for another request is `idempotency_key_reused`.
 */
export function storedAnswer(
  row: IdempotencyRow | undefined,
  claim: IdempotencyClaim,
): unknown | undefined {
  if (row === undefined) return undefined;
  if (!sameBytes(row.request_hash, claim.requestHash)) {
    throw new FarthingError(
      'idempotency_key_reused',
      'this Idempotency-Key was already used for a different request; use a fresh key',
      { details: { key: claim.key } },
    );
  }
  return JSON.parse(row.body);
}

export interface AccountRow {
  readonly id: number;
  readonly kind: AccountKind;
  readonly name: string;
  readonly display_name: string;
  readonly currency: string;
  readonly balance: number;
  readonly password_hash: string | null;
  readonly created_at: number;
}

export function toAccount(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    displayName: row.display_name,
    currency: row.currency,
    balance: row.balance,
    passwordHash: row.password_hash ?? undefined,
    createdAt: row.created_at,
  };
}

export interface LedgerEntryRow {
  readonly transfer_id: number;
  readonly kind: string;
  readonly reference: string;
  readonly amount: number;
  readonly balance_after: number;
  readonly created_at: number;
}

export const ledgerEntryFromRow = (row: LedgerEntryRow): LedgerEntry => ({
  transferId: row.transfer_id,
  kind: row.kind,
  reference: row.reference,
  amount: row.amount,
  balanceAfter: row.balance_after,
  createdAt: row.created_at,
});

export interface CertificateRow {
  readonly serial: string;
  readonly account_id: number;
  /** JSON array of origins. */
  readonly origins: string;
  readonly offer_key: Uint8Array;
  readonly der: Uint8Array;
  readonly not_after: number;
  readonly created_at: number;
  readonly revoked_at: number | null;
}

export function certificateFromRow(row: CertificateRow): MerchantCertificateRecord {
  return {
    serial: row.serial,
    accountId: row.account_id,
    origins: JSON.parse(row.origins) as string[],
    offerKey: bytes(row.offer_key),
    der: bytes(row.der),
    notAfter: row.not_after,
    createdAt: row.created_at,
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

/** The values of a new `merchant_certificates` row, in the order of its INSERT's column list. */
export const certificateValues = (certificate: MerchantCertificateRecord): unknown[] => [
  certificate.serial,
  certificate.accountId,
  JSON.stringify(certificate.origins),
  certificate.offerKey,
  certificate.der,
  certificate.notAfter,
  certificate.createdAt,
];

export interface ChallengeRow {
  readonly token: string;
  readonly account_id: number;
  readonly origin: string;
  readonly status: OriginChallengeRecord['status'];
  readonly created_at: number;
  readonly expires_at: number;
  readonly checked_at: number | null;
}

export function challengeFromRow(row: ChallengeRow): OriginChallengeRecord {
  return {
    token: row.token,
    accountId: row.account_id,
    origin: row.origin,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.checked_at === null ? {} : { checkedAt: row.checked_at }),
  };
}

/** The values of a new, pending `origin_challenges` row, in the order of its INSERT's list. */
export const challengeValues = (challenge: OriginChallengeRecord): unknown[] => [
  challenge.token,
  challenge.accountId,
  challenge.origin,
  challenge.createdAt,
  challenge.expiresAt,
];

/** A session's row joined with its account's. */
export type SessionRow = AccountRow & { readonly scopes: string; readonly expires_at: number };

/** Scopes are stored space-separated, none as the empty string. */
export function sessionFromRow(row: SessionRow): Session {
  return {
    account: toAccount(row),
    scopes: row.scopes === '' ? [] : row.scopes.split(' '),
    expiresAt: row.expires_at,
  };
}

/** The values of a new `sessions` row, in the order of its INSERT's column list. */
export const sessionValues = (session: NewSession): unknown[] => [
  session.tokenHash,
  session.accountId,
  session.scopes.join(' '),
  session.expiresAt,
  session.now,
];

/**
 * The values of a new `accounts` row, in the order of its INSERT's column list; only
 * system:issued may go below zero (it is where every coin's value comes from).
 */
export function newAccountValues(account: NewAccount): unknown[] {
  const { kind, name, displayName, currency, passwordHash, now } = account;
  return [
    kind,
    name,
    displayName,
    currency,
    name === 'system:issued' ? 1 : 0,
    passwordHash ?? null,
    now,
  ];
}

/** Money the bank issues into an account comes out of system:issued, which may go negative. */
export const issueTransfer = (
  params: { accountId: number; amount: number; reference: string; now: number },
  issuedAccount: number,
): TransferParams =>
  transferBetween(
    'issue',
    params.reference,
    issuedAccount,
    params.accountId,
    params.amount,
    params.now,
  );

export function accountExists(name: string): FarthingError {
  return new FarthingError('account_exists', `the name "${name}" is taken`, {
    details: { field: 'name' },
  });
}
