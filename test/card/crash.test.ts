/**
 * The crash test for card money (issue 14, "Done when"; the same method as
 * bank/test/crash.test.ts): the bank runs as its own process, a concurrent stream of card
 * authorizations and captures runs against it, and the process is SIGKILLed at random
 * moments (five to ten times). Every request is made (signed, with its Idempotency-Key) before it is first sent
 * and is sent again, byte for byte, after each restart until it gets a definite answer. In
 * the end every authorization was held once and captured once: the merchant holds exactly
 * the captured total, no hold is left, card credit is minus that total, and
 * `npm run bank -- check` passes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { cardSystemAccounts } from '@farthing/bank/store/card-store';
import { SqliteBankStore } from '@farthing/bank/store/sqlite/sqlite-store';
import {
  type BankProcess,
  bankEnv,
  freePort,
  httpBank,
  openHttpCustomer,
  runBankCheck,
  spawnBank,
  stopBank,
} from '@farthing/bank/test/http-bank.fixture';
import { amount as money } from '@farthing/protocol/amount';
import { equalBytes } from '@farthing/protocol/encoding';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authorizationRequest,
  type CardClient,
  fetchGateway,
  issueCard,
  makePurchase,
  openMerchant,
  registerCardholder,
  signedRequest,
} from './world.ts';

const dir = mkdtempSync(join(tmpdir(), 'farthing-card-crash-'));
let bank: BankProcess | undefined;

afterAll(async () => {
  if (bank !== undefined) await stopBank(bank);
  rmSync(dir, { recursive: true, force: true });
});

interface Operation {
  readonly key: string;
  readonly path: string;
  readonly body: string;
  readonly status: number;
}

describe('card money across crashes', () => {
  it('holds and captures every acknowledged payment exactly once through random kills', async () => {
    const env = bankEnv(dir, await freePort(), { FARTHING_MINT_VALUES: '0.01' });
    bank = await spawnBank(env);
    const api = httpBank(bank.url, new Uint8Array(32));
    const client: CardClient = {
      bank: api,
      bankId: loadConfig(env).bankId,
      gateway: await fetchGateway(api),
    };
    const merchant = await openMerchant(client, 'crash-shop');
    const customer = await openHttpCustomer(api, 'crash-customer', 0, ['account']);
    const cardholder = await registerCardholder(
      client,
      customer,
      await issueCard(client, customer, 1_000_000_00),
    );

    // Every request written down before it is sent.
    const payments = 100;
    const amounts = Array.from({ length: payments }, (_, i) => 1 + ((i * 37) % 100));
    const authorizations: Operation[] = [];
    const captures: Operation[] = [];
    for (const [i, amount] of amounts.entries()) {
      const purchase = await makePurchase(client, cardholder, {
        merchantId: merchant.name,
        amount,
        description: `crash order ${i}`,
      });
      authorizations.push({
        key: randomUUID(),
        path: '/v1/set/authorizations',
        body: JSON.stringify(await authorizationRequest(merchant, purchase)),
        status: 201,
      });
      captures.push({
        key: randomUUID(),
        path: '/v1/set/captures',
        body: JSON.stringify(
          await signedRequest(merchant, 'capture-request', {
            transactionId: purchase.oi.transactionId,
            merchantId: merchant.name,
            amount: money('EUR', amount),
            requestedAt: Date.now(),
          }),
        ),
        status: 200,
      });
    }

    let restarting: Promise<void> = Promise.resolve();
    /** Sends until a definite answer: 2xx is done, a problem is a failure of the test. */
    const send = async (operation: Operation): Promise<void> => {
      for (;;) {
        await restarting;
        let response: Response;
        try {
          response = await fetch(`${bank!.url}${operation.path}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${merchant.apiKey}`,
              'content-type': 'application/json',
              'idempotency-key': operation.key,
            },
            body: operation.body,
          });
          const text = await response.text();
          if (response.status === operation.status) return;
          if (response.status < 500)
            throw new Error(`${operation.path}: ${response.status} ${text}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('/v1/')) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    let kills = 0;
    let done = false;
    const killer = (async () => {
      while (!done && kills < 10) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 350));
        if (done) break;
        let finish!: () => void;
        restarting = new Promise((resolve) => {
          finish = resolve;
        });
        await stopBank(bank!);
        kills++;
        bank = await spawnBank(env);
        // The same keys after every restart: the gateway is the one the wallet checked.
        const again = await fetchGateway(api);
        expect(equalBytes(again.fingerprint, client.gateway.fingerprint)).toBe(true);
        finish();
      }
    })();

    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < payments) {
          const i = next++;
          await send(authorizations[i]!);
          // Paced, so the kills fall among the payments rather than after them.
          await new Promise((resolve) => setTimeout(resolve, 60));
          await send(captures[i]!);
        }
      }),
    );
    done = true;
    await killer;
    expect(kills, 'SIGKILLs during the stream').toBeGreaterThanOrEqual(5);

    await stopBank(bank!, 'SIGTERM');
    const store = new SqliteBankStore({ path: loadConfig(env).databasePath, currency: 'EUR' });
    try {
      const total = amounts.reduce((sum, amount) => sum + amount, 0);
      const balance = async (name: string) => (await store.getAccountByName(name))!.balance;
      expect(await balance(merchant.name)).toBe(total);
      expect(await balance(cardSystemAccounts.holds)).toBe(0);
      expect(await balance(cardSystemAccounts.credit)).toBe(-total);
      expect((await store.checkInvariants()).problems).toEqual([]);
    } finally {
      await store.close();
    }
    const check = await runBankCheck(env);
    expect(check.code, check.output).toBe(0);
  }, 240_000);
});
