/**
 * The embedded storage: one SQLite file at durable settings, every write group-committed.
 *
 * Long because it is the BankStore interface's one SQLite implementation: each method is a few
 * lines handing its work to the group commit and the per-area modules beside it.
 */

import { GroupCommit } from '@farthing/server-runtime/sqlite-group-commit';
import type Database from 'better-sqlite3';
import { issueTransfer } from '../rows.ts';
import {
  type BankStore,
  type IdempotencyClaim,
  type InvariantReport,
  type Reply,
  systemAccounts,
} from '../store.ts';
import { Accounts } from './accounts.ts';
import type { SqliteArea } from './area.ts';
import { BrokerTables } from './broker.ts';
import { SqliteCardStore } from './cards.ts';
import { type CommitSync, openDatabase } from './database.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { checkInvariants } from './invariants.ts';
import { Ledger } from './ledger.ts';
import { MerchantCertificateTables } from './merchant-certificates.ts';
import { MintTables } from './mint.ts';
import { PurseTables, purseFeesAccount } from './purse.ts';
import { RecoveryQueries } from './recovery.ts';
import { SqliteRefundStore } from './refunds.ts';

export interface SqliteStoreOptions {
  /** Path of the database file (`:memory:` for a throwaway store). */
  readonly path: string;
  /** Currency of the system accounts. */
  readonly currency: string;
  /** How commits reach the disk (database.ts); both durable. `async-fdatasync` by default. */
  readonly commitSync?: CommitSync;
  /** Wraps the WAL sync (tests stand in a slow or failing disk). */
  readonly wrapSync?: (sync: () => Promise<void>) => () => Promise<void>;
}

export class SqliteBankStore implements BankStore {
  readonly #db: Database.Database;
  readonly #closeDatabase: () => Promise<void>;
  readonly #committer: GroupCommit<Database.Database>;
  readonly #accounts: Accounts;
  readonly #ledger: Ledger;
  readonly #idempotency: IdempotencyKeys;
  readonly #mint: MintTables;
  readonly #broker: BrokerTables;
  readonly #purse: PurseTables;
  readonly #system: { issued: number; coins: number; paywordHolds: number; purseFees: number };
  readonly cards: SqliteCardStore;
  readonly refunds: SqliteRefundStore;
  readonly #origins: MerchantCertificateTables;
  readonly #recovery: RecoveryQueries;

  constructor(options: SqliteStoreOptions) {
    const opened = openDatabase(
      options.path,
      options.commitSync === undefined ? {} : { commitSync: options.commitSync },
    );
    this.#db = opened.db;
    this.#closeDatabase = opened.close;
    const sync =
      opened.sync === undefined || options.wrapSync === undefined
        ? opened.sync
        : options.wrapSync(opened.sync);
    this.#committer = new GroupCommit(this.#db, {
      maxBatch: 512,
      ...(sync === undefined ? {} : { sync }),
      ...(opened.committed === undefined ? {} : { onCommit: opened.committed }),
    });
    this.#accounts = new Accounts(this.#db);
    this.#ledger = new Ledger(this.#db);
    this.#idempotency = new IdempotencyKeys(this.#db);
    this.#mint = new MintTables(this.#db, this.#ledger);
    this.#recovery = new RecoveryQueries(this.#db);
    this.#broker = new BrokerTables(this.#db, this.#ledger);
    this.#system = this.#ensureSystemAccounts(options.currency);
    this.#purse = new PurseTables(this.#db, this.#ledger, this.#accounts, options.currency);
    const area: SqliteArea = {
      db: this.#db,
      accounts: this.#accounts,
      ledger: this.#ledger,
      currency: options.currency,
      write: (claim, now, work) => this.#write(claim, now, work),
      writeReply: (now, reply, work) => this.#writeReply(now, reply, work),
      read: (query) => this.#read(query),
    };
    this.cards = new SqliteCardStore(area);
    this.#origins = new MerchantCertificateTables(this.#db);
    this.refunds = new SqliteRefundStore(area, this.#system.coins);
  }

  #ensureSystemAccounts(currency: string) {
    const ensure = (name: string, displayName: string): number =>
      this.#accounts.ensureSystem(name, displayName, currency);
    return this.#db.transaction(() => ({
      issued: ensure(systemAccounts.issued, 'Money issued'),
      coins: ensure(systemAccounts.coins, 'Outstanding coins'),
      paywordHolds: ensure(systemAccounts.paywordHolds, 'PayWord holds'),
      purseFees: ensure(purseFeesAccount, 'Purse clearing fees'),
    }))();
  }

  #write<R>(claim: IdempotencyClaim | undefined, now: number, work: () => R): Promise<R> {
    return this.#committer.run(() => this.#idempotency.run(claim, now, work));
  }

  #writeReply<W, R>(now: number, [render, claim]: Reply<W, R>, work: () => W): Promise<R> {
    return this.#write(claim, now, () => render(work()));
  }

  async #read<R>(query: () => R): Promise<R> {
    return this.#committer.read(query);
  }

  // --- accounts and credentials

  readonly createAccount: BankStore['createAccount'] = (account, ...reply) =>
    this.#writeReply(account.now, reply, () => this.#accounts.create(account));

  getAccount(id: number) {
    return this.#read(() => this.#accounts.byId(id));
  }

  getAccountByName(name: string) {
    return this.#read(() => this.#accounts.byName(name));
  }

  createSession(session: Parameters<BankStore['createSession']>[0]): Promise<void> {
    return this.#committer.run(() => this.#accounts.createSession(session));
  }

  findSession(tokenHash: Uint8Array) {
    return this.#committer.readCredential(() => this.#accounts.findSession(tokenHash));
  }

  deleteSession(tokenHash: Uint8Array): Promise<void> {
    return this.#committer.run(() => this.#accounts.deleteSession(tokenHash));
  }

  createApiKey(key: Parameters<BankStore['createApiKey']>[0]): Promise<void> {
    return this.#committer.run(() => this.#accounts.createApiKey(key));
  }

  findApiKeyAccount(keyHash: Uint8Array) {
    return this.#committer.readCredential(() => this.#accounts.findApiKeyAccount(keyHash));
  }

  history(accountId: number, options: { limit: number; before?: number }) {
    return this.#read(() => this.#accounts.history(accountId, options.limit, options.before));
  }

  issueFunds(
    params: { accountId: number; amount: number; reference: string; now: number },
    idempotency?: IdempotencyClaim,
  ): Promise<{ balance: number }> {
    return this.#write(idempotency, params.now, () => {
      this.#ledger.post(issueTransfer(params, this.#system.issued));
      return { balance: this.#accounts.byId(params.accountId)!.balance };
    });
  }

  findIdempotentResult(claim: IdempotencyClaim) {
    return this.#read(() => this.#idempotency.find(claim));
  }

  // --- keys

  getBankKey(name: string) {
    return this.#read(() => this.#mint.bankKey(name));
  }

  ensureBankKey(key: Parameters<BankStore['ensureBankKey']>[0]) {
    return this.#committer.run(() => this.#mint.ensureBankKey(key));
  }

  listDenominations() {
    return this.#read(() => this.#mint.denominations());
  }

  insertDenomination(denomination: Parameters<BankStore['insertDenomination']>[0]): Promise<void> {
    return this.#committer.run(() => this.#mint.insertDenomination(denomination));
  }

  /** One process owns a SQLite file: nothing to exclude. */
  exclusively<R>(_job: string, work: () => Promise<R>): Promise<R> {
    return work();
  }

  // --- mint

  readonly withdraw: BankStore['withdraw'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () => this.#mint.withdraw(params, this.#system.coins));

  getIssuance(id: string) {
    return this.#read(() => this.#mint.issuance(id));
  }

  readonly deposit: BankStore['deposit'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () => this.#mint.deposit(params, this.#system.coins));

  readonly change: BankStore['change'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () => this.#mint.change(params));

  getSpentCoin(coinPub: Uint8Array) {
    return this.#read(() => this.#mint.spentCoin(coinPub));
  }

  listWithdrawals(accountId: number, page: { offset: number; limit: number }) {
    return this.#read(() =>
      this.#recovery
        .withdrawalIds(accountId, page.offset, page.limit)
        .map((id) => this.#mint.issuance(id)!),
    );
  }

  spentCoinsWithPrefixes(
    prefixes: readonly Uint8Array[],
    page: { after?: Uint8Array; limit: number },
  ) {
    return this.#read(() => this.#recovery.spentWithPrefixes(prefixes, page.after, page.limit));
  }

  changeIssuancesWithPrefixes(
    prefixes: readonly string[],
    page: { after?: string; limit: number },
  ) {
    return this.#read(() =>
      this.#recovery
        .changeIdsWithPrefixes(prefixes, page.after, page.limit)
        .map((id) => this.#mint.issuance(id)!),
    );
  }

  // --- PayWord broker

  readonly issuePaywordCertificate: BankStore['issuePaywordCertificate'] = (
    certificate,
    ...reply
  ) =>
    this.#writeReply(certificate.issuedAt, reply, () =>
      this.#broker.issueCertificate(certificate, this.#system.paywordHolds),
    );

  getPaywordCertificate(serial: number) {
    return this.#read(() => this.#broker.certificate(serial));
  }

  getPaywordRedemption(commitmentId: Uint8Array) {
    return this.#read(() => this.#broker.redemption(commitmentId));
  }

  readonly redeemPaywords: BankStore['redeemPaywords'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () =>
      this.#broker.redeemAll(params.vendorId, params.claims, this.#system.paywordHolds, params.now),
    );

  releasePaywordHolds(params: { expiredBefore: number; now: number }): Promise<number> {
    return this.#committer.run(() =>
      this.#broker.releaseExpired(params.expiredBefore, this.#system.paywordHolds, params.now),
    );
  }

  listPaywordCertificates(accountId: number) {
    return this.#read(() => this.#broker.certificatesOf(accountId));
  }

  endPaywordCertificate(params: { accountId: number; serial: number; now: number }) {
    return this.#committer.run(() => this.#broker.end(params.accountId, params.serial, params.now));
  }

  // --- certificate authority

  readonly insertMerchantCertificate: BankStore['insertMerchantCertificate'] = (
    certificate,
    ...reply
  ) => this.insertExclusiveMerchantCertificate(certificate, [], ...reply);

  listMerchantCertificates(accountId: number) {
    return this.#read(() => this.#origins.list(accountId));
  }

  readonly insertExclusiveMerchantCertificate: BankStore['insertExclusiveMerchantCertificate'] = (
    certificate,
    exclusiveOrigins,
    ...reply
  ) =>
    this.#writeReply(certificate.createdAt, reply, () => {
      this.#origins.insert(certificate, exclusiveOrigins);
      return certificate;
    });

  assertOriginsFree(origins: readonly string[], accountId: number, now: number): Promise<void> {
    return this.#read(() => this.#origins.assertOriginsFree(origins, accountId, now));
  }

  readonly createOriginChallenge: BankStore['createOriginChallenge'] = (challenge, ...reply) =>
    this.#writeReply(challenge.createdAt, reply, () => this.#origins.insertChallenge(challenge));

  openOriginChallenges(accountId: number, origin: string, now: number) {
    return this.#read(() => this.#origins.openChallenges(accountId, origin, now));
  }

  settleOriginChallenge(token: string, status: 'valid' | 'invalid', now: number): Promise<void> {
    return this.#committer.run(() => this.#origins.settleChallenge(token, status, now));
  }

  revokeMerchantCertificate(serial: string, now: number) {
    return this.#committer.run(() => this.#origins.revoke(serial, now));
  }

  listRevokedMerchantCertificates(now: number) {
    return this.#read(() => this.#origins.revokedSerials(now));
  }

  // --- hardware purse issuer

  readonly issuePurseCard: BankStore['issuePurseCard'] = (card, ...reply) =>
    this.#writeReply(card.now, reply, () => this.#purse.issueCard(card));

  getPurseCard(cardId: string) {
    return this.#read(() => this.#purse.card(cardId));
  }

  readonly loadPurse: BankStore['loadPurse'] = (load, ...reply) =>
    this.#writeReply(load.now, reply, () => this.#purse.load(load));

  readonly clearPurseProofs: BankStore['clearPurseProofs'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () =>
      this.#purse.clearAll(params.merchantAccountId, params.merchantId, params.claims, params.now),
    );

  readonly blockPurseCard: BankStore['blockPurseCard'] = (params, ...reply) =>
    this.#writeReply(params.now, reply, () =>
      this.#purse.block(params.cardId, params.accountId, params.now),
    );

  closeBlockedPurseCards(params: { blockedBefore: number; now: number }): Promise<number> {
    return this.#committer.run(() => this.#purse.closeBlocked(params.blockedBefore, params.now));
  }

  // --- operations

  async checkInvariants(): Promise<InvariantReport> {
    return checkInvariants(this.#db);
  }

  get stats() {
    return this.#committer.stats;
  }

  async close(): Promise<void> {
    await this.#committer.close();
    await this.#closeDatabase();
  }
}
