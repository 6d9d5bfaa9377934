import { describe, expect, it } from 'vitest';
import type { WalletContext } from '../../context.ts';
import type { PaymentRecord, PaywordChainRecord } from '../../db/schema.ts';
import { sendPayment } from '../../pay/send.ts';
import {
  atEveryStop,
  checkedOffer,
  FixtureMerchant,
  freshWalletName,
  hooks,
  openFixtureWallet,
  resumePayments,
  settled,
  untilStopped,
} from '../instrument.fixture.ts';
import { paywordInstrument } from './payword-payment.ts';
import { walletWithCertificate } from './payword-wallet.fixture.ts';

/** A click the wallet made itself (the popup's pay button): nothing to ask about presentation. */
const seenClick = 'wallet' as const;

/** One cent to `path`, reserved and sent the long way, then settled. */
async function payTheLongWay(wallet: WalletContext, path: string): Promise<void> {
  const checked = await checkedOffer(1, path, ['payword']);
  await sendPayment(wallet, hooks, await paywordInstrument.reserve(wallet, checked), checked.offer);
  await settled();
}

/** No word promised twice, each chain past every word it revealed, the credit counted once. */
function checkChains(chains: readonly PaywordChainRecord[], payments: readonly PaymentRecord[]) {
  const words = payments.flatMap((p) =>
    p.instrument === 'payword' ? [`${p.chainId}:${p.index}`] : [],
  );
  expect(new Set(words).size).toBe(words.length);
  for (const chain of chains) {
    const on = payments.flatMap((p) =>
      p.instrument === 'payword' && p.chainId === chain.id ? [p] : [],
    );
    for (const payment of on) expect(payment.index).toBeLessThanOrEqual(chain.reservedIndex);
    const accepted = on
      .filter((p) => p.status === 'confirmed')
      .reduce((sum, p) => sum + p.price.minor, 0);
    expect(chain.acceptedIndex).toBe(accepted);
  }
}

describe('paying with PayWord', () => {
  it('makes a chain on the first payment, reveals the next word per click, and the vendor accepts each once', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithCertificate(freshWalletName(), merchant);
    const first = await checkedOffer(3, '/articles/1', ['payword']);
    expect(await paywordInstrument.mayPay(wallet, first)).toBe(true);
    const payment = await paywordInstrument.reserve(wallet, first);
    expect(payment).toMatchObject({
      instrument: 'payword',
      status: 'sent',
      index: 3,
      firstUse: true,
    });
    expect(await sendPayment(wallet, hooks, payment, first.offer)).toMatchObject({
      status: 'paid',
      instrument: 'payword',
    });
    await settled();
    const second = await checkedOffer(2, '/articles/2', ['payword']);
    // The vendor's chain as this worker last wrote it: one transaction reserves and reveals.
    const fast = await paywordInstrument.reserveAtOnce!(wallet, second, seenClick);
    expect(fast).toMatchObject({ status: 'sent', index: 5, firstUse: false });
    await sendPayment(wallet, hooks, fast!, second.offer);
    await settled();
    const [chain] = await wallet.db.getAll('paywordChains');
    expect(chain).toMatchObject({ reservedIndex: 5, acceptedIndex: 5, status: 'open' });
    expect(await wallet.db.get('paywordCertificates', 'certificate-1')).toMatchObject({
      committed: chain!.length,
    });
    checkChains(await wallet.db.getAll('paywordChains'), await wallet.db.getAll('payments'));
    expect(merchant.doubleSpends).toEqual([]);
  });

  it('builds the same credential from the stored payment as the reservation stored', async () => {
    const wallet = await walletWithCertificate(freshWalletName(), new FixtureMerchant());
    const checked = await checkedOffer(1, '/articles/3', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, checked);
    if (payment.instrument !== 'payword') throw new Error('expected PayWord');
    expect(await paywordInstrument.credential(wallet, payment, checked.offer)).toBe(
      payment.credential,
    );
  });

  it('closes the chain of a refused payment, so the next click starts a new one', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithCertificate(freshWalletName(), merchant);
    const checked = await checkedOffer(2, '/articles/4', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, checked);
    merchant.refuseNext = true;
    await expect(sendPayment(wallet, hooks, payment, checked.offer)).rejects.toBeDefined();
    const [closed] = await wallet.db.getAll('paywordChains');
    expect(closed?.status).toBe('closed');
    const next = await checkedOffer(2, '/articles/5', ['payword']);
    const again = await paywordInstrument.reserve(wallet, next);
    expect(again).toMatchObject({ index: 2, firstUse: true });
    expect(again.instrument === 'payword' && again.chainId).not.toBe(closed!.id);
  });

  it('refuses a price the chain cannot make, and a merchant that does not take PayWord', async () => {
    const wallet = await walletWithCertificate(freshWalletName(), new FixtureMerchant());
    expect(
      await paywordInstrument.mayPay(wallet, await checkedOffer(11, '/big', ['payword'])),
    ).toBe(false);
    expect(await paywordInstrument.mayPay(wallet, await checkedOffer(2, '/cash', ['ecash']))).toBe(
      false,
    );
  });

  for (const path of ['first click (a chain is made)', 'next click (one transaction)'] as const) {
    it(`reuses no word and pays once, wherever the worker stops in the ${path}`, async () => {
      await atEveryStop(4, async (steps) => {
        const merchant = new FixtureMerchant();
        const name = freshWalletName();
        const setup = await walletWithCertificate(name, merchant);
        if (path === 'next click (one transaction)') {
          await payTheLongWay(setup, '/articles/0');
        }
        const dying = await openFixtureWallet(name, merchant, steps);
        const checked = await checkedOffer(2, '/articles/1', ['payword']);
        await untilStopped(async () => {
          const payment =
            path === 'first click (a chain is made)'
              ? await paywordInstrument.reserve(dying, checked)
              : ((await paywordInstrument.reserveAtOnce!(dying, checked, seenClick)) ??
                (await paywordInstrument.reserve(dying, checked)));
          await sendPayment(dying, hooks, payment, checked.offer);
        });
        await settled();
        return async () => {
          const again = await openFixtureWallet(name, merchant);
          await resumePayments(again);
          await settled();
          // A later click pays with a word no earlier payment revealed.
          await payTheLongWay(again, '/articles/9');
          const payments = await again.db.getAll('payments');
          checkChains(await again.db.getAll('paywordChains'), payments);
          expect(merchant.doubleSpends, `stopped at step ${steps.crashAt}`).toEqual([]);
          expect(
            payments.filter((p) => p.status === 'reserved' || p.status === 'sent').map((p) => p.id),
            `stopped at step ${steps.crashAt}`,
          ).toEqual([]);
          const paid = payments.filter(
            (p) => p.resource === '/articles/1' && p.status === 'confirmed',
          );
          expect(paid.length).toBeLessThanOrEqual(1);
        };
      });
    });
  }
});
