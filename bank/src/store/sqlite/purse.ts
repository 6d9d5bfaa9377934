/**
 * The purse issuer's state (migration 2): cards with their shadow accounts, loads, and
 * cleared proofs. Runs inside the caller's transaction; every money movement is a ledger
 * transfer in the same transaction as the row that explains it.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import { type PurseCardRow, type PurseLoadRow, toPurseCard, toPurseLoad } from '../purse-rows.ts';
import type {
  PurseCardRecord,
  PurseClearingClaim,
  PurseClearingOutcome,
  PurseLoadRecord,
} from '../store.ts';
import { maxPurseCardsPerAccount, purseCardLimitReached } from '../store.ts';
import type { Accounts } from './accounts.ts';
import type { Ledger } from './ledger.ts';

export const shadowAccountPrefix = 'system:purse-shadow:';
export const purseFeesAccount = 'system:purse-fees';

function isUnique(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

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
    const row = this.#s.card!.get(cardId) as PurseCardRow | undefined;
    return row === undefined ? undefined : toPurseCard(row);
  }

  issueCard(card: {
    cardId: string;
    accountId: number;
    publicKey: Uint8Array;
    certificate: Uint8Array;
    now: number;
  }): PurseCardRecord {
    if (this.card(card.cardId) !== undefined) {
      throw new FarthingError('conflict', 'this card was issued already', {
        details: { field: 'cardId' },
      });
    }
    const { n } = this.#s.openCards!.get(card.accountId) as { n: number };
    if (n >= maxPurseCardsPerAccount) throw purseCardLimitReached();
    const shadow = this.#accounts.create({
      kind: 'system',
      name: `${shadowAccountPrefix}${card.cardId}`,
      displayName: `Purse card ${card.cardId} (shadow)`,
      currency: this.#currency,
      now: card.now,
    });
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
    const existing = this.#s.load!.get(load.cardId, load.loadCounter) as PurseLoadRow | undefined;
    if (existing !== undefined) {
      if (existing.amount !== load.amount) {
        throw new FarthingError(
          'conflict',
          'this card was authorized another amount at this load counter; load that first',
          { details: { field: 'loadCounter', amount: existing.amount } },
        );
      }
      return toPurseLoad(existing);
    }
    const card = this.card(load.cardId);
    if (card === undefined || card.accountId !== load.accountId) {
      throw new FarthingError('purse_card_unknown', 'no such card on this account');
    }
    if (card.status !== 'active')
      throw new FarthingError('purse_card_blocked', 'the card is blocked');
    this.#s.insertLoad!.run(
      load.cardId,
      load.loadCounter,
      load.amount,
      load.loadId,
      load.authorization,
      load.now,
    );
    this.#ledger.post({
      kind: 'purse_load',
      reference: `${load.cardId}/${load.loadCounter}`,
      postings: [
        { accountId: load.accountId, amount: -load.amount },
        { accountId: card.shadowAccountId, amount: load.amount },
      ],
      now: load.now,
    });
    return toPurseLoad(this.#s.load!.get(load.cardId, load.loadCounter) as PurseLoadRow);
  }

  #clear(
    merchantAccountId: number,
    merchantId: string,
    claim: PurseClearingClaim,
    now: number,
  ): PurseClearingOutcome {
    const card = this.card(claim.cardId);
    if (card === undefined) throw new FarthingError('purse_card_unknown', 'unknown card');
    if (card.status === 'closed') {
      throw new FarthingError(
        'purse_card_blocked',
        'the card was blocked and its money returned to the holder',
      );
    }
    if (
      this.#s.clearingBySno!.get(claim.cardId, claim.sno) !== undefined ||
      this.#s.clearingByTno!.get(merchantId, claim.tno) !== undefined
    ) {
      throw new FarthingError('purse_proof_duplicate', 'this payment was cleared already');
    }
    try {
      this.#s.insertClearing!.run(
        claim.cardId,
        claim.sno,
        merchantAccountId,
        merchantId,
        claim.tno,
        claim.amount,
        claim.fee,
        claim.proof,
        now,
      );
    } catch (error) {
      if (isUnique(error)) {
        throw new FarthingError('purse_proof_duplicate', 'this payment was cleared already');
      }
      throw error;
    }
    const postings = [
      { accountId: card.shadowAccountId, amount: -claim.amount },
      { accountId: merchantAccountId, amount: claim.amount - claim.fee },
    ];
    if (claim.fee > 0) {
      postings.push({ accountId: this.#accounts.systemId(purseFeesAccount), amount: claim.fee });
    }
    try {
      this.#ledger.post({
        kind: 'purse_clearing',
        reference: `${claim.cardId}/${claim.sno}`,
        postings: postings.filter((p) => p.amount !== 0),
        now,
      });
    } catch (error) {
      // The shadow account holds what the card was loaded with; a proof beyond it was not
      // made by a card the bank loaded.
      if (error instanceof FarthingError && error.code === 'insufficient_funds') {
        throw new FarthingError(
          'insufficient_funds',
          "the card's shadow account does not cover this proof",
        );
      }
      throw error;
    }
    const { cardId, sno, tno, amount, fee } = claim;
    return { status: 'cleared', cardId, sno, tno, amount, fee };
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
        const { cardId, sno, tno } = claim;
        return { status: 'rejected', cardId, sno, tno, error };
      }
    });
  }

  block(cardId: string, accountId: number, now: number): PurseCardRecord {
    const card = this.card(cardId);
    if (card === undefined || card.accountId !== accountId) {
      throw new FarthingError('purse_card_unknown', 'no such card on this account');
    }
    this.#s.block!.run(now, cardId);
    return this.card(cardId)!;
  }

  closeBlocked(blockedBefore: number, now: number): number {
    const rows = this.#s.blocked!.all(blockedBefore) as PurseCardRow[];
    for (const row of rows) {
      this.#s.close!.run(row.shadow_balance, row.card_id);
      if (row.shadow_balance > 0) {
        this.#ledger.post({
          kind: 'purse_refund',
          reference: row.card_id,
          postings: [
            { accountId: row.shadow_account_id, amount: -row.shadow_balance },
            { accountId: row.account_id, amount: row.shadow_balance },
          ],
          now,
        });
      }
    }
    return rows.length;
  }
}
