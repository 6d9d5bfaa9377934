import { deriveCoinSecrets } from '@farthing/protocol/coin/derivation';
import { toBase64url } from '@farthing/protocol/encoding';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Instrument } from '../messages/contract.ts';
import { exportBackup, importBackup } from './backup.ts';
import type { ReceiptRecord } from './db/schema.ts';
import { FixtureMint, MintKeys, trustAndLogIn } from './instruments/ecash/mint.fixture.ts';
import { runWithdrawal, startWithdrawal } from './instruments/ecash/withdraw.ts';
import {
  bankUrl,
  type FixtureWallet,
  freshWalletName,
  now,
  openFixtureWallet,
} from './instruments/instrument.fixture.ts';

const passphrase = 'correct horse battery staple';
/** The least the format accepts, so the tests spend their time on the wallet, not on PBKDF2. */
const iterations = 100_000;
const instruments: readonly Instrument[] = ['ecash', 'payword', 'purse', 'card'];

let mint: FixtureMint;
beforeAll(async () => {
  mint = new FixtureMint(await MintKeys.make([5, 10]), 1_000);
});

const receipt = (instrument: Instrument): ReceiptRecord => ({
  receiptId: `receipt-${instrument}`,
  paymentId: `payment-${instrument}`,
  origin: 'https://shop.example',
  merchantName: 'Fixture shop',
  resource: `/articles/${instrument}`,
  title: `Paid with ${instrument}`,
  price: { currency: 'EUR', minor: 5 },
  instrument,
  paidAt: now,
  json: { receipt: instrument },
});

/**
 * A wallet with 25 cents withdrawn (one coin then spent), an open and a closed PayWord chain,
 * a receipt of every instrument and a site.
 */
async function fullWallet(): Promise<FixtureWallet> {
  const wallet = await openFixtureWallet(freshWalletName(), mint);
  await trustAndLogIn(wallet, mint);
  const task = await startWithdrawal(wallet, {
    url: bankUrl,
    amount: { currency: 'EUR', minor: 25 },
  });
  await runWithdrawal(wallet, task);
  const [first] = await wallet.db.getAll('coins');
  await wallet.db.put('coins', { ...first!, status: 'spent' });
  for (const status of ['open', 'closed'] as const) {
    await wallet.db.put('paywordChains', {
      id: `chain-${status}`,
      bankUrl,
      vendorId: 'shop.example',
      certificateId: 'certificate-1',
      seed: await wallet.sealer.seal(new Uint8Array(32).fill(status === 'open' ? 1 : 2)),
      length: 100,
      valuePerWord: { currency: 'EUR', minor: 1 },
      commitment: { chain: status },
      reservedIndex: 3,
      acceptedIndex: 3,
      status,
      expiresAt: now + 86_400_000,
      createdAt: now,
    });
  }
  for (const instrument of instruments) await wallet.db.put('receipts', receipt(instrument));
  await wallet.db.put('sites', {
    origin: 'https://shop.example',
    name: 'Fixture shop',
    budget: { currency: 'EUR', minor: 300 },
    blocked: false,
    lastPaidAt: now,
  });
  return wallet;
}

/** Everything a restore could have written. */
async function contents(wallet: FixtureWallet) {
  const { db } = wallet;
  return {
    banks: await db.getAll('banks'),
    withdrawals: await db.getAll('withdrawals'),
    coins: await db.getAll('coins'),
    chains: await db.getAll('paywordChains'),
    receipts: await db.getAll('receipts'),
    sites: await db.getAll('sites'),
  };
}

/** A backup envelope around `content`, sealed as `exportBackup` seals (for damaged contents). */
async function sealed(content: unknown): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const material = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(passphrase),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const plain = new TextEncoder().encode(JSON.stringify(content));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain));
  return JSON.stringify({
    format: 'farthing-wallet-backup',
    version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64url(salt) },
    iv: toBase64url(iv),
    data: toBase64url(data),
  });
}

describe('the encrypted wallet backup', () => {
  let original: FixtureWallet;
  let backup: { fileName: string; text: string };

  beforeAll(async () => {
    original = await fullWallet();
    backup = await exportBackup(original, passphrase, iterations);
  });

  it('names no coin, bank or seed in the clear', async () => {
    expect(backup.fileName).toBe('farthing-wallet-2026-01-01.json');
    for (const coin of await original.db.getAll('coins')) {
      expect(backup.text).not.toContain(coin.coinPub);
    }
    expect(backup.text).not.toContain('bank.example');
    expect(Object.keys(JSON.parse(backup.text)).sort()).toEqual([
      'data',
      'format',
      'iv',
      'kdf',
      'version',
    ]);
  });

  it('carries every unspent coin with the seed that signs for it, under the new wallet’s key', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    expect(await importBackup(restored, backup.text, passphrase)).toEqual({ coins: 2, chains: 1 });
    const unspent = (await original.db.getAll('coins')).filter((c) => c.status !== 'spent');
    const coins = await restored.db.getAll('coins');
    expect(coins.map((c) => c.coinPub).sort()).toEqual(unspent.map((c) => c.coinPub).sort());
    for (const coin of coins) {
      expect(coin).toMatchObject({ status: 'spendable', reservedBy: null });
      const source = await restored.db.get('withdrawals', coin.source);
      const seed = await restored.sealer.open(source!.seed);
      expect(toBase64url(deriveCoinSecrets(seed, coin.index).publicKey)).toBe(coin.coinPub);
    }
    expect((await restored.db.getAll('paywordChains')).map((c) => c.id)).toEqual(['chain-open']);
    const chainSeed = await restored.sealer.open(
      (await restored.db.get('paywordChains', 'chain-open'))!.seed,
    );
    expect(chainSeed).toEqual(new Uint8Array(32).fill(1));
    expect(await restored.db.getAll('banks')).toEqual(await original.db.getAll('banks'));
    expect(await restored.db.getAll('sites')).toEqual(await original.db.getAll('sites'));
  });

  it('restores the receipts of payments made with every instrument', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    await importBackup(restored, backup.text, passphrase);
    expect((await restored.db.getAll('receipts')).map((r) => r.instrument).sort()).toEqual(
      [...instruments].sort(),
    );
  });

  it('adds nothing when the same backup is imported again', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    await importBackup(restored, backup.text, passphrase);
    const once = await contents(restored);
    expect(await importBackup(restored, backup.text, passphrase)).toEqual({ coins: 0, chains: 0 });
    expect(await contents(restored)).toEqual(once);
  });

  it('keeps a coin the wallet has already, as it is (it may be spent since)', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    const [held] = (await original.db.getAll('coins')).filter((c) => c.status !== 'spent');
    await restored.db.put('coins', { ...held!, status: 'spent' });
    expect(await importBackup(restored, backup.text, passphrase)).toMatchObject({ coins: 1 });
    expect(await restored.db.get('coins', held!.coinPub)).toMatchObject({ status: 'spent' });
  });

  it('refuses a wrong passphrase, a tampered file and a stranger’s file with their codes, changing nothing', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    const before = await contents(restored);
    const envelope = JSON.parse(backup.text);
    const data: string = envelope.data;
    const flipped = `${data.slice(0, 10)}${data[10] === 'A' ? 'B' : 'A'}${data.slice(11)}`;
    const refusals: [string, string, string][] = [
      [backup.text, 'not the passphrase', 'wrong_passphrase'],
      [JSON.stringify({ ...envelope, data: flipped }), passphrase, 'wrong_passphrase'],
      [JSON.stringify({ ...envelope, format: 'someone-else' }), passphrase, 'backup_invalid'],
      [
        JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, iterations: 1 } }),
        passphrase,
        'backup_invalid',
      ],
      ['{"not": "a backup"', passphrase, 'backup_invalid'],
    ];
    for (const [text, tried, code] of refusals) {
      await expect(importBackup(restored, text, tried)).rejects.toMatchObject({ code });
    }
    expect(await contents(restored)).toEqual(before);
  });

  it('refuses a backup whose contents the wallet could not read back, writing none of it', async () => {
    const restored = await openFixtureWallet(freshWalletName(), mint);
    const before = await contents(restored);
    const good = { banks: [], withdrawals: [], coins: [], chains: [], receipts: [], sites: [] };
    const site = {
      origin: 'https://shop.example',
      name: null,
      budget: null,
      blocked: false,
      lastPaidAt: null,
    };
    for (const damaged of [
      { ...good, receipts: [{ ...receipt('ecash'), instrument: 'cheque' }] },
      { ...good, sites: [site, { ...site, origin: 'https://b.example', extra: 1 }] },
      { ...good, sites: [{ ...site, budget: { currency: 'EUR', minor: -5 } }] },
      { ...good, coins: undefined },
    ]) {
      await expect(importBackup(restored, await sealed(damaged), passphrase)).rejects.toMatchObject(
        { code: 'backup_invalid' },
      );
    }
    expect(await contents(restored)).toEqual(before);
    expect(await importBackup(restored, await sealed(good), passphrase)).toEqual({
      coins: 0,
      chains: 0,
    });
  });
});
