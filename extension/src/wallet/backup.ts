/**
 * Encrypted wallet backups: the banks, the seeds of withdrawals that still have coins, the
 * coins, open PayWord chains, receipts, sites and settings, as JSON encrypted with AES-256-GCM
 * under a key derived from the passphrase (PBKDF2-SHA-256, WebCrypto). Seeds leave the wallet
 * only inside this envelope; on import they are sealed under the importing wallet's own key.
 *
 * Restoring a backup into a second wallet while the first still spends is not prevented here:
 * the mint refuses the second spend of a coin, and the vendor a replayed payword.
 */
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import * as v from 'valibot';
import type { Instrument } from '../messages/contract.ts';
import type { WalletContext } from './context.ts';
import type { CoinRecord, PaywordChainRecord, WithdrawalRecord } from './db/schema.ts';
import { WalletFailure } from './errors.ts';
import { withoutPreparedWords } from './instruments/payword/prepared-words.ts';
import { noteLimitsChanged } from './settings.ts';

export const backupFormat = 'farthing-wallet-backup';
export const backupIterations = 310_000;

const bytesTag = '$bytes';

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { [bytesTag]: toBase64url(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && bytesTag in value) {
    return fromBase64url((value as Record<string, unknown>)[bytesTag]);
  }
  return value;
}

const envelopeSchema = v.object({
  format: v.literal(backupFormat),
  version: v.literal(1),
  kdf: v.object({
    name: v.literal('PBKDF2'),
    hash: v.literal('SHA-256'),
    iterations: v.pipe(v.number(), v.safeInteger(), v.minValue(100_000), v.maxValue(10_000_000)),
    salt: v.string(),
  }),
  iv: v.string(),
  data: v.string(),
});

const bytes = v.instance(Uint8Array);
const coinSchema = v.object({
  coinPub: v.string(),
  bankUrl: v.string(),
  currency: v.string(),
  minor: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  denominationId: v.string(),
  source: v.string(),
  index: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  messagePrefix: bytes,
  signature: bytes,
});
const withdrawalSchema = v.object({
  id: v.string(),
  kind: v.picklist(['withdraw', 'change']),
  bankUrl: v.string(),
  currency: v.string(),
  seed: bytes,
  coins: v.array(v.object({ index: v.number(), denominationId: v.string(), minor: v.number() })),
  total: v.number(),
  createdAt: v.number(),
});
const chainSchema = v.object({
  id: v.string(),
  bankUrl: v.string(),
  vendorId: v.string(),
  certificateId: v.string(),
  seed: bytes,
  length: v.number(),
  valuePerWord: v.object({ currency: v.string(), minor: v.number() }),
  commitment: v.unknown(),
  reservedIndex: v.number(),
  acceptedIndex: v.number(),
  expiresAt: v.number(),
  createdAt: v.number(),
});
const text = v.pipe(v.string(), v.maxLength(2048));
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const moneySchema = v.strictObject({
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  minor: count,
});
// Banks, receipts and sites go into IndexedDB as they are, so each is checked field by field:
// a backup made by an older wallet must not leave records the code cannot read.
const bankSchema = v.strictObject({
  url: text,
  name: text,
  caCertificate: bytes,
  caFingerprint: text,
  mintMasterKey: bytes,
  mintKeyFingerprint: text,
  brokerId: text,
  brokerKey: bytes,
  brokerKeyFingerprint: text,
  trustedAt: count,
  paywordGraceMs: v.optional(count),
});
/**
 * Every instrument a receipt can name: a backup of a wallet that paid with the purse or a card
 * must open again (this once listed e-cash and PayWord only, refusing such a backup whole); the
 * record's type makes a new instrument a compile error here until it is listed.
 */
const receiptInstrumentNames: Readonly<Record<Instrument, true>> = {
  ecash: true,
  payword: true,
  purse: true,
  card: true,
};
const receiptInstruments = Object.keys(receiptInstrumentNames) as [Instrument, ...Instrument[]];
const receiptSchema = v.strictObject({
  receiptId: text,
  paymentId: text,
  origin: text,
  merchantName: text,
  resource: text,
  title: text,
  price: moneySchema,
  instrument: v.picklist(receiptInstruments),
  paidAt: count,
  json: v.unknown(),
});
const siteSchema = v.strictObject({
  origin: text,
  name: v.nullable(text),
  budget: v.nullable(moneySchema),
  blocked: v.boolean(),
  lastPaidAt: v.nullable(count),
});
const contentSchema = v.object({
  banks: v.array(bankSchema),
  withdrawals: v.array(withdrawalSchema),
  coins: v.array(coinSchema),
  chains: v.array(chainSchema),
  receipts: v.array(receiptSchema),
  sites: v.array(siteSchema),
});

async function passphraseKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(passphrase),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(salt), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function exportBackup(
  ctx: WalletContext,
  passphrase: string,
  iterations = backupIterations,
): Promise<{ fileName: string; text: string }> {
  const { db, sealer } = ctx;
  const coins = (await db.getAll('coins')).filter((coin) => coin.status !== 'spent');
  const sources = new Set(coins.map((coin) => coin.source));
  const withdrawals = [];
  for (const withdrawal of await db.getAll('withdrawals')) {
    if (!sources.has(withdrawal.id)) continue;
    withdrawals.push({ ...withdrawal, seed: await sealer.open(withdrawal.seed) });
  }
  const chains = [];
  for (const stored of await db.getAll('paywordChains')) {
    if (stored.status !== 'open') continue;
    // Words prepared for a hovered link and never sent are the wallet's: the backup has them.
    const taken =
      stored.prepared !== undefined &&
      (await db.getKey('payments', stored.prepared.paymentId)) !== undefined;
    const { chain } = withoutPreparedWords(stored, taken);
    chains.push({ ...chain, seed: await sealer.open(chain.seed) });
  }
  const content = {
    banks: await db.getAll('banks'),
    withdrawals,
    coins,
    chains,
    receipts: await db.getAll('receipts'),
    sites: await db.getAll('sites'),
  };
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await passphraseKey(passphrase, salt, iterations);
  const plain = new TextEncoder().encode(JSON.stringify(content, replacer));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain));
  plain.fill(0);
  for (const withdrawal of withdrawals) withdrawal.seed.fill(0);
  for (const chain of chains) chain.seed.fill(0);
  const envelope = {
    format: backupFormat,
    version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64url(salt) },
    iv: toBase64url(iv),
    data: toBase64url(data),
  };
  const day = new Date(ctx.platform.now()).toISOString().slice(0, 10);
  return { fileName: `farthing-wallet-${day}.json`, text: JSON.stringify(envelope, null, 1) };
}

export async function importBackup(
  ctx: WalletContext,
  text: string,
  passphrase: string,
): Promise<{ coins: number; chains: number }> {
  let envelope: v.InferOutput<typeof envelopeSchema>;
  try {
    envelope = v.parse(envelopeSchema, JSON.parse(text));
  } catch (cause) {
    throw new WalletFailure('backup_invalid', 'This file is not a Farthing wallet backup.', {
      cause,
    });
  }
  let plain: Uint8Array;
  try {
    const key = await passphraseKey(
      passphrase,
      fromBase64url(envelope.kdf.salt),
      envelope.kdf.iterations,
    );
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: new Uint8Array(fromBase64url(envelope.iv)) },
        key,
        new Uint8Array(fromBase64url(envelope.data)),
      ),
    );
  } catch (cause) {
    throw new WalletFailure('wrong_passphrase', 'The passphrase does not open this backup.', {
      cause,
    });
  }
  let content: v.InferOutput<typeof contentSchema>;
  try {
    content = v.parse(contentSchema, JSON.parse(new TextDecoder().decode(plain), reviver));
  } catch (cause) {
    throw new WalletFailure('backup_invalid', 'The backup is damaged.', { cause });
  } finally {
    plain.fill(0);
  }
  const now = ctx.platform.now();
  const withdrawals: WithdrawalRecord[] = [];
  for (const w of content.withdrawals) {
    withdrawals.push({ ...w, seed: await ctx.sealer.seal(w.seed), status: 'done', taskId: '' });
  }
  const chains: PaywordChainRecord[] = [];
  for (const c of content.chains) {
    chains.push({ ...c, seed: await ctx.sealer.seal(c.seed), status: 'open' });
  }
  // Sites come with their budgets and blocks: limits read before are not the user's any more.
  noteLimitsChanged();
  const tx = ctx.db.transaction(
    ['banks', 'withdrawals', 'coins', 'paywordChains', 'receipts', 'sites'],
    'readwrite',
    { durability: 'strict' },
  );
  let coins = 0;
  let chainCount = 0;
  for (const bank of content.banks) {
    if ((await tx.objectStore('banks').getKey(bank.url)) === undefined) {
      await tx.objectStore('banks').add(bank);
    }
  }
  for (const w of withdrawals) {
    if ((await tx.objectStore('withdrawals').getKey(w.id)) === undefined)
      await tx.objectStore('withdrawals').add(w);
  }
  for (const coin of content.coins) {
    if ((await tx.objectStore('coins').getKey(coin.coinPub)) !== undefined) continue;
    const record: CoinRecord = { ...coin, status: 'spendable', reservedBy: null, updatedAt: now };
    await tx.objectStore('coins').add(record);
    coins++;
  }
  for (const chain of chains) {
    if ((await tx.objectStore('paywordChains').getKey(chain.id)) !== undefined) continue;
    await tx.objectStore('paywordChains').add(chain);
    chainCount++;
  }
  for (const receipt of content.receipts) await tx.objectStore('receipts').put(receipt);
  for (const site of content.sites) {
    if ((await tx.objectStore('sites').getKey(site.origin)) === undefined) {
      await tx.objectStore('sites').add(site);
    }
  }
  await tx.done;
  noteLimitsChanged();
  return { coins, chains: chainCount };
}
