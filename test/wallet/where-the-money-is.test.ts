/**
 * What the wallet tells people about the bank and the money it holds there, against the real
 * bank and demo shop: the bank's own name (not its CA certificate's), the fingerprints its page
 * publishes being the ones the wallet pins, and the PayWord credit the user chose being the
 * amount the bank holds, shown with its expiry and when unused credit comes back.
 */

import { bankView, inspectBank } from '@farthing/extension/wallet/bank/banks';
import { balances } from '@farthing/extension/wallet/history';
import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { updateSettings } from '@farthing/extension/wallet/settings';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let wallet: Wallet;
/** How far the wallet's clock runs ahead of real time (the bank's runs on real time). */
const clock = { skew: 0 };

beforeAll(async () => {
  world = await openShopWorld();
  const { platform } = crashingFetch();
  wallet = await openTestWallet(freshDbName(), {
    ...platform,
    now: () => Date.now() + clock.skew,
  });
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

describe('where the money is', () => {
  it('names the bank by the name it publishes and shows the fingerprints its page shows', async () => {
    const seen = await inspectBank(wallet, world.running.url);
    expect(seen.name).toBe('Farthing Demo Bank');
    const page = await (await fetch(`${world.running.url}/fingerprints`)).text();
    expect(page).toContain(`<code id="certificate">${seen.caFingerprint}</code>`);
    expect(page).toContain(`<code id="coin-key">${seen.mintKeyFingerprint}</code>`);
    expect(page).toContain(`<code id="payword-key">${seen.brokerKeyFingerprint}</code>`);

    await addBankAndLogIn(wallet, world);
    const bank = await wallet.db.get('banks', seen.url);
    expect(bank).toMatchObject({ name: 'Farthing Demo Bank', paywordGraceMs: 7 * 86_400_000 });
    expect((await bankView(wallet, bank!)).name).toBe('Farthing Demo Bank');
  });

  it('renames a bank trusted under its CA certificate’s name, once, when the keys match', async () => {
    const bank = (await wallet.db.getAll('banks'))[0]!;
    const { paywordGraceMs: _, ...older } = { ...bank, name: 'farthing-bank Merchant CA' };
    await wallet.db.put('banks', older);
    expect((await bankView(wallet, older)).name).toBe('Farthing Demo Bank');
    expect(await wallet.db.get('banks', bank.url)).toMatchObject({
      name: 'Farthing Demo Bank',
      paywordGraceMs: 7 * 86_400_000,
    });
    // A name the user's wallet did not take from the certificate is left alone.
    const own = { ...bank, name: 'My bank' };
    await wallet.db.put('banks', own);
    expect((await bankView(wallet, own)).name).toBe('My bank');
    await wallet.db.put('banks', bank);
  });

  it('refuses a PayWord credit outside what a certificate can hold and changes nothing', async () => {
    for (const minor of [9, 100_001]) {
      await expect(
        updateSettings(wallet, { paywordCredit: { currency: 'EUR', minor } }),
      ).rejects.toMatchObject({ code: 'invalid_message', detail: { field: 'paywordCredit' } });
    }
    await expect(
      updateSettings(wallet, { paywordCredit: { currency: 'USD', minor: 300 } }),
    ).rejects.toMatchObject({ code: 'invalid_message' });
    expect((await wallet.db.get('settings', 'settings'))?.paywordCredit).toBeUndefined();
  });

  it('holds the PayWord credit the user chose, and shows it held until expiry and grace', async () => {
    const settings = await updateSettings(wallet, {
      paywordCredit: { currency: 'EUR', minor: 200 },
    });
    expect(settings.paywordCredit).toMatchObject({ minor: 200, text: 'EUR 2.00' });
    const before = await world.books();
    const article = pricedArticles[0]!;
    const outcome = await payOffer(wallet, wallet.hooks, {
      token: await offerTokenAt(world, article.path),
      href: `${world.shopUrl}${article.path}`,
      pageUrl: `${world.shopUrl}/`,
      seen: seenClick,
    });
    expect(outcome).toMatchObject({ status: 'paid', instrument: 'payword' });
    const after = await world.books();
    expect(after.holds - before.holds).toBe(200);
    expect(before.customer - after.customer).toBe(200);

    const [certificate] = await wallet.db.getAll('paywordCertificates');
    const payword = (await balances(wallet)).find((b) => b.instrument === 'payword');
    expect(payword).toMatchObject({
      balance: { minor: 200 - article.price },
      held: {
        amount: { minor: 200, text: 'EUR 2.00' },
        expiresAt: certificate!.expiresAt,
        returnsBy: certificate!.expiresAt + 7 * 86_400_000,
      },
    });
  });

  it('lists expired credit as held with nothing to spend until the grace ends, then not', async () => {
    const [certificate] = await wallet.db.getAll('paywordCertificates');
    const paywordBalances = async () =>
      (await balances(wallet)).filter((balance) => balance.instrument === 'payword');
    clock.skew = certificate!.expiresAt - Date.now() + 1;
    expect(await paywordBalances()).toEqual([
      expect.objectContaining({
        balance: expect.objectContaining({ minor: 0 }),
        held: expect.objectContaining({ amount: expect.objectContaining({ minor: 200 }) }),
      }),
    ]);
    clock.skew = certificate!.expiresAt + 7 * 86_400_000 - Date.now();
    expect(await paywordBalances()).toEqual([]);
    clock.skew = 0;
  });
});
