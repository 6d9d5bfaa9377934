import { parseFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import {
  paywordUserCertificateToJson,
  signPaywordUserCertificate,
} from '@farthing/protocol/payword/certificate';
import { brokerSigner, certificateFields, eur } from '@farthing/protocol/payword/payword.fixture';
import { describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../db/schema.ts';
import {
  bankUrl,
  checkedOffer,
  FixtureMerchant,
  type FixtureWallet,
  freshWalletName,
  hooks,
  now,
  openFixtureWallet,
  resumePayments,
  settled,
} from '../instruments/instrument.fixture.ts';
import { paywordInstrument } from '../instruments/payword/payword-payment.ts';
import { createUserKey } from '../keys.ts';
import { carryPayment, farthingAuthorization, mayCarry, type NavigationCarrier } from './carry.ts';
import { oneAtATime } from './send.ts';

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
 * The browser's side as the merchant sees it: the navigation carries the header to the guard,
 * which takes the credential as the pay endpoint does. `stored` is the payment as on disk when
 * the rule went in.
 */
class FakeNavigation implements NavigationCarrier {
  readonly carried: { url: string; stored: PaymentRecord | undefined }[] = [];
  constructor(
    private readonly wallet: FixtureWallet,
    private readonly merchant: FixtureMerchant,
    private readonly refuse = false,
  ) {}
  async carry(url: string, authorization: string) {
    if (this.refuse) throw new Error('rule refused');
    const payments = await this.wallet.db.getAll('payments');
    this.carried.push({ url, stored: payments.find((p) => p.navigateTo === url) });
    const credential = new TextDecoder().decode(parseFarthingCredentials(authorization).credential);
    const arrived = this.merchant
      .answer('https://shop.example/.well-known/farthing/pay', { method: 'POST', body: credential })
      .then(() => undefined);
    return { arrived };
  }
}

describe('a PayWord click carried by its navigation', () => {
  it('puts the credential on the navigation only once stored sent, and confirms it from the resend', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithCertificate(freshWalletName(), merchant);
    const checked = await checkedOffer(2, '/articles/1', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, checked);
    const navigation = new FakeNavigation(wallet, merchant);
    const carried = await carryPayment(wallet, hooks, payment, checked.offer, navigation);
    expect(carried?.outcome).toMatchObject({
      status: 'paid',
      navigateTo: 'https://shop.example/articles/1',
      owned: false,
    });
    expect(navigation.carried).toHaveLength(1);
    expect(navigation.carried[0]?.stored).toMatchObject({
      status: 'sent',
      credential: payment.credential,
    });
    await carried?.settled;
    await settled();
    const [stored] = await wallet.db.getAll('payments');
    expect(stored).toMatchObject({ status: 'confirmed' });
    expect(await wallet.db.getAll('receipts')).toHaveLength(1);
    const [chain] = await wallet.db.getAll('paywordChains');
    expect(chain).toMatchObject({ reservedIndex: 2, acceptedIndex: 2 });
    expect(merchant.doubleSpends).toEqual([]);
  });

  it('leaves the payment to the POST way when the browser will not add the rule', async () => {
    const merchant = new FixtureMerchant();
    const wallet = await walletWithCertificate(freshWalletName(), merchant);
    const checked = await checkedOffer(2, '/articles/2', ['payword']);
    const payment = await paywordInstrument.reserve(wallet, checked);
    const navigation = new FakeNavigation(wallet, merchant, true);
    expect(await carryPayment(wallet, hooks, payment, checked.offer, navigation)).toBeUndefined();
    expect(merchant.chains.size).toBe(0);
  });

  it('pays once and reuses no word wherever the worker stops after the navigation carried it', async () => {
    let steps = 0;
    for (let crashAt = 1; crashAt <= steps + 1 || steps === 0; crashAt++) {
      const merchant = new FixtureMerchant();
      const name = freshWalletName();
      const setup = await walletWithCertificate(name, merchant);
      const checked = await checkedOffer(2, '/articles/1', ['payword']);
      const payment = await paywordInstrument.reserve(setup, checked);
      const counter = { crashAt: steps === 0 ? 0 : crashAt, steps: 0 };
      const dying = await openFixtureWallet(name, merchant, counter);
      const carried = await carryPayment(
        dying,
        { ...hooks, kick: () => undefined },
        payment,
        checked.offer,
        new FakeNavigation(dying, merchant),
      );
      await carried?.settled;
      await settled();
      if (steps === 0) {
        steps = counter.steps;
        expect(steps).toBeGreaterThanOrEqual(3);
        crashAt = 0;
        continue;
      }
      const again = await openFixtureWallet(name, merchant);
      await resumePayments(again);
      await settled();
      const payments = await again.db.getAll('payments');
      expect(
        payments.map((p) => p.status),
        `stopped at step ${crashAt}`,
      ).toEqual(['confirmed']);
      const [chain] = await again.db.getAll('paywordChains');
      expect(chain).toMatchObject({ reservedIndex: 2, acceptedIndex: 2 });
      expect(merchant.doubleSpends, `stopped at step ${crashAt}`).toEqual([]);
    }
  });

  it('rides only on a navigation to another page of the page’s own origin', async () => {
    const payment = {
      status: 'sent',
      credential: 'x',
      navigateTo: 'https://shop.example/articles/1',
    } as PaymentRecord;
    expect(mayCarry(payment, 'https://shop.example/')).toBe(true);
    expect(mayCarry(payment, 'https://other.example/')).toBe(false);
    expect(mayCarry(payment, 'https://shop.example/articles/1')).toBe(false);
    expect(
      mayCarry({ ...payment, status: 'reserved' } as PaymentRecord, 'https://shop.example/'),
    ).toBe(false);
  });

  it('writes the header the merchant’s guard reads back to the same credential', () => {
    const credential = '{"type":"payword","é":1}';
    const header = farthingAuthorization(credential);
    expect(header).toMatch(/^Farthing credential="[A-Za-z0-9_-]+"$/);
    expect(new TextDecoder().decode(parseFarthingCredentials(header).credential)).toBe(credential);
  });

  it('holds the vendor’s queue until the carried payment has its answer', async () => {
    const order: string[] = [];
    let answer = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const first = oneAtATime(
      'vendor-hold',
      async () => {
        order.push('first click answered');
        return 1;
      },
      () => held.then(() => void order.push('first settled')),
    );
    const second = oneAtATime('vendor-hold', async () => {
      order.push('second click');
      return 2;
    });
    expect(await first).toBe(1);
    await settled();
    expect(order).toEqual(['first click answered']);
    answer();
    expect(await second).toBe(2);
    expect(order).toEqual(['first click answered', 'first settled', 'second click']);
  });
});
