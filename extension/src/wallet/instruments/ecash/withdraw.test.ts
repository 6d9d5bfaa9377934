import { verifyCoin } from '@farthing/protocol/coin/coin';
import { bigintBlindRsaVerify } from '@farthing/protocol/coin/coin.fixture';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../db/schema.ts';
import {
  bankUrl,
  Crash,
  type FixtureWallet,
  freshWalletName,
  openFixtureWallet,
  type Steps,
} from '../instrument.fixture.ts';
import { coinOf } from './issuance.ts';
import { FixtureMint, MintKeys, trustAndLogIn } from './mint.fixture.ts';
import { runWithdrawal, startWithdrawal } from './withdraw.ts';

const rsaVerify = bigintBlindRsaVerify();
const amount = { currency: 'EUR', minor: 35 };
const startingBalance = 1_000;
let keys: MintKeys;

beforeAll(async () => {
  keys = await MintKeys.make([5, 10, 20]);
});

/** A wallet that trusts the mint's bank and is logged in, reopened through `steps`. */
async function walletAt(mint: FixtureMint, steps?: Steps, name = freshWalletName()) {
  await trustAndLogIn(await openFixtureWallet(name, mint), mint);
  return openFixtureWallet(name, mint, steps);
}

/** Runs every open withdrawal task, as the task runner does when the worker starts again. */
async function resumeWithdrawals(wallet: FixtureWallet): Promise<void> {
  for (const task of await wallet.db.getAll('tasks')) {
    if (task.kind === 'withdraw' && task.status !== 'confirmed' && task.status !== 'failed') {
      await runWithdrawal(wallet, task);
    }
  }
}

/** Each stored coin verifies under its denomination, and they add up to the amount. */
async function expectCoinsOfOneWithdrawal(wallet: FixtureWallet, mint: FixtureMint) {
  const [withdrawal] = await wallet.db.getAll('withdrawals');
  const coins = await wallet.db.getAll('coins');
  expect(withdrawal?.status).toBe('done');
  expect(coins).toHaveLength(withdrawal!.coins.length);
  expect(coins.reduce((sum, coin) => sum + coin.minor, 0)).toBe(amount.minor);
  for (const coin of coins) {
    expect(coin).toMatchObject({ status: 'spendable', reservedBy: null, source: withdrawal!.id });
    const { denomination } = keys.byId.get(coin.denominationId)!;
    verifyCoin(coinOf(coin), denomination, rsaVerify);
  }
  expect(new Set(coins.map((c) => c.coinPub)).size).toBe(coins.length);
  expect(mint.balance).toBe(startingBalance - amount.minor);
  expect((await wallet.db.get('tasks', withdrawal!.taskId))?.status).toBe('confirmed');
}

describe('withdrawing coins', () => {
  it('stores coins the bank signed blindly, which verify and add up to the amount', async () => {
    const mint = new FixtureMint(keys, startingBalance);
    const wallet = await walletAt(mint);
    const task = await startWithdrawal(wallet, { url: bankUrl, amount });
    expect(await wallet.db.getAll('coins')).toEqual([]);
    const view = await runWithdrawal(wallet, task);
    expect(view).toMatchObject({ status: 'confirmed' });
    await expectCoinsOfOneWithdrawal(wallet, mint);
  });

  it('stores the coins once and is debited once when the finished task runs again', async () => {
    const mint = new FixtureMint(keys, startingBalance);
    const wallet = await walletAt(mint);
    const task = await startWithdrawal(wallet, { url: bankUrl, amount });
    await runWithdrawal(wallet, task);
    const coins = await wallet.db.getAll('coins');
    await runWithdrawal(wallet, task);
    expect(await wallet.db.getAll('coins')).toEqual(coins);
    expect(mint.issuances.size).toBe(1);
    await expectCoinsOfOneWithdrawal(wallet, mint);
  });

  it('refuses an amount the coins cannot make exactly, writing nothing', async () => {
    const wallet = await walletAt(new FixtureMint(keys, startingBalance));
    await expect(
      startWithdrawal(wallet, { url: bankUrl, amount: { currency: 'EUR', minor: 3 } }),
    ).rejects.toMatchObject({ code: 'invalid_message' });
    expect(await wallet.db.getAll('withdrawals')).toEqual([]);
    expect(await wallet.db.getAll('tasks')).toEqual([]);
  });

  it('refuses signatures that do not verify with bank_error, stores no coin, and takes the bank’s stored answer on the resend', async () => {
    for (const tamper of ['reverse-signatures', 'drop-signature'] as const) {
      const mint = new FixtureMint(keys, startingBalance);
      const wallet = await walletAt(mint);
      const task = await startWithdrawal(wallet, { url: bankUrl, amount });
      mint.tamperNext = tamper;
      await expect(runWithdrawal(wallet, task)).rejects.toMatchObject({ code: 'bank_error' });
      expect(await wallet.db.getAll('coins')).toEqual([]);
      // The account was debited: the withdrawal stays open for the bank's stored answer.
      expect((await wallet.db.getAll('withdrawals'))[0]?.status).toBe('sent');
      await resumeWithdrawals(wallet);
      await expectCoinsOfOneWithdrawal(wallet, mint);
    }
  });

  it('ends a withdrawal the bank refused with its code, and nothing is debited', async () => {
    const mint = new FixtureMint(keys, 20);
    const wallet = await walletAt(mint);
    const task = await startWithdrawal(wallet, { url: bankUrl, amount });
    await expect(runWithdrawal(wallet, task)).rejects.toMatchObject({
      code: 'insufficient_funds',
    });
    expect(mint.balance).toBe(20);
    expect((await wallet.db.getAll('withdrawals'))[0]?.status).toBe('failed');
    expect(await wallet.db.get('tasks', task.id)).toMatchObject({
      status: 'failed',
      error: { code: 'insufficient_funds' },
    });
    expect(await wallet.db.getAll('coins')).toEqual([]);
  });

  it('keeps a withdrawal open when the session lapsed, and finishes it after a new login', async () => {
    const mint = new FixtureMint(keys, startingBalance);
    const name = freshWalletName();
    const wallet = await walletAt(mint, undefined, name);
    const task = await startWithdrawal(wallet, { url: bankUrl, amount });
    await wallet.db.put('sessions', {
      ...(await wallet.db.get('sessions', bankUrl))!,
      token: await wallet.sealer.seal(new TextEncoder().encode('a lapsed token')),
    });
    await expect(runWithdrawal(wallet, task)).rejects.toMatchObject({ code: 'not_logged_in' });
    expect((await wallet.db.get('tasks', task.id))?.status).not.toBe('failed');
    await trustAndLogIn(wallet, mint);
    await resumeWithdrawals(wallet);
    await expectCoinsOfOneWithdrawal(wallet, mint);
  });

  it('loses no coin and is debited once, wherever the worker stops', async () => {
    const counting: Steps = { crashAt: 0, steps: 0 };
    const mint = new FixtureMint(keys, startingBalance);
    const counted = await walletAt(mint, counting);
    await runWithdrawal(counted, await startWithdrawal(counted, { url: bankUrl, amount }));
    const steps = counting.steps;
    expect(steps).toBeGreaterThanOrEqual(6);

    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const mint = new FixtureMint(keys, startingBalance);
      const name = freshWalletName();
      const dying = await walletAt(mint, { crashAt, steps: 0 }, name);
      let task: TaskRecord | undefined;
      try {
        task = await startWithdrawal(dying, { url: bankUrl, amount });
        await runWithdrawal(dying, task);
      } catch (error) {
        // The stop, or the bank unreachable because of it; anything else is a bug.
        if (!(error instanceof Crash)) expect(error).toMatchObject({ code: 'bank_unreachable' });
      }
      const again = await openFixtureWallet(name, mint);
      await resumeWithdrawals(again);
      const withdrawals = await again.db.getAll('withdrawals');
      if (withdrawals.length === 0) {
        // Stopped before the plan was stored: nothing asked of the bank, nothing debited.
        expect(mint.balance, `stopped at step ${crashAt}`).toBe(startingBalance);
        expect(await again.db.getAll('coins')).toEqual([]);
        continue;
      }
      expect(withdrawals, `stopped at step ${crashAt}`).toHaveLength(1);
      await expectCoinsOfOneWithdrawal(again, mint);
      expect(mint.issuances.size).toBe(1);
    }
  });
});
