/**
 * The purse issuer's state (migration 2): cards with their shadow accounts, loads, and
 * cleared proofs. Runs inside the caller's transaction; every money movement is a ledger
 * transfer in the same transaction as the row that explains it.
 */
import type Database from 'better-sqlite3';
import * as records from '../purse-rows.ts';
import * as rules from '../purse-rules.ts';
import type {
  PurseCardRecord,
  PurseClearingClaim,
  PurseClearingOutcome,
  PurseLoadRecord,
} from '../store.ts';
import type { Accounts } from './accounts.ts';
import { isConstraintError } from './database.ts';
import type { Ledger } from './ledger.ts';

export { purseFeesAccount, shadowAccountPrefix } from '../purse-rules.ts';

export class PurseTables {
  readonly #db: Database.Database;
  readonly #ledger: Ledger;
  readonly #accounts: Accounts;
  readonly #currency: string;
  readonly #s: Record<string, Database.Statement>;

  constructor(db: Database.Database, ledger: Ledger, accounts: Accounts, currency: string) {
    this.#db = db;
    this.#ledger = ledger;
    this.#accounts = accounts;
    this.#currency = currency;
    const cardSelect = `SELECT c.*, a.balance AS shadow_balance FROM purse_cards c
       JOIN accounts a ON a.id = c.shadow_account_id`;
    this.#s = {
      openCards: db.prepare(
        "SELECT count(*) AS n FROM purse_cards WHERE account_id = ? AND status != 'closed'",
      ),
      insertCard: db.prepare(
        `INSERT INTO purse_cards (card_id, account_id, shadow_account_id, public_key, certificate, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'active', ?)`,
      ),
      card: db.prepare(`${cardSelect} WHERE c.card_id = ?`),
      load: db.prepare('SELECT * FROM purse_loads WHERE card_id = ? AND load_counter = ?'),
      insertLoad: db.prepare(
        `INSERT INTO purse_loads (card_id, load_counter, amount, load_id, authorization, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      clearingBySno: db.prepare('SELECT 1 FROM purse_clearings WHERE card_id = ? AND sno = ?'),
      clearingByTno: db.prepare('SELECT 1 FROM purse_clearings WHERE merchant_id = ? AND tno = ?'),
      insertClearing: db.prepare(
        `INSERT INTO purse_clearings (card_id, sno, merchant_account_id, merchant_id, tno, amount, fee, proof, cleared_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      block: db.prepare(
        "UPDATE purse_cards SET status = 'blocked', blocked_at = ? WHERE card_id = ? AND status = 'active'",
      ),
      blocked: db.prepare(
        `${cardSelect} WHERE c.status = 'blocked' AND c.blocked_at < ? ORDER BY c.blocked_at`,
      ),
      close: db.prepare("UPDATE purse_cards SET status = 'closed', refunded = ? WHERE card_id = ?"),
    };
  }

  card(cardId: string): PurseCardRecord | undefined {
    const row = this.#s.card!.get(cardId) as records.PurseCardRow | undefined;
    return row === undefined ? undefined : records.toPurseCard(row);
  }

  issueCard(card: {
    cardId: string;
    accountId: number;
    publicKey: Uint8Array;
    certificate: Uint8Array;
    now: number;
  }): PurseCardRecord {
    if (this.card(card.cardId) !== undefined) throw rules.purseCardIssued();
    const { n } = this.#s.openCards!.get(card.accountId) as { n: number };
    rules.assertPurseCardRoom(n);
    const shadow = this.#accounts.create(
      rules.shadowAccount(card.cardId, this.#currency, card.now),
    );
    this.#s.insertCard!.run(
      card.cardId,
      card.accountId,
      shadow.id,
      card.publicKey,
      card.certificate,
      card.now,
    );
    return this.card(card.cardId)!;
  }

  load(
    load: Omit<PurseLoadRecord, 'createdAt'> & { accountId: number; now: number },
  ): PurseLoadRecord {
    const existing = this.#s.load!.get(load.cardId, load.loadCounter) as
      | records.PurseLoadRow
      | undefined;
    if (existing !== undefined) return records.toPurseLoad(rules.repeatedLoad(existing, load));
    const transfer = rules.purseLoadTransfer(this.card(load.cardId), load);
    this.#s.insertLoad!.run(
      load.cardId,
      load.loadCounter,
      load.amount,
      load.loadId,
      load.authorization,
      load.now,
    );
    this.#ledger.post(transfer);
    return records.toPurseLoad(
      this.#s.load!.get(load.cardId, load.loadCounter) as records.PurseLoadRow,
    );
  }

  #clear(
    merchantAccountId: number,
    merchantId: string,
    claim: PurseClearingClaim,
    now: number,
  ): PurseClearingOutcome {
    const transfer = rules.purseClearingTransfer(
      this.card(claim.cardId),
      claim,
      { merchant: merchantAccountId, fees: this.#accounts.systemId(rules.purseFeesAccount) },
      now,
    );
    if (
      this.#s.clearingBySno!.get(claim.cardId, claim.sno) !== undefined ||
      this.#s.clearingByTno!.get(merchantId, claim.tno) !== undefined
    ) {
      throw rules.purseProofDuplicate();
    }
    try {
      this.#s.insertClearing!.run(
        ...records.purseClearingValues(claim, merchantAccountId, merchantId, now),
      );
    } catch (error) {
      if (isConstraintError(error, 'UNIQUE')) throw rules.purseProofDuplicate();
      throw error;
    }
    try {
      this.#ledger.post(transfer);
    } catch (error) {
      throw rules.clearingRefusal(error);
    }
    return rules.clearedOutcome(claim);
  }

  clearAll(
    merchantAccountId: number,
    merchantId: string,
    claims: readonly PurseClearingClaim[],
    now: number,
  ): PurseClearingOutcome[] {
    return claims.map((claim) => {
      this.#db.exec('SAVEPOINT purse_claim');
      try {
        const outcome = this.#clear(merchantAccountId, merchantId, claim, now);
        this.#db.exec('RELEASE purse_claim');
        return outcome;
      } catch (error) {
        this.#db.exec('ROLLBACK TO purse_claim');
        this.#db.exec('RELEASE purse_claim');
        return rules.rejectedOutcome(claim, error);
      }
    });
  }

  block(cardId: string, accountId: number, now: number): PurseCardRecord {
    rules.assertOwnCard(this.card(cardId), accountId);
    this.#s.block!.run(now, cardId);
    return this.card(cardId)!;
  }

  closeBlocked(blockedBefore: number, now: number): number {
    const rows = this.#s.blocked!.all(blockedBefore) as records.PurseCardRow[];
    for (const card of rows.map(records.toPurseCard)) {
      this.#s.close!.run(card.shadowBalance, card.cardId);
      if (card.shadowBalance > 0) this.#ledger.post(rules.purseRefundTransfer(card, now));
    }
    return rows.length;
  }
}
