/**
 * The purse issuer's state on PostgreSQL (the SQLite twin is ../sqlite/rules.ts): cards with
 * their shadow accounts, loads, and cleared proofs. Runs inside the caller's READ COMMITTED
 * transaction; every money movement is a ledger transfer in the same transaction as the row
 * that explains it.
 *
 * Across processes: a load and a clearing hold their card's row `FOR SHARE` from the status
 * check to the commit, and blocking or closing a card takes it `FOR UPDATE`, so a card is never
 * loaded, cleared against or refunded on the strength of a status another process is changing.
 * A load is claimed once by its (card, counter) key (the loser's retry returns the winner's
 * load); a proof is cleared once by its (card, sno) and (merchant, tno) keys, each claim in a
 * savepoint of its own; closing blocked cards takes them `FOR UPDATE SKIP LOCKED`, so bank
 * processes running the job at once refund each card exactly once.
 */
import { FarthingError } from '@farthing/protocol/errors';
import * as records from '../purse-rows.ts';
import * as rules from '../purse-rules.ts';
import type {
  PurseCardRecord,
  PurseClearingClaim,
  PurseClearingOutcome,
  PurseLoadRecord,
} from '../store.ts';
import { createAccount } from './accounts.ts';
import { isPostgresError, type Sql } from './database.ts';
import { postTransfer } from './ledger.ts';

export { purseFeesAccount, shadowAccountPrefix } from '../purse-rules.ts';

/** Keys a concurrent request may claim first: the retry then finds the winner's row. */
export const purseClaimedKeys = ['purse_loads_pkey', 'purse_cards_pkey'];

const cardSelect = `SELECT c.*, a.balance AS shadow_balance FROM purse_cards c
  JOIN accounts a ON a.id = c.shadow_account_id`;

/** The card as committed now; `lock` holds its row to the end of the transaction. */
export async function card(
  sql: Sql,
  cardId: string,
  lock: '' | 'FOR SHARE OF c' | 'FOR UPDATE OF c' = '',
): Promise<PurseCardRecord | undefined> {
  const [row] = await sql.query<records.PurseCardRow>(
    `${cardSelect} WHERE c.card_id = $1 ${lock}`,
    [cardId],
  );
  return row === undefined ? undefined : records.toPurseCard(row);
}

export async function issueCard(
  sql: Sql,
  params: {
    cardId: string;
    accountId: number;
    publicKey: Uint8Array;
    certificate: Uint8Array;
    now: number;
  },
  currency: string,
): Promise<PurseCardRecord> {
  if ((await card(sql, params.cardId)) !== undefined) throw rules.purseCardIssued();
  // The holder's row, locked, orders concurrent issuances to one account before they count.
  await sql.query('SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE', [params.accountId]);
  const [open] = await sql.query<{ n: number }>(
    "SELECT count(*) AS n FROM purse_cards WHERE account_id = $1 AND status != 'closed'",
    [params.accountId],
  );
  rules.assertPurseCardRoom(open?.n ?? 0);
  let shadowId: number;
  try {
    shadowId = (await createAccount(sql, rules.shadowAccount(params.cardId, currency, params.now)))
      .id;
  } catch (error) {
    // Another process issued the same card a moment ago (its shadow account's name is taken).
    if (error instanceof FarthingError && error.code === 'account_exists') {
      throw rules.purseCardIssued();
    }
    throw error;
  }
  await sql.query(
    `INSERT INTO purse_cards (card_id, account_id, shadow_account_id, public_key, certificate,
       status, created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)`,
    [params.cardId, params.accountId, shadowId, params.publicKey, params.certificate, params.now],
  );
  return (await card(sql, params.cardId))!;
}

export async function load(
  sql: Sql,
  params: Omit<PurseLoadRecord, 'createdAt'> & { accountId: number; now: number },
): Promise<PurseLoadRecord> {
  const findLoad = async () =>
    (
      await sql.query<records.PurseLoadRow>(
        'SELECT * FROM purse_loads WHERE card_id = $1 AND load_counter = $2',
        [params.cardId, params.loadCounter],
      )
    )[0];
  const existing = await findLoad();
  if (existing !== undefined) return records.toPurseLoad(rules.repeatedLoad(existing, params));
  const transfer = rules.purseLoadTransfer(
    await card(sql, params.cardId, 'FOR SHARE OF c'),
    params,
  );
  await sql.query(
    `INSERT INTO purse_loads (card_id, load_counter, amount, load_id, "authorization", created_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      params.cardId,
      params.loadCounter,
      params.amount,
      params.loadId,
      params.authorization,
      params.now,
    ],
  );
  await postTransfer(sql, transfer);
  return records.toPurseLoad((await findLoad())!);
}

async function clear(
  sql: Sql,
  merchantAccountId: number,
  merchantId: string,
  claim: PurseClearingClaim,
  feesAccountId: number,
  now: number,
): Promise<PurseClearingOutcome> {
  const transfer = rules.purseClearingTransfer(
    await card(sql, claim.cardId, 'FOR SHARE OF c'),
    claim,
    { merchant: merchantAccountId, fees: feesAccountId },
    now,
  );
  try {
    await sql.query(
      `INSERT INTO purse_clearings (card_id, sno, merchant_account_id, merchant_id, tno, amount,
         fee, proof, cleared_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      records.purseClearingValues(claim, merchantAccountId, merchantId, now),
    );
  } catch (error) {
    // Cleared before, or by another process a moment ago (whose commit this insert awaited).
    if (isPostgresError(error, '23505')) throw rules.purseProofDuplicate();
    throw error;
  }
  try {
    await postTransfer(sql, transfer);
  } catch (error) {
    throw rules.clearingRefusal(error);
  }
  return rules.clearedOutcome(claim);
}

/** Each claim alone: a refused one rolls back to its savepoint and the others go on. */
export async function clearAll(
  sql: Sql,
  params: {
    merchantAccountId: number;
    merchantId: string;
    claims: readonly PurseClearingClaim[];
    now: number;
  },
  feesAccountId: number,
): Promise<PurseClearingOutcome[]> {
  const outcomes: PurseClearingOutcome[] = [];
  for (const claim of params.claims) {
    await sql.query('SAVEPOINT purse_claim');
    try {
      outcomes.push(
        await clear(
          sql,
          params.merchantAccountId,
          params.merchantId,
          claim,
          feesAccountId,
          params.now,
        ),
      );
      await sql.query('RELEASE SAVEPOINT purse_claim');
    } catch (error) {
      if (!(error instanceof FarthingError)) throw error;
      await sql.query('ROLLBACK TO SAVEPOINT purse_claim');
      await sql.query('RELEASE SAVEPOINT purse_claim');
      outcomes.push(rules.rejectedOutcome(claim, error));
    }
  }
  return outcomes;
}

export async function block(
  sql: Sql,
  params: { cardId: string; accountId: number; now: number },
): Promise<PurseCardRecord> {
  rules.assertOwnCard(await card(sql, params.cardId, 'FOR UPDATE OF c'), params.accountId);
  await sql.query(
    `UPDATE purse_cards SET status = 'blocked', blocked_at = $1
     WHERE card_id = $2 AND status = 'active'`,
    [params.now, params.cardId],
  );
  return (await card(sql, params.cardId))!;
}

/** Refunds and closes the cards blocked before `blockedBefore` that no other process holds. */
export async function closeBlocked(sql: Sql, blockedBefore: number, now: number): Promise<number> {
  const locked = await sql.query<{ card_id: string }>(
    `SELECT card_id FROM purse_cards WHERE status = 'blocked' AND blocked_at < $1
     ORDER BY blocked_at, card_id FOR UPDATE SKIP LOCKED`,
    [blockedBefore],
  );
  for (const { card_id } of locked) {
    // Read after the lock: this statement sees every clearing committed before it.
    const row = (await card(sql, card_id))!;
    await sql.query("UPDATE purse_cards SET status = 'closed', refunded = $1 WHERE card_id = $2", [
      row.shadowBalance,
      card_id,
    ]);
    if (row.shadowBalance > 0) {
      await postTransfer(sql, rules.purseRefundTransfer(row, now));
    }
  }
  return locked.length;
}
