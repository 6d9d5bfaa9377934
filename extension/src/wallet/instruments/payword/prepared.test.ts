import { describe, expect, it } from 'vitest';
import { exportBackup, importBackup } from '../../backup.ts';
import type { PaymentRecord, PaywordChainRecord } from '../../db/schema.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { sendPayment } from '../../pay/send.ts';
import { updateSettings } from '../../settings.ts';
import {
  atEveryStop,
  checkedOffer,
  FixtureMerchant,
  type FixtureWallet,
  freshWalletName,
  hooks,
  openFixtureWallet,
  resumePayments,
  settled,
  untilStopped,
} from '../instrument.fixture.ts';
import { paywordInstrument } from './payword-payment.ts';
import { walletWithCertificate } from './payword-wallet.fixture.ts';
import { preparePayword } from './prepared.ts';

/** A wallet with a broker certificate and one chain for the fixture shop, one word spent. */
async function walletWithChain(name: string, merchant: FixtureMerchant) {
  const wallet = await walletWithCertificate(name, merchant);
  const first = await checkedOffer(1, '/articles/0', ['payword']);
  await sendPayment(wallet, hooks, await paywordInstrument.reserve(wallet, first), first.offer);
  await settled();
  return wallet;
}

const chainOf = async (wallet: FixtureWallet): Promise<PaywordChainRecord> => {
  const [chain] = await wallet.db.getAll('paywordChains');
  return chain!;
};

/** A click the tooltip made ready for: at once, or the long way when it must be asked. */
async function click(wallet: FixtureWallet, checked: CheckedOffer, seen: 'wallet' | undefined) {
  const payment =
    (await paywordInstrument.reserveAtOnce!(wallet, checked, seen)) ??
    (await paywordInstrument.reserve(wallet, checked));
  return sendPayment(wallet, hooks, payment, checked.offer);
}

/** Every word spoken for once, none skipped: each chain's words are its payments' prices. */
function checkWords(chains: readonly PaywordChainRecord[], payments: readonly PaymentRecord[]) {
  for (const chain of chains) {
    const on = payments.flatMap((p) =>
      p.instrument === 'payword' && p.chainId === chain.id ? [p] : [],
    );
    const indexes = on.map((p) => p.index);
    expect(new Set(indexes).size).toBe(indexes.length);
    const spoken = on.reduce((sum, p) => sum + p.price.minor, 0);
    expect(chain.reservedIndex).toBe(spoken);
    const accepted = on.filter((p) => p.status === 'confirmed');
    expect(chain.acceptedIndex).toBe(accepted.reduce((sum, p) => sum + p.price.minor, 0));
    expect(chain.prepared).toBeUndefined();
  }
}

describe('words made ready while the tooltip shows', () => {
  it('are reserved and counted at once, stored and sent only by the click, and the next click goes on from them', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithChain(freshWalletName(), merchant);
    const offer = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, offer);
    const chain = await chainOf(wallet);
    expect(chain).toMatchObject({ reservedIndex: 3, prepared: { index: 3, words: 2 } });
    // Counted in the budgets, but no payment exists and nothing was sent.
    const journal = await wallet.db.getAll('journal');
    expect(journal.map((entry) => entry.paymentId)).toContain(chain.prepared!.paymentId);
    expect(await wallet.db.get('payments', chain.prepared!.paymentId)).toBeUndefined();
    expect(merchant.answers.size).toBe(1);

    const paid = await click(wallet, offer, 'wallet');
    expect(paid).toMatchObject({ status: 'paid', owned: false });
    expect(await wallet.db.get('payments', chain.prepared!.paymentId)).toMatchObject({
      index: 3,
      status: 'confirmed',
    });
    await settled();
    const next = await checkedOffer(1, '/articles/2', ['payword']);
    expect(await click(wallet, next, 'wallet')).toMatchObject({ status: 'paid' });
    await settled();
    checkWords(await wallet.db.getAll('paywordChains'), await wallet.db.getAll('payments'));
    expect(merchant.doubleSpends).toEqual([]);
  });

  it('are given back to a click on another of the vendor’s offers, which reveals them instead', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithChain(freshWalletName(), merchant);
    const hovered = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, hovered);
    const { prepared } = await chainOf(wallet);
    const other = await checkedOffer(2, '/articles/5', ['payword']);
    expect(await click(wallet, other, 'wallet')).toMatchObject({ status: 'paid' });
    const [payment] = (await wallet.db.getAll('payments')).filter(
      (p) => p.resource === '/articles/5',
    );
    expect(payment).toMatchObject({ index: 3 });
    const journal = await wallet.db.getAll('journal');
    expect(journal.some((entry) => entry.id === prepared!.journalId)).toBe(false);
    // The hovered offer's click, now, is an ordinary one.
    expect(await click(wallet, hovered, 'wallet')).toMatchObject({ status: 'paid' });
    await settled();
    checkWords(await wallet.db.getAll('paywordChains'), await wallet.db.getAll('payments'));
  });

  it('are made for the offer last hovered when the hovers come faster than the wallet prepares', async () => {
    const merchant = new FixtureMerchant();
    const name = freshWalletName();
    await walletWithChain(name, merchant);
    const counter = { crashAt: 0, steps: 0 };
    const wallet = await openFixtureWallet(name, merchant, counter);
    const offers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => checkedOffer(1, `/articles/${10 + i}`, ['payword'])),
    );
    await Promise.all(offers.map((offer) => preparePayword(wallet, offer)));
    // One transaction, for the last one (a chain restored first takes one more try at most).
    expect(counter.steps).toBeLessThanOrEqual(2);
    const { prepared } = await chainOf(wallet);
    expect(await click(wallet, offers.at(-1)!, 'wallet')).toMatchObject({ status: 'paid' });
    expect(await wallet.db.get('payments', prepared!.paymentId)).toMatchObject({
      resource: '/articles/29',
    });
  });

  it('are given back to a reservation that does not come from a click on their offer', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithChain(freshWalletName(), merchant);
    const hovered = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, hovered);
    // The long way (asked in the wallet's window meanwhile) for another offer: its word comes
    // right after the last one paid, not after words never sent.
    const other = await checkedOffer(2, '/articles/6', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, other);
    expect(payment).toMatchObject({ index: 3 });
    expect(await paywordInstrument.reserveAtOnce!(wallet, hovered, 'wallet')).toMatchObject({
      index: 5,
    });
  });

  it('are not taken once the resource was bought another way, or their chain closed', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithChain(freshWalletName(), merchant);
    const offer = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, offer);
    const { prepared } = await chainOf(wallet);
    // Another instrument's payment of the same article, in flight.
    const [paid] = await wallet.db.getAll('payments');
    await wallet.db.put('payments', {
      ...paid!,
      id: 'bought-another-way',
      resource: '/articles/1',
      status: 'sent',
    });
    expect(await paywordInstrument.reserveAtOnce!(wallet, offer, 'wallet')).toBeUndefined();
    expect(await wallet.db.get('payments', prepared!.paymentId)).toBeUndefined();
    await wallet.db.delete('payments', 'bought-another-way');

    const next = await checkedOffer(2, '/articles/2', ['payword']);
    await preparePayword(wallet, next);
    const chain = await chainOf(wallet);
    await wallet.db.put('paywordChains', { ...chain, status: 'closed' });
    expect(await paywordInstrument.reserveAtOnce!(wallet, next, 'wallet')).toBeUndefined();
    expect(await wallet.db.get('payments', chain.prepared!.paymentId)).toBeUndefined();
  });

  it('are not taken by a click that must be asked about, nor once the settings changed', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithChain(freshWalletName(), merchant);
    const offer = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, offer);
    // A click with no sign the user saw the link: asked, so not paid at once.
    expect(await paywordInstrument.reserveAtOnce!(wallet, offer, undefined)).toBeUndefined();
    expect(await wallet.db.getAll('payments')).toHaveLength(1);

    await preparePayword(wallet, offer);
    expect((await chainOf(wallet)).prepared).toBeDefined();
    // The user lowers the threshold under the price: the click must now be asked about.
    await updateSettings(wallet, { autoPayThreshold: { currency: 'EUR', minor: 1 } });
    expect(await paywordInstrument.reserveAtOnce!(wallet, offer, 'wallet')).toBeUndefined();
    expect(await wallet.db.getAll('payments')).toHaveLength(1);
    // Asked and accepted: the long way reveals the words given back.
    const payment = await paywordInstrument.reserve(wallet, offer);
    expect(payment).toMatchObject({ index: 3 });
    await sendPayment(wallet, hooks, payment, offer.offer);
    await settled();
    checkWords(await wallet.db.getAll('paywordChains'), await wallet.db.getAll('payments'));
  });

  it('are given back when the wallet starts again, and in a backup', async () => {
    const merchant = new FixtureMerchant();
    const name = freshWalletName();
    const wallet = await walletWithChain(name, merchant);
    const offer = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, offer);
    const { prepared } = await chainOf(wallet);
    expect(prepared).toMatchObject({ index: 3 });
    const backup = await exportBackup(wallet, 'a passphrase', 100_000);
    const restored = await openFixtureWallet(freshWalletName(), merchant);
    expect(await importBackup(restored, backup.text, 'a passphrase')).toMatchObject({ chains: 1 });
    expect(await chainOf(restored)).toMatchObject({ reservedIndex: 1 });
    // An import may bring site budgets and blocks: what was made ready before is not taken.
    const click = await paywordInstrument.reserveAtOnce!(wallet, offer, 'wallet');
    expect(click).toMatchObject({ index: 3 });
    expect(click?.id).not.toBe(prepared!.paymentId);

    await preparePayword(wallet, await checkedOffer(2, '/articles/4', ['payword']));
    const again = await openFixtureWallet(name, merchant);
    await paywordInstrument.resume!(again);
    expect(await chainOf(again)).toMatchObject({ reservedIndex: 3 });
    expect((await chainOf(again)).prepared).toBeUndefined();
    const prices = (await again.db.getAll('journal')).map((entry) => entry.price.minor);
    expect(prices.sort()).toEqual([1, 2]);
  });

  it('keeps words that a click stored when the wallet starts again: they are that payment’s', async () => {
    const merchant = new FixtureMerchant();
    const name = freshWalletName();
    const wallet = await walletWithChain(name, merchant);
    const offer = await checkedOffer(2, '/articles/1', ['payword']);
    await preparePayword(wallet, offer);
    // The click stored its payment; the worker stopped before sending it.
    const payment = await paywordInstrument.reserveAtOnce!(wallet, offer, 'wallet');
    expect(payment).toMatchObject({ status: 'sent', index: 3 });

    const again = await openFixtureWallet(name, merchant);
    await paywordInstrument.resume!(again);
    expect(await chainOf(again)).toMatchObject({ reservedIndex: 3 });
    await resumePayments(again);
    await settled();
    const later = await checkedOffer(1, '/articles/9', ['payword']);
    expect(await click(again, later, 'wallet')).toMatchObject({ status: 'paid' });
    await settled();
    checkWords(await again.db.getAll('paywordChains'), await again.db.getAll('payments'));
    expect(merchant.doubleSpends).toEqual([]);
  });

  it('reuse no word and skip none, wherever the worker stops between the hover and the click’s answer', async () => {
    // Prepare's transaction, the click's, the request and its answer, the settling.
    await atEveryStop(5, async (steps) => {
      const merchant = new FixtureMerchant();
      const name = freshWalletName();
      await walletWithChain(name, merchant);
      const dying = await openFixtureWallet(name, merchant, steps);
      const offer = await checkedOffer(2, '/articles/1', ['payword']);
      await untilStopped(async () => {
        // preparePayword never throws: a stop inside it leaves the click the long way.
        await preparePayword(dying, offer);
        await click(dying, offer, 'wallet');
      });
      await settled();
      return async () => {
        const again = await openFixtureWallet(name, merchant);
        await paywordInstrument.resume!(again);
        await resumePayments(again);
        await settled();
        const later = await checkedOffer(1, '/articles/9', ['payword']);
        expect(
          await click(again, later, 'wallet'),
          `stopped at step ${steps.crashAt}`,
        ).toMatchObject({ status: 'paid' });
        await settled();
        const payments = await again.db.getAll('payments');
        checkWords(await again.db.getAll('paywordChains'), payments);
        expect(merchant.doubleSpends, `stopped at step ${steps.crashAt}`).toEqual([]);
        expect(payments.filter((p) => p.status === 'sent' || p.status === 'reserved')).toEqual([]);
        expect(
          payments.filter((p) => p.resource === '/articles/1' && p.status === 'confirmed').length,
        ).toBeLessThanOrEqual(1);
      };
    });
  });
});
