/**
 * Paying on the navigation (../../pay/send.ts `carry`): which PayWord credentials may travel in
 * the tab's URL, that the URL carries exactly the stored credential after its strict commit, and
 * that the wallet's own POST behind it still settles the payment, wherever the worker stops.
 */
import { fromBase64url } from '@farthing/protocol/encoding';
import {
  paywordUserCertificateToJson,
  signPaywordUserCertificate,
} from '@farthing/protocol/payword/certificate';
import { brokerSigner, certificateFields, eur } from '@farthing/protocol/payword/payword.fixture';
import { describe, expect, it } from 'vitest';
import { createUserKey } from '../../keys.ts';
import { type NavigationCarrier, sendPayment } from '../../pay/send.ts';
import {
  bankUrl,
  Crash,
  checkedOffer,
  FixtureMerchant,
  type FixtureWallet,
  freshWalletName,
  hooks,
  now,
  openFixtureWallet,
  resumePayments,
  settled,
} from '../instrument.fixture.ts';
import { paywordInstrument } from './payword-payment.ts';

const seenClick = 'wallet' as const;
const payEndpoint = 'https://shop.example/.well-known/farthing/pay';

async function walletWithCertificate(name: string, merchant: FixtureMerchant) {
  const wallet = await openFixtureWallet(name, merchant);
  const keyId = 'payword-user:fixture' as const;
  const userPublicKey = await createUserKey(wallet.db, wallet.sealer, keyId);
  const certificate = await signPaywordUserCertificate(
    certificateFields({ userPublicKey, creditLimit: eur(200) }),
    brokerSigner,
  );
  await wallet.db.put('paywordCertificates', {
    id: 'certificate-1',
    bankUrl,
    json: paywordUserCertificateToJson(certificate),
    keyId,
    creditLimit: { currency: 'EUR', minor: 200 },
    committed: 0,
    expiresAt: certificate.expiresAt,
    createdAt: now,
  });
  return wallet;
}

/**
 * The browser's side of a carried navigation: the merchant gets the credential of the URL's
 * query as the pay endpoint's GET does (the same bytes as the POST's body).
 */
function browserTab(merchant: FixtureMerchant, urls: string[]): NavigationCarrier {
  return async (url) => {
    urls.push(url);
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(payEndpoint);
    const credential = new TextDecoder().decode(
      fromBase64url(parsed.searchParams.get('credential')),
    );
    await merchant.answer(payEndpoint, { method: 'GET', body: credential });
  };
}

/** A wallet whose chain the merchant knows (its first payment, by POST, confirmed). */
async function walletWithKnownChain(merchant: FixtureMerchant): Promise<FixtureWallet> {
  const wallet = await walletWithCertificate(freshWalletName(), merchant);
  const first = await checkedOffer(2, '/articles/0', ['payword']);
  const urls: string[] = [];
  const payment = await paywordInstrument.reserve(wallet, first);
  const outcome = await sendPayment(
    wallet,
    hooks,
    payment,
    first.offer,
    browserTab(merchant, urls),
  );
  // The first word carries the commitment (the user's broker certificate): never in a URL.
  expect(urls).toEqual([]);
  expect(outcome).not.toHaveProperty('navigated');
  await settled();
  return wallet;
}

describe('paying on the navigation', () => {
  it('carries the stored credential of the next word in the tab’s URL, then settles it by POST', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithKnownChain(merchant);
    const checked = await checkedOffer(3, '/articles/1', ['payword']);
    const payment = await paywordInstrument.reserveAtOnce!(wallet, checked, seenClick);
    expect(payment).toMatchObject({ status: 'sent', index: 5, firstUse: false });
    const urls: string[] = [];
    const outcome = await sendPayment(
      wallet,
      hooks,
      payment!,
      checked.offer,
      browserTab(merchant, urls),
    );
    expect(outcome).toMatchObject({
      status: 'paid',
      navigated: true,
      owned: false,
      navigateTo: 'https://shop.example/articles/1',
    });
    expect(urls).toHaveLength(1);
    const carried = new TextDecoder().decode(
      fromBase64url(new URL(urls[0]!).searchParams.get('credential')),
    );
    expect(carried).toBe(payment!.instrument === 'payword' ? payment!.credential : undefined);
    await settled();
    const [chain] = await wallet.db.getAll('paywordChains');
    expect(chain).toMatchObject({ reservedIndex: 5, acceptedIndex: 5, status: 'open' });
    expect(merchant.doubleSpends).toEqual([]);
  });

  it('does not carry a word while an earlier word of the chain awaits the merchant’s answer', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithKnownChain(merchant);
    const waiting = await checkedOffer(1, '/articles/2', ['payword']);
    const unanswered = await paywordInstrument.reserve(wallet, waiting);
    const checked = await checkedOffer(1, '/articles/3', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, checked);
    const urls: string[] = [];
    // Sent in order, the earlier word first, as the vendor queue sends them.
    await sendPayment(wallet, hooks, unanswered, waiting.offer);
    const outcome = await sendPayment(
      wallet,
      hooks,
      payment,
      checked.offer,
      browserTab(merchant, urls),
    );
    expect(urls).toEqual([]);
    expect(outcome).toMatchObject({ status: 'paid' });
    expect(outcome).not.toHaveProperty('navigated');
  });

  it('pays by POST alone, and lets the page navigate, when the tab cannot go', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithKnownChain(merchant);
    const checked = await checkedOffer(1, '/articles/4', ['payword']);
    const payment = await paywordInstrument.reserveAtOnce!(wallet, checked, seenClick);
    const outcome = await sendPayment(wallet, hooks, payment!, checked.offer, async () => {
      throw new Error('No tab with id: 3');
    });
    expect(outcome).toMatchObject({ status: 'paid', owned: false });
    expect(outcome).not.toHaveProperty('navigated');
  });

  it('reuses no word and pays once, wherever the worker stops around the carried navigation', async () => {
    let steps = 0;
    for (let crashAt = 1; crashAt <= steps + 1 || steps === 0; crashAt++) {
      const merchant = new FixtureMerchant();
      const setup = await walletWithKnownChain(merchant);
      const counter = { crashAt: steps === 0 ? 0 : crashAt, steps: 0 };
      const dying = await openFixtureWallet(setup.name, merchant, counter);
      const step = () => {
        counter.steps += 1;
        if (counter.steps === counter.crashAt) throw new Crash(`stopped at ${counter.steps}`);
      };
      const tab = browserTab(merchant, []);
      // The navigation is a step of its own: the worker may stop before the tab goes, or after
      // the merchant took the credential and before the wallet's POST.
      let carried = 0;
      const carry: NavigationCarrier = async (url) => {
        carried += 1;
        step();
        await tab(url);
        step();
      };
      const checked = await checkedOffer(2, '/articles/1', ['payword']);
      try {
        const payment =
          (await paywordInstrument.reserveAtOnce!(dying, checked, seenClick)) ??
          (await paywordInstrument.reserve(dying, checked));
        await sendPayment(dying, hooks, payment, checked.offer, carry);
      } catch (error) {
        if (!(error instanceof Crash))
          expect(error).toMatchObject({ code: 'merchant_unreachable' });
      }
      await settled();
      if (steps === 0) {
        steps = counter.steps;
        expect(steps).toBeGreaterThanOrEqual(5);
        expect(carried).toBe(1);
        crashAt = 0;
        continue;
      }
      const again = await openFixtureWallet(setup.name, merchant);
      await resumePayments(again);
      await settled();
      const later = await checkedOffer(1, '/articles/9', ['payword']);
      await sendPayment(again, hooks, await paywordInstrument.reserve(again, later), later.offer);
      await settled();
      const payments = await again.db.getAll('payments');
      expect(merchant.doubleSpends, `stopped at step ${crashAt}`).toEqual([]);
      expect(
        payments.filter((p) => p.status === 'reserved' || p.status === 'sent').map((p) => p.id),
        `stopped at step ${crashAt}`,
      ).toEqual([]);
      const paid = payments.filter((p) => p.resource === '/articles/1' && p.status === 'confirmed');
      expect(paid.length, `stopped at step ${crashAt}`).toBeLessThanOrEqual(1);
      const [chain] = (await again.db.getAll('paywordChains')).filter((c) => c.status === 'open');
      if (chain !== undefined) expect(chain.acceptedIndex).toBe(chain.reservedIndex);
    }
  });
});
