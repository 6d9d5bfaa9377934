import {
  bigintBlindRsaVerify,
  eur,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
} from '@farthing/protocol/coin/coin.fixture';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import { toBase64url } from '@farthing/protocol/encoding';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CoinRecord, PaymentRecord } from '../../db/schema.ts';
import { openSealer } from '../../keys.ts';
import { sendPayment } from '../../pay/send.ts';
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
  type Steps,
  settled,
} from '../instrument.fixture.ts';
import { ecashInstrument } from './ecash-payment.ts';

const key = generateDenominationKey();
const denomination = makeDenomination(key, { value: eur(5) });
const rsaVerify = bigintBlindRsaVerify();
const coinCount = 4;

/** A wallet holding four 5-cent coins of one withdrawal, and nothing else. */
async function walletWithCoins(name: string, merchant: FixtureMerchant): Promise<FixtureWallet> {
  const wallet = await openFixtureWallet(name, merchant);
  const seed = randomWithdrawalSeed();
  const sealer = await openSealer(wallet.db);
  await wallet.db.put('withdrawals', {
    id: 'withdrawal-1',
    kind: 'withdraw',
    bankUrl,
    currency: 'EUR',
    seed: await sealer.seal(seed),
    coins: [],
    total: 5 * coinCount,
    status: 'done',
    taskId: 'task-withdrawal-1',
    createdAt: now,
  });
  for (let index = 0; index < coinCount; index++) {
    const { coin } = issueCoin(key, denomination, seed, index);
    await wallet.db.put('coins', {
      coinPub: toBase64url(coin.coinPublicKey),
      bankUrl,
      currency: 'EUR',
      minor: 5,
      denominationId: toBase64url(coin.denominationId),
      source: 'withdrawal-1',
      index,
      messagePrefix: coin.messagePrefix,
      signature: coin.denominationSignature,
      status: 'spendable',
      reservedBy: null,
      updatedAt: now,
    });
  }
  return wallet;
}

/** Every coin is spendable, or promised to (or spent by) one payment that lists it. */
function checkCoins(coins: readonly CoinRecord[], payments: readonly PaymentRecord[]) {
  expect(coins).toHaveLength(coinCount);
  for (const coin of coins) {
    if (coin.status === 'spendable') {
      expect(coin.reservedBy).toBeNull();
      expect(payments.some((p) => p.instrument === 'ecash' && p.coins.includes(coin.coinPub))).toBe(
        false,
      );
      continue;
    }
    const holder = payments.find((p) => p.id === coin.reservedBy);
    expect(holder?.instrument === 'ecash' && holder.coins.includes(coin.coinPub)).toBe(true);
  }
}

describe('paying with e-cash', () => {
  let steps: number;

  beforeAll(async () => {
    // How many steps a payment takes, to crash at each of them below.
    const merchant = new FixtureMerchant(denomination, rsaVerify);
    const counting: Steps = { crashAt: 0, steps: 0 };
    const name = freshWalletName();
    await walletWithCoins(name, merchant);
    const wallet = await openFixtureWallet(name, merchant, counting);
    const checked = await checkedOffer(10, '/articles/1', ['ecash']);
    const payment = await ecashInstrument.reserve(wallet, checked);
    await sendPayment(wallet, hooks, payment, checked.offer);
    // The confirmation commits after the click is answered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    steps = counting.steps;
  });

  it('reserves coins worth the price exactly, and spends them once the merchant took them', async () => {
    const merchant = new FixtureMerchant(denomination, rsaVerify);
    const wallet = await walletWithCoins(freshWalletName(), merchant);
    const checked = await checkedOffer(10, '/articles/1', ['ecash']);
    const payment = await ecashInstrument.reserve(wallet, checked);
    expect(payment).toMatchObject({ instrument: 'ecash', status: 'reserved' });
    if (payment.instrument !== 'ecash') throw new Error('expected e-cash');
    expect(payment.coins).toHaveLength(2);
    const outcome = await sendPayment(wallet, hooks, payment, checked.offer);
    expect(outcome).toMatchObject({ status: 'paid', instrument: 'ecash', owned: false });
    await expect
      .poll(() => wallet.db.get('payments', payment.id))
      .toMatchObject({
        status: 'confirmed',
      });
    const coins = await wallet.db.getAll('coins');
    expect(
      coins
        .filter((c) => c.status === 'spent')
        .map((c) => c.coinPub)
        .sort(),
    ).toEqual([...merchant.deposited.keys()].sort());
    checkCoins(coins, await wallet.db.getAll('payments'));
  });

  it('builds the same credential twice from what the reservation stored', async () => {
    const wallet = await walletWithCoins(
      freshWalletName(),
      new FixtureMerchant(denomination, rsaVerify),
    );
    const checked = await checkedOffer(5, '/articles/2', ['ecash']);
    const payment = await ecashInstrument.reserve(wallet, checked);
    if (payment.instrument !== 'ecash') throw new Error('expected e-cash');
    const first = await ecashInstrument.credential(wallet, payment, checked.offer);
    expect(await ecashInstrument.credential(wallet, payment, checked.offer)).toBe(first);
  });

  it('gives back the payment in flight instead of reserving more coins for the same offer', async () => {
    const wallet = await walletWithCoins(
      freshWalletName(),
      new FixtureMerchant(denomination, rsaVerify),
    );
    const checked = await checkedOffer(5, '/articles/3', ['ecash']);
    const first = await ecashInstrument.reserve(wallet, checked);
    expect(await ecashInstrument.reserve(wallet, checked)).toEqual(first);
    expect(await wallet.db.getAllFromIndex('coins', 'status', 'spendable')).toHaveLength(3);
  });

  it('says there are not enough coins, and keeps them, when none add up and no mint is near', async () => {
    const wallet = await walletWithCoins(
      freshWalletName(),
      new FixtureMerchant(denomination, rsaVerify),
    );
    const checked = await checkedOffer(25, '/articles/4', ['ecash']);
    expect(await ecashInstrument.shortfall!(wallet, checked)).toMatchObject({
      code: 'insufficient_funds',
    });
    await expect(ecashInstrument.reserve(wallet, checked)).rejects.toBeDefined();
    expect(await wallet.db.getAllFromIndex('coins', 'status', 'spendable')).toHaveLength(4);
    expect(await wallet.db.getAll('payments')).toEqual([]);
  });

  it('keeps the coins promised to a payment the merchant refused, never spendable again as they were', async () => {
    const merchant = new FixtureMerchant(denomination, rsaVerify);
    const wallet = await walletWithCoins(freshWalletName(), merchant);
    const checked = await checkedOffer(10, '/articles/5', ['ecash']);
    const payment = await ecashInstrument.reserve(wallet, checked);
    merchant.refuseNext = true;
    await expect(sendPayment(wallet, hooks, payment, checked.offer)).rejects.toMatchObject({
      code: expect.any(String),
    });
    expect(await wallet.db.get('payments', payment.id)).toMatchObject({ status: 'failed' });
    const coins = await wallet.db.getAll('coins');
    // The mint is out of reach here, so the refresh waits: the coins stay with the payment.
    expect(coins.filter((c) => c.reservedBy === payment.id)).toHaveLength(2);
    checkCoins(coins, await wallet.db.getAll('payments'));
    const [entry] = await wallet.db.getAllFromIndex('journal', 'paymentId', payment.id);
    expect(entry?.status).toBe('failed');
  });

  it('loses no coin and pays once, wherever the worker stops in the reservation and the send', async () => {
    expect(steps).toBeGreaterThanOrEqual(5);
    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const merchant = new FixtureMerchant(denomination, rsaVerify);
      const name = freshWalletName();
      await walletWithCoins(name, merchant);
      const dying = await openFixtureWallet(name, merchant, { crashAt, steps: 0 });
      const checked = await checkedOffer(10, '/articles/1', ['ecash']);
      try {
        const payment = await ecashInstrument.reserve(dying, checked);
        await sendPayment(dying, hooks, payment, checked.offer);
      } catch (error) {
        // The stop, or the merchant unreachable because of it; anything else is a bug.
        if (!(error instanceof Crash))
          expect(error).toMatchObject({ code: 'merchant_unreachable' });
      }
      await settled();

      const again = await openFixtureWallet(name, merchant);
      await resumePayments(again);
      await settled();
      const payments = await again.db.getAll('payments');
      const coins = await again.db.getAll('coins');
      checkCoins(coins, payments);
      expect(merchant.doubleSpends, `stopped at step ${crashAt}`).toEqual([]);
      // Every coin the merchant took is spent in the wallet, or still promised to the payment
      // that carries it (its confirmation is then what resume finishes).
      for (const coinPub of merchant.deposited.keys()) {
        expect(coins.find((c) => c.coinPub === coinPub)?.status).not.toBe('spendable');
      }
      const confirmed = payments.filter((p) => p.status === 'confirmed');
      expect(confirmed.length, `stopped at step ${crashAt}`).toBeLessThanOrEqual(1);
      expect(
        payments.filter((p) => p.status === 'reserved' || p.status === 'sent').map((p) => p.status),
        `stopped at step ${crashAt}`,
      ).toEqual([]);
      if (merchant.deposited.size > 0) expect(confirmed).toHaveLength(1);
    }
  });
});
