import { verifyCoin } from '@farthing/protocol/coin/coin';
import { bigintBlindRsaVerify } from '@farthing/protocol/coin/coin.fixture';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CoinRecord } from '../../db/schema.ts';
import {
  bankUrl,
  Crash,
  type FixtureWallet,
  freshWalletName,
  openFixtureWallet,
  type Steps,
} from '../instrument.fixture.ts';
import { refreshCoin, runChange, startChange } from './change.ts';
import { coinOf } from './issuance.ts';
import { FixtureMint, MintKeys, trustAndLogIn } from './mint.fixture.ts';
import { runWithdrawal, startWithdrawal } from './withdraw.ts';

const rsaVerify = bigintBlindRsaVerify();
let keys: MintKeys;

beforeAll(async () => {
  keys = await MintKeys.make([5, 10, 20]);
});

/** A wallet holding one 20-cent coin withdrawn from the mint; the coin. */
async function walletWithCoin(mint: FixtureMint, name = freshWalletName()) {
  const wallet = await openFixtureWallet(name, mint);
  await trustAndLogIn(wallet, mint);
  const task = await startWithdrawal(wallet, {
    url: bankUrl,
    amount: { currency: 'EUR', minor: 20 },
  });
  await runWithdrawal(wallet, task);
  const [coin] = await wallet.db.getAll('coins');
  expect(coin).toMatchObject({ minor: 20, status: 'spendable' });
  return { wallet, coin: coin! };
}

async function resumeChanges(wallet: FixtureWallet): Promise<void> {
  for (const task of await wallet.db.getAll('tasks')) {
    if (task.kind === 'change' && task.status !== 'confirmed' && task.status !== 'failed') {
      await runChange(wallet, task);
    }
  }
}

/** The old coin spent at the mint once, and new coins of its value that verify, spendable. */
async function expectChanged(wallet: FixtureWallet, mint: FixtureMint, old: CoinRecord) {
  const [change] = (await wallet.db.getAll('withdrawals')).filter((w) => w.kind === 'change');
  expect(change?.status).toBe('done');
  expect((await wallet.db.get('tasks', change!.taskId))?.status).toBe('confirmed');
  expect(await wallet.db.get('coins', old.coinPub)).toMatchObject({ status: 'spent' });
  expect(mint.spent.get(old.coinPub)).toBe(change!.id);
  const fresh = (await wallet.db.getAll('coins')).filter((c) => c.source === change!.id);
  expect(fresh).toHaveLength(change!.coins.length);
  expect(fresh.reduce((sum, c) => sum + c.minor, 0)).toBe(old.minor);
  for (const coin of fresh) {
    expect(coin).toMatchObject({ status: 'spendable', reservedBy: null });
    verifyCoin(coinOf(coin), keys.byId.get(coin.denominationId)!.denomination, rsaVerify);
  }
}

describe('changing a coin at the mint', () => {
  it('spends the old coin and stores new coins of its value, once', async () => {
    const mint = new FixtureMint(keys, 1_000);
    const { wallet, coin } = await walletWithCoin(mint);
    const task = await startChange(wallet, coin, [10, 5, 5]);
    expect(await wallet.db.get('coins', coin.coinPub)).toMatchObject({
      status: 'reserved',
      reservedBy: task.ref,
    });
    await runChange(wallet, task);
    await expectChanged(wallet, mint, coin);
    const coins = await wallet.db.getAll('coins');
    await runChange(wallet, task);
    expect(await wallet.db.getAll('coins')).toEqual(coins);
  });

  it('refuses values that do not add up to the coin, leaving it spendable', async () => {
    const { wallet, coin } = await walletWithCoin(new FixtureMint(keys, 1_000));
    for (const values of [
      [10, 5],
      [10, 5, 5, 5],
      [15, 5],
    ]) {
      await expect(startChange(wallet, coin, values)).rejects.toMatchObject({
        code: 'insufficient_funds',
      });
    }
    expect(await wallet.db.get('coins', coin.coinPub)).toEqual(coin);
    expect((await wallet.db.getAll('withdrawals')).filter((w) => w.kind === 'change')).toEqual([]);
  });

  it('will not change a coin a payment holds, but refreshes it for that payment', async () => {
    const mint = new FixtureMint(keys, 1_000);
    const { wallet, coin } = await walletWithCoin(mint);
    const held = { ...coin, status: 'reserved' as const, reservedBy: 'payment-1' };
    await wallet.db.put('coins', held);
    await expect(startChange(wallet, held, [10, 10])).rejects.toMatchObject({
      code: 'payment_in_progress',
    });
    await expect(refreshCoin(wallet, held, 'payment-2')).rejects.toMatchObject({
      code: 'payment_in_progress',
    });
    await runChange(wallet, await refreshCoin(wallet, held, 'payment-1'));
    await expectChanged(wallet, mint, held);
  });

  it('marks the coin spent when someone deposited it first, and ends the change', async () => {
    const mint = new FixtureMint(keys, 1_000);
    const { wallet, coin } = await walletWithCoin(mint);
    mint.spent.set(coin.coinPub, 'a deposit elsewhere');
    const task = await startChange(wallet, coin, [10, 10]);
    await expect(runChange(wallet, task)).rejects.toMatchObject({
      code: 'bank_error',
      detail: { cause: 'coin_already_spent' },
    });
    expect(await wallet.db.get('coins', coin.coinPub)).toMatchObject({ status: 'spent' });
    expect(await wallet.db.get('tasks', task.id)).toMatchObject({ status: 'failed' });
    expect((await wallet.db.get('withdrawals', task.ref))?.status).toBe('failed');
  });

  it('gives the coin back when the mint refuses the change, and keeps it held when the mint is down', async () => {
    const mint = new FixtureMint(keys, 1_000);
    const { wallet, coin } = await walletWithCoin(mint);
    mint.refuseNext = { status: 400, code: 'denomination_expired' };
    const refused = await startChange(wallet, coin, [10, 10]);
    await expect(runChange(wallet, refused)).rejects.toMatchObject({ code: 'bank_error' });
    expect(await wallet.db.get('coins', coin.coinPub)).toMatchObject({
      status: 'spendable',
      reservedBy: null,
    });
    expect((await wallet.db.get('withdrawals', refused.ref))?.status).toBe('failed');

    mint.refuseNext = { status: 503, code: 'unavailable' };
    const waiting = await startChange(wallet, coin, [10, 10]);
    await expect(runChange(wallet, waiting)).rejects.toMatchObject({
      detail: { transient: true },
    });
    expect(await wallet.db.get('coins', coin.coinPub)).toMatchObject({
      status: 'reserved',
      reservedBy: waiting.ref,
    });
    await resumeChanges(wallet);
    const done = await wallet.db.get('withdrawals', waiting.ref);
    expect(done?.status).toBe('done');
    expect(mint.spent.get(coin.coinPub)).toBe(waiting.ref);
  });

  it('refuses new coins whose signatures do not verify, keeping the old coin held for the resend', async () => {
    const mint = new FixtureMint(keys, 1_000);
    const { wallet, coin } = await walletWithCoin(mint);
    const task = await startChange(wallet, coin, [10, 5, 5]);
    mint.tamperNext = 'reverse-signatures';
    await expect(runChange(wallet, task)).rejects.toMatchObject({ code: 'bank_error' });
    expect(await wallet.db.getAll('coins')).toHaveLength(1);
    expect(await wallet.db.get('coins', coin.coinPub)).toMatchObject({ status: 'reserved' });
    await resumeChanges(wallet);
    await expectChanged(wallet, mint, coin);
  });

  it('loses no value and spends the coin once, wherever the worker stops', async () => {
    const counting: Steps = { crashAt: 0, steps: 0 };
    const countingMint = new FixtureMint(keys, 1_000);
    const setup = await walletWithCoin(countingMint);
    const counted = await openFixtureWallet(setup.wallet.name, countingMint, counting);
    await runChange(counted, await startChange(counted, setup.coin, [10, 5, 5]));
    const steps = counting.steps;
    expect(steps).toBeGreaterThanOrEqual(5);

    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const mint = new FixtureMint(keys, 1_000);
      const { wallet, coin } = await walletWithCoin(mint);
      const dying = await openFixtureWallet(wallet.name, mint, { crashAt, steps: 0 });
      try {
        await runChange(dying, await startChange(dying, coin, [10, 5, 5]));
      } catch (error) {
        if (!(error instanceof Crash)) expect(error).toMatchObject({ code: 'bank_unreachable' });
      }
      const again = await openFixtureWallet(wallet.name, mint);
      await resumeChanges(again);
      const changes = (await again.db.getAll('withdrawals')).filter((w) => w.kind === 'change');
      if (changes.length === 0) {
        expect(await again.db.get('coins', coin.coinPub), `stopped at step ${crashAt}`).toEqual(
          coin,
        );
        expect(mint.spent.size).toBe(0);
        continue;
      }
      expect(changes, `stopped at step ${crashAt}`).toHaveLength(1);
      await expectChanged(again, mint, coin);
      const spendable = await again.db.getAllFromIndex('coins', 'status', 'spendable');
      expect(spendable.reduce((sum, c) => sum + c.minor, 0)).toBe(20);
    }
  });
});
