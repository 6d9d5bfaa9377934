/**
 * The bank's storage, as one interface of atomic, domain-level operations. Each write is one
 * database transaction that changes the state AND writes the ledger entries paying for it, or
 * changes nothing. The embedded SQLite implementation (sqlite/) group-commits concurrent
 * writes; a PostgreSQL implementation can follow behind the same interface.
 *
 * Operations that take an `IdempotencyClaim` store their result under it in the same
 * transaction: a retry with the same key and request returns the stored result, the same key
 * with another request is `idempotency_key_reused`. Failures are not stored (they changed
 * nothing, so a retry may succeed once the cause is gone).
 *
 * CPU-heavy checks (signatures, blind signing) happen before a write is submitted; writes
 * contain only the checks that need the current state.
 *
 * Long because it is the interface both stores implement and the contract suites test: every
 * record and operation type the bank stores is declared here, so the two stores cannot drift
 * apart.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import type { CardStore } from './card-store.ts';
import type { IdempotencyClaim, IdempotentWrite, Reply } from './idempotency-claim.ts';
import type { RefundStore } from './refund-store.ts';

export type AccountKind = 'customer' | 'merchant' | 'system';

export interface AccountRecord {
  readonly id: number;
  readonly kind: AccountKind;
  readonly name: string;
  readonly displayName: string;
  readonly currency: string;
  /** Minor units. */
  readonly balance: number;
  readonly passwordHash: string | undefined;
  readonly createdAt: number;
}

/** The system accounts that make the ledger balance (see `checkInvariants`). */
export const systemAccounts = {
  /** Money put into circulation (seeding, top-ups); its balance is minus everything issued. */
  issued: 'system:issued',
  /** Value of the coins the mint signed and nobody has spent yet. */
  coins: 'system:coins',
  /** Customer money held for PayWord certificates, until vendors redeem it or it is released. */
  paywordHolds: 'system:payword-holds',
} as const;

export type { IdempotencyClaim, IdempotentWrite, Reply } from './idempotency-claim.ts';

export interface Session {
  readonly account: AccountRecord;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

export interface LedgerEntry {
  readonly transferId: number;
  readonly kind: string;
  readonly reference: string;
  readonly amount: number;
  readonly balanceAfter: number;
  readonly createdAt: number;
}

export interface DenominationRecord {
  readonly id: Uint8Array;
  readonly currency: string;
  readonly value: number;
  readonly publicN: Uint8Array;
  readonly publicE: Uint8Array;
  /** PKCS#8 DER of the RSA private key. */
  readonly privateKey: Uint8Array;
  readonly validFrom: number;
  readonly withdrawUntil: number;
  readonly depositUntil: number;
  readonly createdAt: number;
}

export interface BankKeyRecord {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface IssuedCoin {
  readonly denominationId: Uint8Array;
  readonly value: number;
  readonly blindedMessage: Uint8Array;
  readonly blindSignature: Uint8Array;
}

export interface IssuanceRecord {
  readonly id: string;
  readonly kind: 'withdrawal' | 'change';
  readonly accountId: number | undefined;
  readonly currency: string;
  readonly total: number;
  readonly requestHash: Uint8Array;
  readonly coins: readonly IssuedCoin[];
  readonly createdAt: number;
}

export interface SpentCoin {
  readonly coinPub: Uint8Array;
  readonly denominationId: Uint8Array;
  readonly value: number;
  /** The spender's signature: a deposit permission or change request signature. */
  readonly signature: Uint8Array;
  /** The signed statement as wire JSON, the proof shown to a second spender. */
  readonly proof: string;
}

export interface SpentCoinRecord extends SpentCoin {
  readonly kind: 'deposit' | 'change';
  readonly spentBy: string;
  readonly spentAt: number;
}

/** A second spend: `coin_already_spent` (409) with the first spend's permission as proof. */
export function coinAlreadySpent(first: SpentCoinRecord): FarthingError {
  return new FarthingError('coin_already_spent', 'this coin was already spent', {
    details: {
      coinPub: toBase64url(first.coinPub),
      spentAt: first.spentAt,
      kind: first.kind,
      proof: JSON.parse(first.proof) as unknown,
    },
  });
}

export interface DepositRecord {
  readonly id: string;
  readonly merchantId: number;
  readonly currency: string;
  readonly total: number;
  readonly coinCount: number;
  readonly createdAt: number;
}

export interface PaywordCertificateRecord {
  readonly serial: number;
  readonly accountId: number;
  readonly userPublicKey: Uint8Array;
  readonly currency: string;
  readonly creditLimit: number;
  readonly redeemed: number;
  readonly releasedAt: number | undefined;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The signed certificate as wire JSON. */
  readonly certificate: string;
}

export interface PaywordRedemptionRecord {
  readonly commitmentId: Uint8Array;
  readonly serial: number;
  readonly vendorId: number;
  readonly lastIndex: number;
  readonly lastWord: Uint8Array;
  readonly redeemed: number;
  readonly updatedAt: number;
}

/** One verified PayWord redemption: (index, word) already hashes to the committed root. */
export interface PaywordRedemptionClaim {
  readonly commitmentId: Uint8Array;
  readonly serial: number;
  readonly index: number;
  readonly word: Uint8Array;
  /** Value of one payword, in the certificate's currency. */
  readonly valuePerWord: number;
}

export type PaywordRedemptionOutcome =
  | {
      readonly status: 'redeemed';
      readonly commitmentId: Uint8Array;
      /** What this call paid: only the words beyond the previous redemption. */
      readonly paid: number;
      readonly index: number;
      readonly totalRedeemed: number;
    }
  | { readonly status: 'rejected'; readonly commitmentId: Uint8Array; readonly error: unknown };

export interface MerchantCertificateRecord {
  readonly serial: string;
  readonly accountId: number;
  readonly origins: readonly string[];
  readonly offerKey: Uint8Array;
  readonly der: Uint8Array;
  readonly notAfter: number;
  readonly createdAt: number;
  /** Set once the operator revoked it (ca/revocation-routes.ts). */
  readonly revokedAt?: number;
}

/** A challenge the CA handed a merchant to prove it controls an origin (ca/origin-proof.ts). */
export interface OriginChallengeRecord {
  readonly token: string;
  readonly accountId: number;
  readonly origin: string;
  readonly status: 'pending' | 'valid' | 'invalid';
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly checkedAt?: number;
}

// --- hardware purse issuer (bank/src/purse/)

export type PurseCardStatus = 'active' | 'blocked' | 'closed';

/**
 * Cards an account may hold that are not closed: each is a certificate and a shadow account,
 * and any customer can ask for one, so the issuer stops at a number no holder needs more of.
 */
export const maxPurseCardsPerAccount = 10;

export function purseCardLimitReached(): FarthingError {
  return new FarthingError(
    'purse_card_limit_reached',
    `an account holds at most ${maxPurseCardsPerAccount} purse cards that are not closed`,
    { details: { max: maxPurseCardsPerAccount } },
  );
}

export interface PurseCardRecord {
  readonly cardId: string;
  readonly accountId: number;
  readonly shadowAccountId: number;
  readonly publicKey: Uint8Array;
  /** DER of the card certificate the bank's CA issued. */
  readonly certificate: Uint8Array;
  readonly status: PurseCardStatus;
  readonly blockedAt: number | undefined;
  /** What went back to the account when the card was closed. */
  readonly refunded: number;
  /** The shadow account's balance: loaded, not yet cleared or refunded. */
  readonly shadowBalance: number;
  readonly createdAt: number;
}

export interface PurseLoadRecord {
  readonly cardId: string;
  readonly loadCounter: number;
  readonly amount: number;
  readonly loadId: Uint8Array;
  /** The signed load authorization as sent to the card. */
  readonly authorization: Uint8Array;
  readonly createdAt: number;
}

/** One proof whose signature and certificate were verified; the write checks the rest. */
export interface PurseClearingClaim {
  readonly cardId: string;
  readonly sno: number;
  readonly tno: number;
  readonly amount: number;
  readonly fee: number;
  readonly proof: Uint8Array;
}

export type PurseClearingOutcome =
  | {
      readonly status: 'cleared';
      readonly cardId: string;
      readonly sno: number;
      readonly tno: number;
      readonly amount: number;
      readonly fee: number;
    }
  | {
      readonly status: 'rejected';
      readonly cardId: string;
      readonly sno: number;
      readonly tno: number;
      readonly error: unknown;
    };

export interface InvariantReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly totals: Readonly<Record<string, number>>;
}

/** A login session as it is stored: the token's hash, never the token. */
export interface NewSession {
  readonly tokenHash: Uint8Array;
  readonly accountId: number;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  readonly now: number;
}

export interface BankStore {
  // --- accounts and credentials
  createAccount: IdempotentWrite<
    {
      kind: AccountKind;
      name: string;
      displayName: string;
      currency: string;
      passwordHash?: string;
      now: number;
    },
    AccountRecord
  >;
  getAccount(id: number): Promise<AccountRecord | undefined>;
  getAccountByName(name: string): Promise<AccountRecord | undefined>;
  createSession(session: NewSession): Promise<void>;
  findSession(tokenHash: Uint8Array): Promise<Session | undefined>;
  deleteSession(tokenHash: Uint8Array): Promise<void>;
  createApiKey(key: {
    keyHash: Uint8Array;
    accountId: number;
    label: string;
    now: number;
  }): Promise<void>;
  findApiKeyAccount(keyHash: Uint8Array): Promise<AccountRecord | undefined>;
  /** Newest first. */
  history(accountId: number, options: { limit: number; before?: number }): Promise<LedgerEntry[]>;
  /** Puts new money into an account (seeding, top-ups), from `system:issued`. */
  issueFunds(
    params: { accountId: number; amount: number; reference: string; now: number },
    idempotency?: IdempotencyClaim,
  ): Promise<{ balance: number }>;

  // --- idempotency: the stored result for a claim, if any (a fast path before CPU work)
  findIdempotentResult(claim: IdempotencyClaim): Promise<unknown | undefined>;

  // --- keys
  getBankKey(name: string): Promise<BankKeyRecord | undefined>;
  /** Inserts the key unless one of that name exists; returns the stored one either way. */
  ensureBankKey(key: BankKeyRecord & { now: number }): Promise<BankKeyRecord>;
  listDenominations(): Promise<DenominationRecord[]>;
  insertDenomination(denomination: DenominationRecord): Promise<void>;
  /**
   * Runs `work` while no other process on this database runs work of the same `job`, so a
   * background job that reads, decides and writes (mint key rotation) is done once however many
   * bank processes run it. One process alone (SQLite) just runs it.
   */
  exclusively<R>(job: string, work: () => Promise<R>): Promise<R>;

  // --- mint
  /**
   * Debits the account and records the blind signatures, once per issuance id. The same id
   * with the same request returns the stored issuance (crash recovery); with another request
   * it is `issuance_conflict`.
   */
  withdraw: IdempotentWrite<
    {
      issuanceId: string;
      accountId: number;
      currency: string;
      requestHash: Uint8Array;
      coins: readonly IssuedCoin[];
      now: number;
    },
    IssuanceRecord
  >;
  getIssuance(id: string): Promise<IssuanceRecord | undefined>;
  /**
   * Marks every coin spent and credits the merchant, or, if any coin is already spent,
   * changes nothing and throws `coin_already_spent` with the first spend's proof. Depositing
   * exactly the same signed coins again returns the original deposit.
   */
  deposit: IdempotentWrite<
    {
      depositId: string;
      merchantId: number;
      currency: string;
      coins: readonly SpentCoin[];
      now: number;
    },
    DepositRecord
  >;
  /** Spends one coin and records the new blind signatures of the same total. */
  change: IdempotentWrite<
    {
      issuanceId: string;
      currency: string;
      requestHash: Uint8Array;
      spent: SpentCoin;
      coins: readonly IssuedCoin[];
      now: number;
    },
    IssuanceRecord
  >;
  getSpentCoin(coinPub: Uint8Array): Promise<SpentCoinRecord | undefined>;
  // The wallet's recovery (mint/recovery.ts).
  /** The account's withdrawals, newest first: `limit` of them after skipping `offset`. */
  listWithdrawals(
    accountId: number,
    page: { offset: number; limit: number },
  ): Promise<IssuanceRecord[]>;
  /**
   * Keys of spent coins that start with one of `prefixes` and sort after `after`, in key
   * order, at most `limit`.
   */
  spentCoinsWithPrefixes(
    prefixes: readonly Uint8Array[],
    page: { after?: Uint8Array; limit: number },
  ): Promise<Uint8Array[]>;
  /** Change issuances whose id starts with one of `prefixes` and sorts after `after`, in id
   * order, at most `limit`. */
  changeIssuancesWithPrefixes(
    prefixes: readonly string[],
    page: { after?: string; limit: number },
  ): Promise<IssuanceRecord[]>;

  // --- PayWord broker
  /** Holds the credit limit from the customer's balance and records the certificate. */
  issuePaywordCertificate: IdempotentWrite<
    Omit<PaywordCertificateRecord, 'redeemed' | 'releasedAt'>,
    PaywordCertificateRecord
  >;
  getPaywordCertificate(serial: number): Promise<PaywordCertificateRecord | undefined>;
  getPaywordRedemption(commitmentId: Uint8Array): Promise<PaywordRedemptionRecord | undefined>;
  /**
   * Pays the vendor for each claim only what goes beyond the previous redemption of that
   * commitment, within the certificate's remaining hold. Each claim succeeds or fails alone.
   */
  redeemPaywords: IdempotentWrite<
    { vendorId: number; claims: readonly PaywordRedemptionClaim[]; now: number },
    readonly PaywordRedemptionOutcome[]
  >;
  /** Returns unredeemed holds of certificates that expired before `expiredBefore`. */
  releasePaywordHolds(params: { expiredBefore: number; now: number }): Promise<number>;
  /** The account's PayWord certificates, newest first (broker/early-release.ts). */
  listPaywordCertificates(accountId: number): Promise<PaywordCertificateRecord[]>;
  /**
   * Ends the account's unreleased certificate at `now` on the holder's request (its wallet is
   * lost): the recorded expiry becomes `now` unless earlier already, so vendors keep the usual
   * grace from then and `releasePaywordHolds` returns the rest after it. Moves no money itself.
   * Undefined when the account holds no certificate with this serial.
   */
  endPaywordCertificate(params: {
    accountId: number;
    serial: number;
    now: number;
  }): Promise<PaywordCertificateRecord | undefined>;

  // --- certificate authority
  /** Records an issued certificate; `render` builds the answer stored under the claim. */
  insertMerchantCertificate: IdempotentWrite<MerchantCertificateRecord, MerchantCertificateRecord>;
  listMerchantCertificates(accountId: number): Promise<MerchantCertificateRecord[]>;
  // Origins proven before certification, and revocation (ca/origin-proof.ts).
  /** Records a certificate after checking, in the same transaction, that no other account
   * holds one of `exclusiveOrigins` (`origin_taken`). */
  insertExclusiveMerchantCertificate<R>(
    certificate: MerchantCertificateRecord,
    exclusiveOrigins: readonly string[],
    ...reply: Reply<MerchantCertificateRecord, R>
  ): Promise<R>;
  /** `origin_taken` if another account holds one of `origins`. */
  assertOriginsFree(origins: readonly string[], accountId: number, now: number): Promise<void>;
  createOriginChallenge: IdempotentWrite<OriginChallengeRecord, OriginChallengeRecord>;
  /** The account's unexpired challenges for `origin` that did not fail, valid ones first. */
  openOriginChallenges(
    accountId: number,
    origin: string,
    now: number,
  ): Promise<OriginChallengeRecord[]>;
  settleOriginChallenge(token: string, status: 'valid' | 'invalid', now: number): Promise<void>;
  /** Revokes once (a second call keeps the first time); undefined for an unknown serial. */
  revokeMerchantCertificate(
    serial: string,
    now: number,
  ): Promise<MerchantCertificateRecord | undefined>;
  /** Serials of revoked certificates that have not expired at `now`, sorted. */
  listRevokedMerchantCertificates(now: number): Promise<string[]>;

  // --- hardware purse issuer
  /** Creates the card's shadow account and records the card; `account_exists` if known. */
  issuePurseCard: IdempotentWrite<
    {
      cardId: string;
      accountId: number;
      publicKey: Uint8Array;
      certificate: Uint8Array;
      now: number;
    },
    PurseCardRecord
  >;
  getPurseCard(cardId: string): Promise<PurseCardRecord | undefined>;
  /**
   * Debits the holder's account and credits the card's shadow account, recording the load
   * under (card, load counter). The same card and counter again returns the stored load when
   * the amount is the same (a retry), and is `conflict` otherwise.
   */
  loadPurse: IdempotentWrite<
    Omit<PurseLoadRecord, 'createdAt'> & { accountId: number; now: number },
    PurseLoadRecord
  >;
  /** Credits the merchant and debits each card's shadow account; each claim alone. */
  clearPurseProofs: IdempotentWrite<
    {
      merchantAccountId: number;
      merchantId: string;
      claims: readonly PurseClearingClaim[];
      now: number;
    },
    readonly PurseClearingOutcome[]
  >;
  /** Blocks an active card of the account; blocking a blocked card changes nothing. */
  blockPurseCard: IdempotentWrite<
    { cardId: string; accountId: number; now: number },
    PurseCardRecord
  >;
  /** Returns the shadow balance of cards blocked before `blockedBefore` and closes them. */
  closeBlockedPurseCards(params: { blockedBefore: number; now: number }): Promise<number>;
  // --- SET card payments: issuer, cardholder CA, payment gateway (card-store.ts)
  readonly cards: CardStore;
  // --- refunds of e-cash and PayWord payments (refund-store.ts)
  readonly refunds: RefundStore;

  // --- operations
  checkInvariants(): Promise<InvariantReport>;
  readonly stats: {
    readonly commits: number;
    readonly jobs: number;
    readonly largestBatch: number;
  };
  close(): Promise<void>;
}

/** What `createAccount` and `withdraw` take, named once for both backends to implement. */
export type NewAccount = Parameters<BankStore['createAccount']>[0];
export type WithdrawParameters = Parameters<BankStore['withdraw']>[0];
