import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  day,
  logIn,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';
import { type CheckedDeposit, DepositVerifier } from './deposit-verifier.ts';
import { flipBase64url, permissionFor, withdrawCoins } from './mint.fixture.ts';

let bank: TestBank;
let alice: TestCustomer;
let shop: TestMerchant;
const verifiers: DepositVerifier[] = [];

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1, 5] });
  alice = await openCustomer(bank, 'alice', 10_000);
  shop = await openMerchant(bank, 'shop');
});

afterAll(async () => {
  await Promise.all(verifiers.map((verifier) => verifier.stop()));
  await bank.close();
});

function verifier(options: { threads?: number; entry?: URL } = {}): DepositVerifier {
  const created = new DepositVerifier({ keyring: bank.ctx.mint, log: bank.ctx.log, ...options });
  verifiers.push(created);
  return created;
}

function body(coins: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ coins }));
}

function check(on: DepositVerifier, coins: readonly unknown[], merchantId = shop.name) {
  return on.check({ body: body(coins), merchantId, now: bank.clock.now });
}

describe('DepositVerifier', () => {
  it('answers each coin as the store records it', async () => {
    const coins = await withdrawCoins(bank, alice, [5, 1]);
    const wire = coins.map((coin) => permissionFor(coin, shop));
    const single = verifier({ threads: 1 });
    const { coins: spent } = await check(single, wire);
    expect(single.ed25519Library).toBe('libsodium');
    expect(spent).toHaveLength(2);
    spent.forEach((coin, index) => {
      const key = bank.ctx.mint.find(coins[index]!.coin.denominationId)!;
      expect(toBase64url(coin.coinPub)).toBe(wire[index]!.coin.coinPublicKey);
      expect(toBase64url(coin.denominationId)).toBe(key.idText);
      expect(coin.value).toBe(key.denomination.value.minor);
      expect(toBase64url(coin.signature)).toBe(wire[index]!.signature);
      expect(JSON.parse(coin.proof)).toEqual(wire[index]);
    });
  });

  it('answers every request of a batch spread over the threads with its own outcome', async () => {
    const on = verifier({ threads: 2 });
    const coins = await withdrawCoins(bank, alice, Array(24).fill(1));
    const wire = coins.map((coin) => permissionFor(coin, shop));
    // Every third request carries a forged coin; all arrive in one turn of the event loop.
    const outcomes = await Promise.allSettled(
      wire.map((permission, index) =>
        check(
          on,
          index % 3 === 0
            ? [permission, { ...permission, signature: flipBase64url(permission.signature) }]
            : [permission],
        ),
      ),
    );
    outcomes.forEach((outcome, index) => {
      if (index % 3 === 0) {
        expect(outcome).toMatchObject({
          status: 'rejected',
          reason: { code: 'invalid_message', details: { field: 'coins', index: 1 } },
        });
      } else {
        expect(outcome.status).toBe('fulfilled');
        const [coin] = (outcome as PromiseFulfilledResult<CheckedDeposit>).value.coins;
        expect(toBase64url(coin!.coinPub)).toBe(wire[index]!.coin.coinPublicKey);
      }
    });
  });

  it('re-raises a refusal as the same coded error, naming the coin', async () => {
    const coins = await withdrawCoins(bank, alice, [1, 1]);
    const wire = coins.map((coin) => permissionFor(coin, shop));
    wire[1] = {
      ...wire[1]!,
      coin: {
        ...wire[1]!.coin,
        denominationSignature: flipBase64url(wire[1]!.coin.denominationSignature, 100),
      },
    };
    await expect(check(verifier({ threads: 1 }), wire)).rejects.toMatchObject({
      name: 'FarthingError',
      code: 'coin_invalid',
      shortMessage: 'the coin is not signed by its denomination key',
      details: { field: 'coin.denominationSignature', index: 1 },
    });
  });

  it('knows the keys the keyring adds after it started', async () => {
    const on = verifier({ threads: 1 });
    await on.start();
    const known = new Set(bank.ctx.mint.list().map((key) => key.idText));
    const saved = bank.clock.now;
    try {
      // Past the end of the first keys' withdrawal window: rotation makes their successors.
      bank.clock.now = saved + 40 * day;
      expect(await bank.ctx.mint.rotate()).toBeGreaterThan(0);
      const later = { token: await logIn(bank, alice.name) };
      const [coin] = await withdrawCoins(bank, later, [1]);
      expect(known.has(toBase64url(coin!.coin.denominationId))).toBe(false);
      expect((await check(on, [permissionFor(coin!, shop)])).coins).toHaveLength(1);
    } finally {
      bank.clock.now = saved;
    }
  });

  it('fails the requests of a thread that dies with internal, and replaces it', async () => {
    const entry = new URL('./deposit-crashing-worker.ts', import.meta.url);
    const on = verifier({ threads: 1, entry });
    await on.start();
    const [one, two] = await withdrawCoins(bank, alice, [1, 1]);
    const batch = [check(on, [permissionFor(one!, shop)]), check(on, [{}], 'crash')];
    for (const request of batch) {
      await expect(request).rejects.toMatchObject({ code: 'internal' });
    }
    expect((await check(on, [permissionFor(two!, shop)])).coins).toHaveLength(1);
  });

  it('fails at start when its threads cannot load, and refuses rather than hangs', async () => {
    const on = verifier({ threads: 1, entry: new URL('./no-such-worker.ts', import.meta.url) });
    await expect(on.start()).rejects.toThrow(/exited with code 1 before it was ready/);
    await expect(check(on, [{}])).rejects.toMatchObject({ code: 'internal' });
    await on.stop();
    await expect(check(on, [{}])).rejects.toMatchObject({ code: 'internal' });
  });

  it('fails what is in flight when stopped', async () => {
    const on = verifier({ threads: 1 });
    const [coin] = await withdrawCoins(bank, alice, [1]);
    const refused = expect(check(on, [permissionFor(coin!, shop)])).rejects.toMatchObject({
      code: 'internal',
    });
    await on.stop();
    await refused;
  });

  it('lets the process exit, stopped or idle', () => {
    const script = fileURLToPath(new URL('./deposit-verifier-exit.fixture.ts', import.meta.url));
    for (const mode of ['stop', 'idle']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect({ mode, status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({
        mode,
        status: 0,
        stdout: 'checked 1 coin\n',
        stderr: expect.any(String),
      });
    }
  });
});
