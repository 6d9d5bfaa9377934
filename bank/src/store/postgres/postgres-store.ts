/**
 * The bank's storage on a PostgreSQL server, for several bank processes behind one database.
 * Nothing another process must see lives in this object: it holds a connection pool and the
 * ids of the system accounts (which never change once created).
 *
 * Isolation per operation (every write is retried on 40001/40P01, database.ts):
 *
 * - READ COMMITTED for every write. Each one's correctness rests on constraints and atomic
 *   row updates, which PostgreSQL enforces across transactions at any level: a balance moves
 *   by `balance = balance + x` under the row's lock (no lost update) and the CHECK refuses an
 *   overdraft; a coin is spent once by the UNIQUE coin_pub (a concurrent insert of the same
 *   coin waits for the first and then sees it); an issuance id, a deposit id, an account name,
 *   a bank key name and an Idempotency-Key are each claimed once by their UNIQUE index, and
 *   the loser's retry reads the winner's row. No write decides from a value it read earlier
 *   in the transaction that another transaction could change in between (those claimed rows
 *   are never updated once written), except a PayWord redemption, which first locks its
 *   certificate's row (`FOR NO KEY UPDATE`, broker.ts) and so reads the latest committed state
 *   while no other process can change it, and a refund or a refund refresh, which first lock
 *   what they draw on (the receipt and the deposit or redemption row, the coin; refunds.ts).
 *   The stronger levels would only add serialization failures.
 * - REPEATABLE READ READ ONLY for the books check: every sum from one snapshot.
 * - Plain reads run outside a transaction: one statement sees one committed state.
 *
 * Long because it is the BankStore interface's one PostgreSQL implementation: each method is a
 * few lines delegating to the per-area modules beside it, plus the transaction and retry rules
 * stated here once.
 */

import { coinRefundsAccount } from '../refund-store.ts';
import {
  type CertificateRow,
  certificateFromRow,
  certificateValues,
  issueTransfer,
} from '../rows.ts';
import {
  type BankStore,
  type IdempotencyClaim,
  type InvariantReport,
  type MerchantCertificateRecord,
  systemAccounts,
} from '../store.ts';

import * as accounts from './accounts.ts';
import * as broker from './broker.ts';
import { cardClaimedKeys, ensureCardAccounts, PostgresCardStore } from './cards.ts';
import { PostgresDatabase, type RetryPolicy, type Sql } from './database.ts';
import { DepositBatcher, defineDepositFunction } from './deposit-function.ts';
import { findIdempotentResult, idempotencyConstraint } from './idempotency.ts';
import { checkInvariants } from './invariants.ts';
import { postTransfer } from './ledger.ts';
import * as origins from './merchant-certificates.ts';
import { migrate } from './migrations.ts';
import * as mint from './mint.ts';
import * as purse from './purse.ts';
import * as recovery from './recovery.ts';
import { PostgresRefundStore, refundClaimedKeys } from './refunds.ts';
import { type PostgresWrites, postgresWrites } from './write.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL form). */
  readonly url: string;
  /** Currency of the system accounts. */
  readonly currency: string;
  /** Connections this process keeps open at most (default 10). */
  readonly poolSize?: number;
  readonly retry?: RetryPolicy;
}

interface SystemAccountIds {
  readonly issued: number;
  readonly coins: number;
  readonly paywordHolds: number;
  readonly purseFees: number;
  readonly coinRefunds: number;
  readonly cards: { readonly credit: number; readonly holds: number };
}

/** Keys that a concurrent request may claim first; the retry answers from the winner's row. */
const claimedKeys = [
  idempotencyConstraint,
  mint.issuanceConstraint,
  ...purse.purseClaimedKeys,
  ...cardClaimedKeys,
  ...refundClaimedKeys,
];

export class PostgresBankStore implements BankStore {
  readonly #db: PostgresDatabase;
  readonly #system: SystemAccountIds;
  readonly #currency: string;
  readonly cards: PostgresCardStore;
  readonly refunds: PostgresRefundStore;
  readonly #deposits: DepositBatcher;
  /** Every write at READ COMMITTED (see the module comment), retried on `claimedKeys`. */
  readonly #writes: PostgresWrites;

  private constructor(db: PostgresDatabase, system: SystemAccountIds, currency: string) {
    this.#db = db;
    this.#system = system;
    this.#currency = currency;
    this.#deposits = new DepositBatcher(db, system.coins);
    this.#writes = postgresWrites(db, claimedKeys);
    this.cards = new PostgresCardStore({ db, writes: this.#writes, system: system.cards });
    this.refunds = new PostgresRefundStore({
      db,
      writes: this.#writes,
      system: { coinRefunds: system.coinRefunds, coins: system.coins },
    });
  }

  /** Connects, brings the schema up to date and makes sure the system accounts exist. */
  static async open(options: PostgresStoreOptions): Promise<PostgresBankStore> {
    const db = new PostgresDatabase(options.url, {
      poolSize: options.poolSize ?? 10,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
    try {
      await migrate(db);
      await defineDepositFunction(db);
      const system = await db.transaction({ isolation: 'read committed' }, async (sql) => ({
        issued: await ensureSystemAccount(sql, systemAccounts.issued, 'Money issued', options),
        coins: await ensureSystemAccount(sql, systemAccounts.coins, 'Outstanding coins', options),
        paywordHolds: await ensureSystemAccount(
          sql,
          systemAccounts.paywordHolds,
          'PayWord holds',
          options,
        ),
        purseFees: await ensureSystemAccount(
          sql,
          purse.purseFeesAccount,
          'Purse clearing fees',
          options,
        ),
        coinRefunds: await ensureSystemAccount(
          sql,
          coinRefundsAccount,
          'Coin refunds not yet refreshed',
          options,
        ),
        cards: await ensureCardAccounts(sql, options.currency),
      }));
      return new PostgresBankStore(db, system, options.currency);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  // --- accounts and credentials

  readonly createAccount: BankStore['createAccount'] = (account, ...reply) =>
    this.#writes.writeReply(account.now, reply, (sql) => accounts.createAccount(sql, account));

  getAccount(id: number) {
    return accounts.accountById(this.#db, id);
  }

  getAccountByName(name: string) {
    return accounts.accountByName(this.#db, name);
  }

  createSession(session: Parameters<BankStore['createSession']>[0]): Promise<void> {
    return accounts.createSession(this.#db, session);
  }

  findSession(tokenHash: Uint8Array) {
    return accounts.findSession(this.#db, tokenHash);
  }

  deleteSession(tokenHash: Uint8Array): Promise<void> {
    return accounts.deleteSession(this.#db, tokenHash);
  }

  createApiKey(key: Parameters<BankStore['createApiKey']>[0]): Promise<void> {
    return accounts.createApiKey(this.#db, key);
  }

  findApiKeyAccount(keyHash: Uint8Array) {
    return accounts.findApiKeyAccount(this.#db, keyHash);
  }

  history(accountId: number, options: { limit: number; before?: number }) {
    return accounts.history(this.#db, accountId, options.limit, options.before);
  }

  issueFunds(
    params: { accountId: number; amount: number; reference: string; now: number },
    idempotency?: IdempotencyClaim,
  ): Promise<{ balance: number }> {
    return this.#writes.write(idempotency, params.now, async (sql) => {
      await postTransfer(sql, issueTransfer(params, this.#system.issued));
      return { balance: (await accounts.accountById(sql, params.accountId))!.balance };
    });
  }

  findIdempotentResult(claim: IdempotencyClaim) {
    return findIdempotentResult(this.#db, claim);
  }

  // --- keys

  getBankKey(name: string) {
    return mint.bankKey(this.#db, name);
  }

  ensureBankKey(key: Parameters<BankStore['ensureBankKey']>[0]) {
    return this.#db.transaction({ isolation: 'read committed' }, (sql) =>
      mint.ensureBankKey(sql, key),
    );
  }

  listDenominations() {
    return mint.denominations(this.#db);
  }

  insertDenomination(denomination: Parameters<BankStore['insertDenomination']>[0]): Promise<void> {
    return mint.insertDenomination(this.#db, denomination);
  }

  /** Under a session advisory lock named for the job, held on one connection for `work`. */
  exclusively<R>(job: string, work: () => Promise<R>): Promise<R> {
    return this.#db.exclusively(`farthing:${job}`, work);
  }

  // --- mint

  readonly withdraw: BankStore['withdraw'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) =>
      mint.withdraw(sql, params, this.#system.coins),
    );

  getIssuance(id: string) {
    return mint.issuance(this.#db, id);
  }

  /**
   * The common case in one statement shared with the deposits queued meanwhile
   * (deposit-function.ts); anything else, and anything that went wrong there (which changed
   * nothing), through the general transaction.
   */
  readonly deposit: BankStore['deposit'] = async (params, ...reply) => {
    const [render, idempotency] = reply;
    const answer = render({
      id: params.depositId,
      merchantId: params.merchantId,
      currency: params.currency,
      total: params.coins.reduce((sum, coin) => sum + coin.value, 0),
      coinCount: params.coins.length,
      createdAt: params.now,
    });
    const body = idempotency === undefined ? null : JSON.stringify(answer);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const done = await this.#deposits.submit({
      scope: idempotency?.scope ?? null,
      key: idempotency?.key ?? null,
      requestHash: idempotency === undefined ? null : hex(idempotency.requestHash),
      body,
      depositId: params.depositId,
      merchantId: params.merchantId,
      currency: params.currency,
      coins: params.coins.map((c) => [
        hex(c.coinPub),
        hex(c.denominationId),
        c.value,
        c.proof,
        hex(c.signature),
      ]),
      now: params.now,
    });
    // What runIdempotent answers: the JSON round trip of the stored result.
    if (done) return body === null ? answer : (JSON.parse(body) as typeof answer);
    // Not the common case, or in doubt: the general path decides, seeing what committed.
    return this.#writes.writeReply(params.now, reply, (sql) =>
      mint.deposit(sql, params, this.#system.coins),
    );
  };

  readonly change: BankStore['change'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) => mint.change(sql, params));

  getSpentCoin(coinPub: Uint8Array) {
    return mint.spentCoin(this.#db, coinPub);
  }

  async listWithdrawals(accountId: number, page: { offset: number; limit: number }) {
    const ids = await recovery.withdrawalIds(this.#db, accountId, page.offset, page.limit);
    const found = await Promise.all(ids.map((id) => mint.issuance(this.#db, id)));
    return found.filter((issuance) => issuance !== undefined);
  }

  spentCoinsWithPrefixes(
    prefixes: readonly Uint8Array[],
    page: { after?: Uint8Array; limit: number },
  ) {
    return recovery.spentWithPrefixes(this.#db, prefixes, page.after, page.limit);
  }

  async changeIssuancesWithPrefixes(
    prefixes: readonly string[],
    page: { after?: string; limit: number },
  ) {
    const ids = await recovery.changeIdsWithPrefixes(this.#db, prefixes, page.after, page.limit);
    const found = await Promise.all(ids.map((id) => mint.issuance(this.#db, id)));
    return found.filter((issuance) => issuance !== undefined);
  }

  // --- PayWord broker (broker.ts says why a certificate's row lock is enough)

  readonly issuePaywordCertificate: BankStore['issuePaywordCertificate'] = (
    certificate,
    ...reply
  ) =>
    this.#writes.writeReply(certificate.issuedAt, reply, (sql) =>
      broker.issueCertificate(sql, certificate, this.#system.paywordHolds),
    );

  getPaywordCertificate(serial: number) {
    return broker.certificate(this.#db, serial);
  }

  getPaywordRedemption(commitmentId: Uint8Array) {
    return broker.redemption(this.#db, commitmentId);
  }

  readonly redeemPaywords: BankStore['redeemPaywords'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) =>
      broker.redeemAll(sql, params.vendorId, params.claims, this.#system.paywordHolds, params.now),
    );

  releasePaywordHolds(params: { expiredBefore: number; now: number }): Promise<number> {
    return this.#db.transaction({ isolation: 'read committed' }, (sql) =>
      broker.releaseExpired(sql, params.expiredBefore, this.#system.paywordHolds, params.now),
    );
  }

  listPaywordCertificates(accountId: number) {
    return broker.certificatesOf(this.#db, accountId);
  }

  endPaywordCertificate(params: { accountId: number; serial: number; now: number }) {
    return this.#db.transaction({ isolation: 'read committed' }, (sql) =>
      broker.end(sql, params.accountId, params.serial, params.now),
    );
  }

  // --- certificate authority

  readonly insertMerchantCertificate: BankStore['insertMerchantCertificate'] = (
    certificate,
    ...reply
  ) => this.insertExclusiveMerchantCertificate(certificate, [], ...reply);

  async listMerchantCertificates(accountId: number): Promise<MerchantCertificateRecord[]> {
    const rows = await this.#db.query<CertificateRow>(
      'SELECT * FROM merchant_certificates WHERE account_id = $1 ORDER BY created_at',
      [accountId],
    );
    return rows.map(certificateFromRow);
  }

  readonly insertExclusiveMerchantCertificate: BankStore['insertExclusiveMerchantCertificate'] = (
    certificate,
    exclusiveOrigins,
    ...reply
  ) =>
    this.#writes.writeReply(certificate.createdAt, reply, async (sql) => {
      await origins.lockOrigins(sql, exclusiveOrigins);
      await origins.assertOriginsFree(
        sql,
        exclusiveOrigins,
        certificate.accountId,
        certificate.createdAt,
      );
      await insertCertificate(sql, certificate);
      return certificate;
    });

  assertOriginsFree(exclusive: readonly string[], accountId: number, now: number): Promise<void> {
    return origins.assertOriginsFree(this.#db, exclusive, accountId, now);
  }

  readonly createOriginChallenge: BankStore['createOriginChallenge'] = (challenge, ...reply) =>
    this.#writes.writeReply(challenge.createdAt, reply, (sql) =>
      origins.insertChallenge(sql, challenge),
    );

  openOriginChallenges(accountId: number, origin: string, now: number) {
    return origins.openChallenges(this.#db, accountId, origin, now);
  }

  settleOriginChallenge(token: string, status: 'valid' | 'invalid', now: number): Promise<void> {
    return origins.settleChallenge(this.#db, token, status, now);
  }

  revokeMerchantCertificate(serial: string, now: number) {
    return origins.revoke(this.#db, serial, now);
  }

  listRevokedMerchantCertificates(now: number) {
    return origins.revokedSerials(this.#db, now);
  }

  // --- hardware purse issuer (purse.ts)

  readonly issuePurseCard: BankStore['issuePurseCard'] = (card, ...reply) =>
    this.#writes.writeReply(card.now, reply, (sql) => purse.issueCard(sql, card, this.#currency));

  getPurseCard(cardId: string) {
    return purse.card(this.#db, cardId);
  }

  readonly loadPurse: BankStore['loadPurse'] = (load, ...reply) =>
    this.#writes.writeReply(load.now, reply, (sql) => purse.load(sql, load));

  readonly clearPurseProofs: BankStore['clearPurseProofs'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) =>
      purse.clearAll(sql, params, this.#system.purseFees),
    );

  readonly blockPurseCard: BankStore['blockPurseCard'] = (params, ...reply) =>
    this.#writes.writeReply(params.now, reply, (sql) => purse.block(sql, params));

  closeBlockedPurseCards(params: { blockedBefore: number; now: number }): Promise<number> {
    return this.#writes.write(undefined, params.now, (sql) =>
      purse.closeBlocked(sql, params.blockedBefore, params.now),
    );
  }

  // --- operations

  checkInvariants(): Promise<InvariantReport> {
    return checkInvariants(this.#db);
  }

  /** Commits (transactions and deposit batches), the writes they carried, the largest batch. */
  get stats() {
    const deposits = this.#deposits.stats;
    return {
      commits: this.#db.stats.commits + deposits.batches,
      jobs: this.#db.stats.commits + deposits.deposits,
      largestBatch: Math.max(1, deposits.largestBatch),
    };
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

/** Several processes may start at once: the name's UNIQUE index lets one create the account. */
async function ensureSystemAccount(
  sql: Sql,
  name: string,
  displayName: string,
  options: PostgresStoreOptions,
): Promise<number> {
  await sql.query(
    `INSERT INTO accounts (kind, name, display_name, currency, may_go_negative, created_at)
     VALUES ('system', $1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
    [name, displayName, options.currency, name === systemAccounts.issued ? 1 : 0, Date.now()],
  );
  const account = await accounts.accountByName(sql, name);
  return account!.id;
}

async function insertCertificate(sql: Sql, certificate: MerchantCertificateRecord): Promise<void> {
  await sql.query(
    `INSERT INTO merchant_certificates (serial, account_id, origins, offer_key, der, not_after, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    certificateValues(certificate),
  );
}
