/**
 * Double-entry postings: every transfer is a set of ledger entries that sum to zero, each
 * moving one account's balance. Runs inside the caller's transaction.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type Database from 'better-sqlite3';
import { assertBalanced, type TransferParams } from '../transfer.ts';
import { isConstraintError } from './database.ts';

export class Ledger {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      insertTransfer: db.prepare(
        'INSERT INTO transfers (kind, reference, created_at) VALUES (?, ?, ?)',
      ),
      updateBalance: db.prepare(
        'UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance',
      ),
      insertEntry: db.prepare(
        'INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after) VALUES (?, ?, ?, ?)',
      ),
    };
  }

  /**
   * Posts a balanced transfer. A debit that would take a customer or merchant below zero is
   * `insufficient_funds` (enforced by the accounts table's CHECK constraint, so even a bug in
   * the caller cannot overdraw an account).
   */
  post(transfer: TransferParams): number {
    assertBalanced(transfer);
    const { kind, reference, postings, now } = transfer;
    const transferId = Number(this.#sql.insertTransfer.run(kind, reference, now).lastInsertRowid);
    for (const { accountId, amount } of postings) {
      let row: { balance: number } | undefined;
      try {
        row = this.#sql.updateBalance.get(amount, accountId) as { balance: number } | undefined;
      } catch (error) {
        if (isConstraintError(error, 'CHECK')) {
          throw new FarthingError('insufficient_funds', 'the account balance is too low', {
            details: { shortfall: true },
          });
        }
        throw error;
      }
      if (row === undefined) throw new Error(`ledger posting to unknown account ${accountId}`);
      this.#sql.insertEntry.run(transferId, accountId, amount, row.balance);
    }
    return transferId;
  }
}
