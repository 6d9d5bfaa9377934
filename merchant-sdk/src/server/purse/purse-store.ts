/**
 * The merchant's purse records in a SQLite file of their own (WAL, `synchronous=FULL`, so a
 * write is on disk when the call returns): the challenges it issued, the proofs it accepted
 * (written before the content is served), and the clearing batches sent to the issuer (written
 * with their Idempotency-Key before they are sent, so a retry after a crash clears once).
 * Kept apart from the SDK's main store so the purse instrument adds tables without changing it.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);

const schema = `
  CREATE TABLE IF NOT EXISTS purse_challenges (
    tno        INTEGER PRIMARY KEY,
    nonce      BLOB    NOT NULL UNIQUE,
    currency   TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('open', 'paid'))
  ) STRICT;
  CREATE INDEX IF NOT EXISTS purse_challenges_open_by_expiry
    ON purse_challenges (expires_at) WHERE status = 'open';
  CREATE TABLE IF NOT EXISTS purse_proofs (
    tno         INTEGER PRIMARY KEY REFERENCES purse_challenges (tno),
    card_id     TEXT    NOT NULL,
    sno         INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    proof       BLOB    NOT NULL,
    received_at INTEGER NOT NULL,
    batch_id    TEXT,
    outcome     TEXT,
    fee         INTEGER,
    UNIQUE (card_id, sno)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS purse_batches (
    id         TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    answered_at INTEGER
  ) STRICT;
  -- The offer a challenge was asked for through the pay endpoint (purse-pay.ts): its proof pays
  -- that offer and no other. Challenges made with createChallenge alone have no row.
  CREATE TABLE IF NOT EXISTS purse_challenge_offers (
    tno        INTEGER PRIMARY KEY REFERENCES purse_challenges (tno),
    offer_hash BLOB    NOT NULL CHECK (length(offer_hash) = 32)
  ) STRICT;
`;

export interface PurseChallengeRecord {
  readonly tno: number;
  readonly nonce: Uint8Array;
  readonly currency: string;
  readonly amount: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly status: 'open' | 'paid';
}

export interface PurseProofRecord {
  readonly tno: number;
  readonly cardId: string;
  readonly sno: number;
  readonly amount: number;
  readonly proof: Uint8Array;
  readonly batchId: string | undefined;
  /** `cleared` or the issuer's refusal code, once answered. */
  readonly outcome: string | undefined;
}

/** A clearing batch: its id (the Idempotency-Key it is sent under) and its proofs in order. */
export interface PurseProofBatch {
  readonly id: string;
  readonly proofs: PurseProofRecord[];
}

/** How long an unanswered challenge is kept after it expired (a late proof then reads `offer_expired`). */
export const expiredChallengeKeptMs = 60 * 60_000;
/** At most this many expired challenges are deleted per new one: twice the rate they can arrive. */
const pruneBatch = 2;

const bytes = (value: Buffer): Uint8Array =>
  new Uint8Array(value.buffer, value.byteOffset, value.byteLength);

export class PurseStore {
  readonly #db: Database.Database;

  constructor(path: string) {
    const open = require('better-sqlite3') as typeof Database;
    this.#db = new open(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    // A second shop process on the same file waits for the write lock instead of failing.
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(schema);
  }

  close(): void {
    this.#db.close();
  }

  /**
   * Stores a challenge and returns its fresh TNo: one more than any this merchant issued
   * (INTEGER PRIMARY KEY takes max + 1, and pruning never deletes the highest row, so a TNo is
   * never handed out twice). With `offerHash` the challenge is bound to that offer in the same
   * transaction (one disk write per challenge). Open challenges expired more than
   * `pruneAfterMs` ago are deleted a few at a time here, so a page asking for challenges it
   * never answers cannot grow the file without bound: at most what was asked for within the
   * challenge lifetime plus `pruneAfterMs` stays.
   */
  insertChallenge(
    challenge: Omit<PurseChallengeRecord, 'tno' | 'status'> & { readonly offerHash?: Uint8Array },
    pruneAfterMs = expiredChallengeKeptMs,
  ): number {
    return this.#db.transaction(() => {
      this.#pruneExpired(challenge.issuedAt - pruneAfterMs);
      const result = this.#db
        .prepare(
          `INSERT INTO purse_challenges (nonce, currency, amount, issued_at, expires_at, status)
           VALUES (?, ?, ?, ?, ?, 'open')`,
        )
        .run(
          challenge.nonce,
          challenge.currency,
          challenge.amount,
          challenge.issuedAt,
          challenge.expiresAt,
        );
      const tno = Number(result.lastInsertRowid);
      if (challenge.offerHash !== undefined) {
        this.#db
          .prepare('INSERT INTO purse_challenge_offers (tno, offer_hash) VALUES (?, ?)')
          .run(tno, challenge.offerHash);
      }
      return tno;
    })();
  }

  /** How many challenges the file holds (open and paid). */
  challengeCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM purse_challenges').get() as { n: number })
      .n;
  }

  /** Deletes up to `pruneBatch` open challenges that expired before `before`, never the highest TNo. */
  #pruneExpired(before: number): void {
    const stale = this.#db
      .prepare(
        `SELECT tno FROM purse_challenges
         WHERE status = 'open' AND expires_at < ?
           AND tno < (SELECT max(tno) FROM purse_challenges)
         ORDER BY expires_at LIMIT ?`,
      )
      .all(before, pruneBatch) as { tno: number }[];
    if (stale.length === 0) return;
    const unbind = this.#db.prepare('DELETE FROM purse_challenge_offers WHERE tno = ?');
    const remove = this.#db.prepare(
      "DELETE FROM purse_challenges WHERE tno = ? AND status = 'open'",
    );
    for (const { tno } of stale) {
      unbind.run(tno);
      remove.run(tno);
    }
  }

  challenge(tno: number): PurseChallengeRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM purse_challenges WHERE tno = ?').get(tno) as
      | {
          tno: number;
          nonce: Buffer;
          currency: string;
          amount: number;
          issued_at: number;
          expires_at: number;
          status: 'open' | 'paid';
        }
      | undefined;
    return row === undefined
      ? undefined
      : {
          tno: row.tno,
          nonce: bytes(row.nonce),
          currency: row.currency,
          amount: row.amount,
          issuedAt: row.issued_at,
          expiresAt: row.expires_at,
          status: row.status,
        };
  }

  /** The offer hash challenge `tno` was asked for, if it was asked for one. */
  offerOf(tno: number): Uint8Array | undefined {
    const row = this.#db
      .prepare('SELECT offer_hash FROM purse_challenge_offers WHERE tno = ?')
      .get(tno) as { offer_hash: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.offer_hash);
  }

  /** The proof kept for challenge `tno`, if it is paid. */
  proofOf(tno: number): Uint8Array | undefined {
    const row = this.#db.prepare('SELECT proof FROM purse_proofs WHERE tno = ?').get(tno) as
      | { proof: Buffer }
      | undefined;
    return row === undefined ? undefined : bytes(row.proof);
  }

  /** Marks the challenge paid and keeps the proof, in one transaction; false if it was paid. */
  recordProof(proof: Omit<PurseProofRecord, 'batchId' | 'outcome'>, now: number): boolean {
    return this.#db.transaction(() => {
      const changed = this.#db
        .prepare("UPDATE purse_challenges SET status = 'paid' WHERE tno = ? AND status = 'open'")
        .run(proof.tno).changes;
      if (changed === 0) return false;
      this.#db
        .prepare(
          'INSERT INTO purse_proofs (tno, card_id, sno, amount, proof, received_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(proof.tno, proof.cardId, proof.sno, proof.amount, proof.proof, now);
      return true;
    })();
  }

  /** The batch in flight (sent, not answered), or a new one of up to `size` proofs. */
  nextBatch(size: number, newId: string, now: number): PurseProofBatch | undefined {
    return this.#db.transaction(() => {
      const open = this.#db
        .prepare(
          'SELECT id FROM purse_batches WHERE answered_at IS NULL ORDER BY created_at LIMIT 1',
        )
        .get() as { id: string } | undefined;
      if (open !== undefined) return this.#batch(open.id);
      const waiting = this.#db
        .prepare('SELECT tno FROM purse_proofs WHERE batch_id IS NULL ORDER BY tno LIMIT ?')
        .all(size) as { tno: number }[];
      if (waiting.length === 0) return undefined;
      return this.#openBatch(
        newId,
        waiting.map(({ tno }) => tno),
        now,
      );
    })();
  }

  /**
   * The batch that clears proof `tno`: the one it is in already (in flight or answered), or a
   * new batch of it alone. Undefined when no proof is kept for `tno`.
   */
  batchOf(tno: number, newId: string, now: number): PurseProofBatch | undefined {
    return this.#db.transaction(() => {
      const row = this.#db.prepare('SELECT batch_id FROM purse_proofs WHERE tno = ?').get(tno) as
        | { batch_id: string | null }
        | undefined;
      if (row === undefined) return undefined;
      if (row.batch_id !== null) return this.#batch(row.batch_id);
      return this.#openBatch(newId, [tno], now);
    })();
  }

  /** A new batch `id` of the proofs `tnos`, inside the caller's transaction. */
  #openBatch(id: string, tnos: readonly number[], now: number): PurseProofBatch {
    this.#db.prepare('INSERT INTO purse_batches (id, created_at) VALUES (?, ?)').run(id, now);
    const assign = this.#db.prepare('UPDATE purse_proofs SET batch_id = ? WHERE tno = ?');
    for (const tno of tnos) assign.run(id, tno);
    return this.#batch(id);
  }

  #batch(id: string): PurseProofBatch {
    return { id, proofs: this.proofs({ batchId: id }) };
  }

  /** Records the issuer's answer for each proof of the batch, in the batch's order. */
  answerBatch(
    id: string,
    outcomes: readonly { tno: number; outcome: string; fee: number | undefined }[],
    now: number,
  ): void {
    this.#db.transaction(() => {
      const update = this.#db.prepare(
        'UPDATE purse_proofs SET outcome = ?, fee = ? WHERE tno = ? AND batch_id = ?',
      );
      for (const o of outcomes) update.run(o.outcome, o.fee ?? null, o.tno, id);
      this.#db.prepare('UPDATE purse_batches SET answered_at = ? WHERE id = ?').run(now, id);
    })();
  }

  proofs(filter: { batchId?: string } = {}): PurseProofRecord[] {
    const rows = (
      filter.batchId === undefined
        ? this.#db.prepare('SELECT * FROM purse_proofs ORDER BY tno').all()
        : this.#db
            .prepare('SELECT * FROM purse_proofs WHERE batch_id = ? ORDER BY tno')
            .all(filter.batchId)
    ) as {
      tno: number;
      card_id: string;
      sno: number;
      amount: number;
      proof: Buffer;
      batch_id: string | null;
      outcome: string | null;
    }[];
    return rows.map((row) => ({
      tno: row.tno,
      cardId: row.card_id,
      sno: row.sno,
      amount: row.amount,
      proof: bytes(row.proof),
      batchId: row.batch_id ?? undefined,
      outcome: row.outcome ?? undefined,
    }));
  }
}
