/**
 * Rows of the purse issuer's tables (cards with their shadow accounts, loads) as both
 * backends return them, turned into the store's records: sqlite/purse.ts and
 * postgres/purse.ts keep only their SQL, so the two cannot map a column differently.
 */
import { bytes } from './rows.ts';
import type { PurseCardRecord, PurseClearingClaim, PurseLoadRecord } from './store.ts';

export interface PurseCardRow {
  card_id: string;
  account_id: number;
  shadow_account_id: number;
  public_key: Uint8Array;
  certificate: Uint8Array;
  status: PurseCardRecord['status'];
  blocked_at: number | null;
  refunded: number;
  created_at: number;
  shadow_balance: number;
}

export function toPurseCard(row: PurseCardRow): PurseCardRecord {
  return {
    cardId: row.card_id,
    accountId: row.account_id,
    shadowAccountId: row.shadow_account_id,
    publicKey: bytes(row.public_key),
    certificate: bytes(row.certificate),
    status: row.status,
    blockedAt: row.blocked_at ?? undefined,
    refunded: row.refunded,
    shadowBalance: row.shadow_balance,
    createdAt: row.created_at,
  };
}

export interface PurseLoadRow {
  card_id: string;
  load_counter: number;
  amount: number;
  load_id: Uint8Array;
  authorization: Uint8Array;
  created_at: number;
}

export function toPurseLoad(row: PurseLoadRow): PurseLoadRecord {
  return {
    cardId: row.card_id,
    loadCounter: row.load_counter,
    amount: row.amount,
    loadId: bytes(row.load_id),
    authorization: bytes(row.authorization),
    createdAt: row.created_at,
  };
}

/** The values of a new `purse_clearings` row, in the order of its INSERT's column list. */
export function purseClearingValues(
  claim: PurseClearingClaim,
  merchantAccountId: number,
  merchantId: string,
  now: number,
): unknown[] {
  const { cardId, sno, tno, amount, fee, proof } = claim;
  return [cardId, sno, merchantAccountId, merchantId, tno, amount, fee, proof, now];
}
