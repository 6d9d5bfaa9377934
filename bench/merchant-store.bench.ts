/**
 * The merchant store's writer thread alone (issue 21): PayWord payments recorded as the pay
 * endpoint records them (the chain's compare-and-swap, the certificate's credit limit, the
 * payment with its receipt and grant), from 64 payers at once, each waiting for its payment to
 * be durable before the next, as the shop's 64 connections do. Two stores in one run, taking
 * turns round by round so they see the same machine:
 *
 *  - merchant.store.payword_writes_per_s      the default: each COMMIT at synchronous=FULL,
 *                                             holding the thread through its sync
 *  - merchant.store.wal_sync_writes_per_s     `commitSync: 'async-fdatasync'`: COMMIT at
 *                                             synchronous=NORMAL, the WAL synced apart while
 *                                             the next batch commits
 *  - merchant.store.wal_sync_vs_default       round by round (median, range)
 *
 * Run alone: npm run bench -- merchant-store
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import { type PaymentRecord, paymentIdLength } from '@farthing/merchant-sdk/store/store';
import { hmacAccessGrantKey, issueAccessGrant } from '@farthing/protocol/access-grant';
import { amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { ratios, roundsMetric } from './stats.ts';
import type { Metrics } from './targets.ts';

const payers = 64;
const rounds = 5;
const perRound = 40;

const id = (...parts: number[]) => {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, parts[0]!);
  new DataView(bytes.buffer).setUint32(4, parts[1] ?? 0);
  bytes[31] = 1;
  return bytes;
};

// As the shop makes them: a credential id that is a SHA-256 output, and a receipt and an access
// grant whose ids are its first 16 bytes (store.ts `paymentIdLength`).
const grantKey = hmacAccessGrantKey(id(0x6b));

function payment(chain: number, index: number): PaymentRecord {
  const credentialId = new Uint8Array(createHash('sha256').update(id(chain, index)).digest());
  const paymentId = credentialId.slice(0, paymentIdLength);
  return {
    credentialId,
    instrument: 'payword',
    offerHash: id(7),
    resource: '/articles/library-fines',
    amount: amount('EUR', 1),
    paidAt: 1_700_000_000_000,
    unsignedReceipt: `{"version":1,"receiptId":"${toBase64url(paymentId)}","offerHash":"${'o'.repeat(43)}","merchantId":"${'m'.repeat(22)}","resource":"/articles/library-fines","amount":"EUR 0.01","instrument":"payword","paidAt":1700000000000}`,
    grantToken: issueAccessGrant(
      {
        merchantId: 'm'.repeat(22),
        resource: '/articles/library-fines',
        offerHash: id(7),
        issuedAt: 1_700_000_000_000,
        expiresAt: 1_700_000_600_000,
        grantId: paymentId,
      },
      grantKey,
    ).token,
    grantExpiresAt: 1_700_000_600_000,
    commitmentId: id(chain),
  };
}

/** One payer: its chain's next `count` words, one payment each, each awaited. */
async function pay(store: SqliteMerchantStore, chain: number, from: number, count: number) {
  for (let index = from + 1; index <= from + count; index++) {
    const result = await store.recordPaywordPayment({
      ...(index === 1
        ? {
            newChain: {
              certificateId: id(1_000_000 + (chain % 8)),
              creditLimit: amount('EUR', 100_000),
              commitmentId: id(chain),
              commitment: `{"chain":${chain}}`,
              userId: 'bench',
              length: 10_000,
              valuePerWord: amount('EUR', 1),
              expiresAt: 2_000_000_000_000,
              lastWord: id(chain, 0),
              createdAt: 1_700_000_000_000,
            },
          }
        : {}),
      commitmentId: id(chain),
      expectedLastIndex: index - 1,
      lastIndex: index,
      lastWord: id(chain, index),
      payment: payment(chain, index),
    });
    if (result !== 'recorded') throw new Error(`payment ${chain}/${index}: ${result}`);
  }
}

async function round(store: SqliteMerchantStore, from: number, count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: payers }, (_, chain) => pay(store, chain, from, count)));
  return (payers * count * 1000) / (performance.now() - started);
}

export async function run(): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bench-store-'));
  const stores = {
    default: new SqliteMerchantStore({ path: join(dir, 'default.sqlite') }),
    walSync: new SqliteMerchantStore({
      path: join(dir, 'wal-sync.sqlite'),
      commitSync: 'async-fdatasync',
    }),
  };
  try {
    // Warm-up: each chain opened, the statements and the thread under way.
    await round(stores.default, 0, 5);
    await round(stores.walSync, 0, 5);
    const rates = { default: [] as number[], walSync: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const from = 5 + r * perRound;
      // Which store goes first alternates, so neither always follows the other's checkpoint.
      const order =
        r % 2 === 0 ? (['default', 'walSync'] as const) : (['walSync', 'default'] as const);
      for (const name of order) rates[name].push(await round(stores[name], from, perRound));
      process.stdout.write(
        `  merchant-store: round ${r + 1}: default (FULL) ${Math.round(rates.default[r]!)}/s, WAL sync ${Math.round(rates.walSync[r]!)}/s\n`,
      );
    }
    return {
      'merchant.store.payword_writes_per_s': roundsMetric(rates.default, 'payments/s', 3),
      'merchant.store.wal_sync_writes_per_s': roundsMetric(rates.walSync, 'payments/s', 3),
      'merchant.store.wal_sync_vs_default': roundsMetric(
        ratios(rates.walSync, rates.default),
        '×',
        3,
      ),
    };
  } finally {
    await Promise.all([stores.default.close(), stores.walSync.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
