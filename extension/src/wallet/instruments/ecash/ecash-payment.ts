/**
 * Paying with e-cash coins (DESIGN.md "E-cash", pay), the e-cash side of the instrument
 * interface (../instrument.ts):
 *
 * - reserve: coins whose values sum to the price, promised to a new payment in one transaction
 *   that re-checks the budgets; when no coins add up to it, a larger coin is first exchanged at
 *   the mint for smaller ones (change.ts), then the reservation is tried once more. Relaxed: no
 *   coin leaves the wallet before the core's strict `sent` write, whose sync covers it.
 * - credential: a deposit permission per coin, signed with the coin's key (derived again from
 *   its withdrawal seed) over this offer and the hash of the payment's payer code. Ed25519 is
 *   deterministic, so a resume after a crash builds the same bytes.
 * - settle: the coins `spent`. refuse: nothing in the database (the coins stay promised to the
 *   failed payment); release: each is refreshed at the mint, since the merchant holds
 *   permissions for them; resume: the same for coins of failed payments whose release never
 *   ran (the worker stopped in between).
 */
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import {
  deriveCoinSecretKey,
  payerCodeHash,
  randomPayerCode,
} from '@farthing/protocol/coin/derivation';
import { encodeCredential } from '@farthing/protocol/credential';
import { offerHash } from '@farthing/protocol/offer';
import { recordMissing } from '../../../messages/failure.ts';
import { keySetOf } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import {
  type CoinRecord,
  type EcashPaymentRecord,
  type PaymentRecord,
  rebuildableTx,
} from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import {
  abort,
  basePayment,
  journalEntry,
  openReservation,
  reserveStores,
} from '../../pay/reservation.ts';
import { newTask } from '../../tasks.ts';
import type { Instrument } from '../instrument.ts';
import { refreshCoin, runChange, startChange } from './change.ts';
import { planChange, selectExact } from './denominations.ts';
import { coinOf, signingDenominations } from './issuance.ts';

function notEnoughCoins(): WalletFailure {
  return new WalletFailure(
    'insufficient_funds',
    'Not enough coins: withdraw more from your bank.',
    {
      hint: 'popup#withdraw',
    },
  );
}

async function spendableTotal(ctx: WalletContext, checked: CheckedOffer): Promise<number> {
  const coins = await ctx.db.getAllFromIndex('coins', 'status', 'spendable');
  return coins
    .filter(
      (coin) =>
        coin.bankUrl === checked.bank.url && coin.currency === checked.offer.amount.currency,
    )
    .reduce((sum, coin) => sum + coin.minor, 0);
}

/**
 * Reserves coins worth the price (making change first when none add up to it) for a new
 * payment; or, when the offer is paid or in flight already, writes nothing and gives that
 * payment back.
 */
export async function reserveCoins(
  ctx: WalletContext,
  checked: CheckedOffer,
): Promise<PaymentRecord> {
  const price = checked.offer.amount;
  const payerCode = randomPayerCode();
  for (let attempt = 0; ; attempt++) {
    const now = ctx.platform.now();
    const tx = rebuildableTx(ctx.db, [...reserveStores]);
    const earlier = await openReservation(tx, checked, now);
    if (earlier !== undefined) return earlier;
    const coins = (await tx.objectStore('coins').index('status').getAll('spendable')).filter(
      (coin) => coin.bankUrl === checked.bank.url && coin.currency === price.currency,
    );
    const withIds = coins.map((coin) => ({ ...coin, id: coin.coinPub }));
    const selected = selectExact(withIds, price.minor);
    if (selected === undefined) {
      await abort(tx);
      if (attempt > 0) throw new WalletFailure('payment_in_progress', 'Coins are busy; try again.');
      await makeChange(ctx, checked, withIds, price.minor);
      continue;
    }
    const task = newTask('pay', '', { currency: price.currency, minor: price.minor }, now);
    const payment: EcashPaymentRecord = {
      ...basePayment(checked, task.id, now),
      instrument: 'ecash',
      coins: selected.map((coin) => coin.coinPub),
      payerCode,
    };
    for (const coin of selected) {
      const { id: _id, ...record } = coin;
      await tx
        .objectStore('coins')
        .put({ ...record, status: 'reserved', reservedBy: payment.id, updatedAt: now });
    }
    await tx.objectStore('payments').add(payment);
    await tx.objectStore('journal').add(journalEntry(payment, now));
    await tx.objectStore('tasks').add({ ...task, ref: payment.id });
    await tx.done;
    return payment;
  }
}

async function makeChange(
  ctx: WalletContext,
  checked: CheckedOffer,
  coins: readonly (CoinRecord & { id: string })[],
  price: number,
): Promise<void> {
  const keySet = await keySetOf(ctx, checked.bank);
  const values = [
    ...signingDenominations(keySet, checked.offer.amount.currency, ctx.platform.now()).keys(),
  ];
  const plan = planChange(coins, price, values);
  if (plan === undefined) throw notEnoughCoins();
  const { id: _id, ...coin } = plan.coin;
  const task = await startChange(ctx, coin, plan.values);
  await runChange(ctx, task);
}

export const ecashInstrument: Instrument<EcashPaymentRecord> = {
  name: 'ecash',

  async mayPay(_ctx, checked) {
    return checked.offer.instruments.includes('ecash');
  },

  async shortfall(ctx, checked) {
    return (await spendableTotal(ctx, checked)) < checked.offer.amount.minor
      ? notEnoughCoins()
      : undefined;
  },

  reserve: reserveCoins,

  async credential(ctx, payment, offer) {
    const hash = offerHash(offer);
    const codeHash = payerCodeHash(payment.payerCode);
    const seeds = new Map<string, Uint8Array>();
    const coins = [];
    try {
      for (const coinPub of payment.coins) {
        const record = await ctx.db.get('coins', coinPub);
        if (record === undefined) {
          throw new WalletFailure(
            'internal',
            'A coin of this payment is missing from the wallet.',
            {
              detail: { coinPub },
            },
          );
        }
        let seed = seeds.get(record.source);
        if (seed === undefined) {
          const source = await ctx.db.get('withdrawals', record.source);
          if (source === undefined) {
            throw recordMissing('coin seed', coinPub);
          }
          seed = await ctx.sealer.open(source.seed);
          seeds.set(record.source, seed);
        }
        const coinSecretKey = deriveCoinSecretKey(seed, record.index);
        coins.push(
          createDepositPermission({
            coin: coinOf(record),
            coinSecretKey,
            offerHash: hash,
            merchantId: offer.merchantId,
            amount: amount(record.currency, record.minor),
            payerCodeHash: codeHash,
          }),
        );
        coinSecretKey.fill(0);
      }
    } finally {
      for (const seed of seeds.values()) seed.fill(0);
    }
    return new TextDecoder().decode(encodeCredential({ type: 'ecash', offer, coins }));
  },

  async settle(ctx, tx, payment) {
    const now = ctx.platform.now();
    const coins = await Promise.all(
      payment.coins.map((coinPub) => tx.objectStore('coins').get(coinPub)),
    );
    return () =>
      coins.flatMap((coin) =>
        coin === undefined
          ? []
          : [tx.objectStore('coins').put({ ...coin, status: 'spent', updatedAt: now })],
      );
  },

  async refuse() {
    // The coins stay promised to the failed payment until `release` refreshes them.
  },

  async release(ctx, payment) {
    // The merchant holds deposit permissions for these coins: exchange them at the mint.
    for (const coinPub of payment.coins) {
      const coin = await ctx.db.get('coins', coinPub);
      if (coin !== undefined && coin.status === 'reserved' && coin.reservedBy === payment.id) {
        await refreshCoin(ctx, coin, payment.id).catch(() => undefined);
      }
    }
  },

  async resume(ctx) {
    // Coins still reserved by a payment that failed (its refresh did not start): refresh now.
    for (const coin of await ctx.db.getAllFromIndex('coins', 'status', 'reserved')) {
      if (coin.reservedBy === null) continue;
      const payment = await ctx.db.get('payments', coin.reservedBy);
      if (payment?.status !== 'failed') continue;
      const task = await refreshCoin(ctx, coin, payment.id).catch(() => undefined);
      if (task !== undefined) await runChange(ctx, task).catch(() => undefined);
    }
  },
};
