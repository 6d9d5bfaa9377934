import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hmacAccessGrantKey, issueAccessGrant } from '@farthing/protocol/access-grant';
import { amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import { makeCommittedChain } from '@farthing/protocol/payword/payword.fixture';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMerchantStore } from './memory.ts';
import { SqliteMerchantStore } from './sqlite.ts';
import { migrations, schemaVersion } from './sqlite-schema.ts';
import type { MerchantStore, PaymentRecord } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-merchant-migrations-'));
  dirs.push(dir);
  return join(dir, 'merchant.db');
}

const ecash = (fill: number, grantToken: string): PaymentRecord => ({
  credentialId: new Uint8Array(32).fill(fill),
  instrument: 'ecash',
  offerHash: new Uint8Array(32).fill(0x0f),
  resource: '/articles/7',
  amount: amount('EUR', 5),
  paidAt: 1000,
  unsignedReceipt: `{"receipt":${fill}}`,
  grantToken,
  grantExpiresAt: 2000,
});

describe('the merchant database schema', () => {
  it('takes a version 1 database to the current version and keeps its payments', async () => {
    const path = sqlitePath();
    const v1 = new Database(path);
    v1.exec(migrations[0]!);
    v1.pragma('user_version = 1');
    v1.prepare(
      `INSERT INTO payments (credential_id, instrument, offer_hash, resource, currency, amount,
        paid_at, receipt, grant_token, grant_expires_at)
       VALUES (?, 'ecash', ?, '/articles/7', 'EUR', 5, 1000, '{"receipt":1}', 'grant-1', 2000)`,
    ).run(Buffer.alloc(32, 1), Buffer.alloc(32, 0x0f));
    v1.close();

    const store = new SqliteMerchantStore({ path });
    try {
      expect(await store.findPaymentByGrant('grant-1')).toEqual(ecash(1, 'grant-1'));
      expect(await store.findPaymentByGrant('grant-2')).toBeUndefined();
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM payments WHERE grant_token = 'x' AND ids_from_credential = 0",
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toContain('payments_by_grant');
    db.close();
  });

  it('takes a version 2 database to one that records purse payments, keeping its payments', async () => {
    const path = sqlitePath();
    const v2 = new Database(path);
    v2.exec(migrations[0]!);
    v2.exec(migrations[1]!);
    v2.pragma('user_version = 2');
    v2.prepare(
      `INSERT INTO payments (credential_id, instrument, offer_hash, resource, currency, amount,
        paid_at, receipt, grant_token, grant_expires_at)
       VALUES (?, 'ecash', ?, '/articles/7', 'EUR', 5, 1000, '{"receipt":1}', 'grant-1', 2000)`,
    ).run(Buffer.alloc(32, 1), Buffer.alloc(32, 0x0f));
    expect(() =>
      v2
        .prepare(
          `INSERT INTO payments (credential_id, instrument, offer_hash, resource, currency, amount,
            paid_at, receipt, grant_token, grant_expires_at)
           VALUES (?, 'purse', ?, '/a', 'EUR', 5, 1000, '{}', 'g', 2000)`,
        )
        .run(Buffer.alloc(32, 2), Buffer.alloc(32, 0x0f)),
    ).toThrow(/CHECK constraint/);
    v2.close();

    const store = new SqliteMerchantStore({ path });
    try {
      expect(await store.findPaymentByGrant('grant-1')).toEqual(ecash(1, 'grant-1'));
      const purse = { ...ecash(3, 'grant-3'), instrument: 'purse' as const };
      expect(await store.recordEcashPayment(purse)).toEqual(purse);
      expect(await store.findPaymentByGrant('grant-3')).toEqual(purse);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM payments WHERE grant_token = 'x' AND ids_from_credential = 0",
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toContain('payments_by_grant');
    db.close();
  });

  it('gives chains stored before version 3 their certificate and credit limit, so the limit counts them', async () => {
    const path = sqlitePath();
    const v2 = new Database(path);
    v2.exec(migrations[0]!);
    v2.exec(migrations[1]!);
    v2.pragma('user_version = 2');
    const { commitment, verified } = await makeCommittedChain({ length: 10 });
    v2.prepare(
      `INSERT INTO payword_chains (commitment_id, commitment, user_id, chain_length, currency,
        value_per_word, expires_at, last_index, last_word, created_at)
       VALUES (?, ?, 'alice', 10, 'EUR', 1, ?, 3, ?, ?)`,
    ).run(
      verified.commitmentId,
      JSON.stringify(paywordCommitments.toJson(commitment)),
      commitment.expiresAt,
      Buffer.alloc(32, 3),
      commitment.createdAt,
    );
    v2.close();

    await new SqliteMerchantStore({ path }).close();
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT certificate_id, credit_limit FROM payword_chains').get() as {
      certificate_id: Buffer;
      credit_limit: number;
    };
    db.close();
    expect(new Uint8Array(row.certificate_id)).toEqual(
      paywordCertificates.id(commitment.certificate),
    );
    expect(row.credit_limit).toBe(commitment.certificate.creditLimit.minor);
  });

  it('finds payments stored before version 7 through the older indexes, and later ones through the primary key alone', async () => {
    const path = sqlitePath();
    const v6 = new Database(path);
    for (const step of migrations.slice(0, 6)) v6.exec(step);
    v6.pragma('user_version = 6');
    const key = hmacAccessGrantKey(new Uint8Array(32).fill(0x33));
    const issued = (fill: number): PaymentRecord => {
      const id = new Uint8Array(16).fill(fill);
      return {
        ...ecash(fill, ''),
        grantToken: issueAccessGrant(
          {
            merchantId: 'm',
            resource: '/articles/7',
            offerHash: new Uint8Array(32).fill(0x0f),
            issuedAt: 1000,
            expiresAt: 2000,
            grantId: id,
          },
          key,
        ).token,
        unsignedReceipt: JSON.stringify({ receiptId: toBase64url(id) }),
      };
    };
    const before = issued(1);
    v6.prepare(
      `INSERT INTO payments (credential_id, instrument, offer_hash, resource, currency, amount,
        paid_at, receipt, grant_token, grant_expires_at)
       VALUES (?, 'ecash', ?, '/articles/7', 'EUR', 5, 1000, ?, ?, 2000)`,
    ).run(before.credentialId, before.offerHash, before.unsignedReceipt, before.grantToken);
    v6.close();

    const after = issued(2);
    const store = new SqliteMerchantStore({ path });
    try {
      expect(await store.recordEcashPayment(after)).toEqual(after);
      for (const payment of [before, after]) {
        expect(await store.findPaymentByGrant(payment.grantToken)).toEqual(payment);
        expect(await store.findPaymentByReceipt(payment.credentialId.slice(0, 16))).toEqual(
          payment,
        );
      }
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    // The indexes on random keys hold the older payment only.
    for (const index of ['payments_by_grant', 'payments_by_receipt']) {
      const { rows } = db
        .prepare(
          `SELECT count(*) AS rows FROM payments INDEXED BY ${index} WHERE ids_from_credential = 0`,
        )
        .get() as { rows: number };
      expect(rows, index).toBe(1);
    }
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM payments WHERE credential_id BETWEEN x'00' AND x'ff' AND grant_token = 'x' AND ids_from_credential = 1",
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toContain('sqlite_autoindex_payments_1');
    db.close();
  });

  it('keeps what the chains of each certificate took as one total from version 8, counted from the chains before it', async () => {
    const path = sqlitePath();
    const v7 = new Database(path);
    for (const step of migrations.slice(0, 7)) v7.exec(step);
    v7.pragma('user_version = 7');
    const insertChain = v7.prepare(
      `INSERT INTO payword_chains (commitment_id, commitment, user_id, chain_length, currency,
        value_per_word, expires_at, last_index, last_word, created_at, certificate_id,
        credit_limit)
       VALUES (?, '{}', 'alice', 100, 'EUR', ?, 10000000, ?, ?, 1000, ?, ?)`,
    );
    const [a, b, other] = [0xa1, 0xb1, 0xc1].map((fill) => new Uint8Array(32).fill(fill)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const [certificate, otherCertificate] = [0xce, 0xcf].map((fill) => Buffer.alloc(32, fill));
    insertChain.run(a, 1, 8, Buffer.alloc(32, 8), certificate, 20);
    insertChain.run(b, 1, 7, Buffer.alloc(32, 7), certificate, 20);
    insertChain.run(other, 2, 3, Buffer.alloc(32, 3), otherCertificate, 50);
    v7.close();

    const totals = () => {
      const db = new Database(path, { readonly: true });
      const rows = db
        .prepare('SELECT hex(certificate_id) AS id, taken FROM payword_certificate_totals')
        .all();
      db.close();
      return rows;
    };
    const pay = (commitmentId: Uint8Array, from: number, to: number, fill: number) =>
      store.recordPaywordPayment({
        commitmentId,
        expectedLastIndex: from,
        lastIndex: to,
        lastWord: new Uint8Array(32).fill(to),
        payment: { ...ecash(fill, `grant-${fill}`), instrument: 'payword', commitmentId },
      });
    let store = new SqliteMerchantStore({ path });
    try {
      expect(totals()).toEqual([
        { id: 'CE'.repeat(32), taken: 15 },
        { id: 'CF'.repeat(32), taken: 6 },
      ]);
      expect(await pay(a, 8, 14, 1)).toBe('over_limit');
      expect(await pay(a, 8, 12, 2)).toBe('recorded');
      expect(totals()[0]).toMatchObject({ taken: 19 });
    } finally {
      await store.close();
    }

    // A chain moved by other code (a process of the release before, sharing the file) is
    // counted too: the total follows every move of a chain.
    const db = new Database(path);
    db.prepare('UPDATE payword_chains SET last_index = 8 WHERE commitment_id = ?').run(b);
    expect(totals()[0]).toMatchObject({ taken: 20 });
    db.prepare('UPDATE payword_chains SET last_index = 7 WHERE commitment_id = ?').run(b);
    // A certificate without its total (deleted by hand, say) is counted from its chains again.
    db.prepare('DELETE FROM payword_certificate_totals WHERE certificate_id = ?').run(certificate);
    db.close();
    store = new SqliteMerchantStore({ path });
    try {
      expect(await pay(b, 7, 9, 3)).toBe('over_limit');
      expect(await pay(b, 7, 8, 4)).toBe('recorded');
      expect(totals()).toContainEqual({ id: 'CE'.repeat(32), taken: 20 });
    } finally {
      await store.close();
    }
  });

  it('refuses a database newer than it knows', () => {
    const path = sqlitePath();
    const db = new Database(path);
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    expect(() => new SqliteMerchantStore({ path })).toThrow(/newer than this SDK/);
  });

  const stores: [string, () => MerchantStore][] = [
    ['MemoryMerchantStore', () => new MemoryMerchantStore()],
    ['SqliteMerchantStore', () => new SqliteMerchantStore({ path: sqlitePath() })],
  ];
  for (const [name, open] of stores) {
    it(`${name} finds a payment by the grant it issued`, async () => {
      const store = open();
      try {
        await store.recordEcashPayment(ecash(1, 'grant-a'));
        await store.recordEcashPayment(ecash(2, 'grant-b'));
        expect((await store.findPaymentByGrant('grant-b'))?.unsignedReceipt).toBe('{"receipt":2}');
        expect(await store.findPaymentByGrant('grant-c')).toBeUndefined();
      } finally {
        await store.close();
      }
    });
  }
});
