/**
 * The encrypted wallet backup: what one wallet exports, another opens with the passphrase and
 * spends at the real shop; a wrong passphrase, a tampered file and a stranger's file are each
 * refused with their code and leave the wallet as it was.
 */

import { exportBackup, importBackup } from '@farthing/extension/wallet/backup';
import { payOffer } from '@farthing/extension/wallet/pay/pay';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  coinTotals,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

const passphrase = 'correct horse battery staple';
/** The least the format accepts, so the test spends its time on the wallet, not on PBKDF2. */
const iterations = 100_000;

let world: ShopWorld;
let original: Wallet;
let restored: Wallet;
let backup: { fileName: string; text: string };

beforeAll(async () => {
  world = await openShopWorld();
  original = await openTestWallet(freshDbName(), crashingFetch().platform);
  restored = await openTestWallet(freshDbName(), crashingFetch().platform);
  await addBankAndLogIn(original, world);
  await original.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 200 } });
  expect(await original.resume()).toBe(0);
  backup = await exportBackup(original, passphrase, iterations);
}, 120_000);

afterAll(async () => {
  original?.close();
  restored?.close();
  await closeShopWorld(world);
});

describe('the encrypted wallet backup', () => {
  it('holds no seed or key in the clear', () => {
    expect(backup.fileName).toMatch(/^farthing-wallet-\d{4}-\d{2}-\d{2}\.json$/);
    const envelope = JSON.parse(backup.text);
    expect(Object.keys(envelope).sort()).toEqual(['data', 'format', 'iv', 'kdf', 'version']);
    expect(backup.text).not.toContain('coinPub');
    expect(backup.text).not.toContain(world.running.url);
  });

  it('refuses a wrong passphrase and changes nothing', async () => {
    await expect(importBackup(restored, backup.text, 'not the passphrase')).rejects.toMatchObject({
      code: 'wrong_passphrase',
    });
    expect(await coinTotals(restored)).toEqual({ spendable: 0, reserved: 0, spent: 0 });
  });

  it('refuses a tampered file and a file that is not a backup', async () => {
    const envelope = JSON.parse(backup.text);
    const data: string = envelope.data;
    const flipped = `${data.slice(0, 10)}${data[10] === 'A' ? 'B' : 'A'}${data.slice(11)}`;
    await expect(
      importBackup(restored, JSON.stringify({ ...envelope, data: flipped }), passphrase),
    ).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await expect(
      importBackup(restored, '{"format":"something else"}', passphrase),
    ).rejects.toMatchObject({ code: 'backup_invalid' });
    await expect(importBackup(restored, 'not json', passphrase)).rejects.toMatchObject({
      code: 'backup_invalid',
    });
    expect(await coinTotals(restored)).toEqual({ spendable: 0, reserved: 0, spent: 0 });
  });

  it('restores the coins into another wallet, once, and they pay at the shop', async () => {
    const first = await importBackup(restored, backup.text, passphrase);
    expect(first.coins).toBeGreaterThan(0);
    expect((await coinTotals(restored)).spendable).toBe(200);
    expect(await importBackup(restored, backup.text, passphrase)).toEqual({ coins: 0, chains: 0 });
    expect((await coinTotals(restored)).spendable).toBe(200);

    const article = pricedArticles.at(-1)!;
    const token = await offerTokenAt(world, article.path);
    const href = `${world.shopUrl}${article.path}`;
    const before = await world.books();
    const outcome = await payOffer(restored, restored.hooks, {
      token,
      href,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(outcome).toMatchObject({ status: 'paid', instrument: 'ecash' });
    expect((await world.books()).merchant - before.merchant).toBe(article.price);
    expect(await world.problems()).toEqual([]);
  });
});
