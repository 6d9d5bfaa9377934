/**
 * Crash test (issue 3, "Done when"): the bank runs as its own process, as `npm run bank` does;
 * a concurrent stream of withdrawals, deposits and card payments (issue 14: SET authorizations
 * and captures through the payment gateway, crash-card.fixture.ts) runs against it and the
 * process is SIGKILLed at a random moment, at least 20 times. Every operation is written down before it
 * is sent (as the wallet does), marked acknowledged when a 2xx answer arrived in full, and
 * otherwise retried after the restart under the same Idempotency-Key, issuance id and deposit
 * id until it gets a definite answer. At the end the bank must hold exactly what the client
 * was told: every acknowledged withdrawal (same signatures, each debited once), every
 * acknowledged deposit (merchants credited exactly, coins spent), every acknowledged card
 * authorization (its hold posted exactly once) and capture (the merchant credited exactly once,
 * the hold moved), no coin spent twice, no money made or lost, and `npm run bank -- check`
 * passes (it covers card holds and captured card money).
 *
 * What this catches: an answer sent before its transaction committed (an acknowledged write
 * the kill takes back: its withdrawal is then missing, or a balance is off), a transaction
 * that is not atomic (a deposit found half done after a kill: `probeInFlight`), retries that
 * are not idempotent across a restart (a second debit or credit), a database the bank cannot
 * reopen after a kill (hot WAL recovery), and double spends.
 * What it cannot catch: a missing fsync. SIGKILL ends the process but not the kernel, which
 * still writes the page cache to disk, so the test passes with `synchronous=OFF` too; losing
 * unsynced writes takes a power cut (a VM snapshot, or a filesystem like LazyFS that drops
 * unsynced data), which this machine cannot simulate.
 *
 * Long because the client's stream, its journal of what it was told and the final reckoning are
 * one test and read best together.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomWithdrawalSeed } from '@farthing/protocol/coin/derivation';
import type { SignedMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { DepositView } from '../src/mint/deposit.ts';
import type { IssuanceView } from '../src/mint/issuance.ts';
import {
  fetchKeySet,
  finalizeCoins,
  issuanceIdOf,
  type PlannedCoin,
  permissionFor,
  planCoins,
  type WalletCoin,
  withdrawable,
  withdrawalBody,
} from '../src/mint/mint.fixture.ts';
import { cardSystemAccounts } from '../src/store/card-store.ts';
import { SqliteBankStore } from '../src/store/sqlite/sqlite-store.ts';
import { systemAccounts } from '../src/store/store.ts';
import {
  type Authorization,
  type CardOperation,
  cardAnswer,
  cardPath,
  committed,
  expectCardBooks,
  newAuthorization,
  newCapture,
  openCardParties,
  readCardBooks,
} from './crash-card.fixture.ts';
import {
  type BankProcess,
  bankEnv,
  coinStatus,
  customerBalance,
  freePort,
  type HttpBank,
  type HttpCustomer,
  type HttpMerchant,
  openHttpCustomer,
  runBankCheck,
  spawnBank,
  stopBank,
  trustOnFirstUse,
} from './http-bank.fixture.ts';

const kills = 24;
/** Requests in flight at once. */
const concurrency = 4;
const funds = 1_000_000;
const coinValues = [1, 2, 5, 10, 20, 50, 100];

type Operation =
  | {
      readonly kind: 'withdrawal';
      readonly key: string;
      readonly customer: HttpCustomer;
      readonly planned: readonly PlannedCoin[];
      readonly body: ReturnType<typeof withdrawalBody>;
      readonly total: number;
      acknowledged?: IssuanceView;
    }
  | {
      readonly kind: 'deposit';
      readonly key: string;
      readonly merchant: HttpMerchant;
      readonly body: { depositId: string; coins: unknown[] };
      readonly coins: readonly WalletCoin[];
      readonly total: number;
      acknowledged?: DepositView;
    }
  | {
      /** Another spend of a coin whose deposit was acknowledged: must be refused. */
      readonly kind: 'double-spend';
      readonly key: string;
      readonly merchant: HttpMerchant;
      readonly body: { coins: unknown[] };
      refused?: boolean;
    }
  | CardOperation;

const dir = mkdtempSync(join(tmpdir(), 'farthing-crash-'));
/** The bank process while it runs (none between a kill and the restart). */
let running: BankProcess | undefined;

afterAll(async () => {
  // A failed assertion must not leave a bank behind on the port.
  if (running !== undefined) await stopBank(running);
  rmSync(dir, { recursive: true, force: true });
});

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isCard = (o: Operation): o is CardOperation =>
  o.kind === 'authorization' || o.kind === 'capture';

describe('the bank killed with SIGKILL mid-stream', () => {
  it(`keeps every acknowledged withdrawal, deposit, card authorization and capture across ${kills} kills and balances its books`, async () => {
    const started = Date.now();
    const env = bankEnv(dir, await freePort());
    running = await spawnBank(env);
    const bank: HttpBank = await trustOnFirstUse(running.url);
    const keySet: SignedMintKeySet = await fetchKeySet(bank);
    const customers: HttpCustomer[] = [];
    for (const name of ['ann', 'ben', 'cat']) {
      customers.push(await openHttpCustomer(bank, name, funds));
    }
    const databasePath = loadConfig(env).databasePath;
    // The same merchants take coins and cards; every customer has a registered card.
    const parties = await openCardParties(bank, loadConfig(env).bankId, customers, [
      'books-shop',
      'news-site',
      'game-store',
    ]);
    const merchants: readonly HttpMerchant[] = parties.merchants;

    const all: Operation[] = [];
    /** Sent and not definitely answered: the retry list a wallet keeps across crashes. */
    const pending = new Set<Operation>();
    /** Coins of acknowledged withdrawals that no deposit has taken yet. */
    const wallet: WalletCoin[] = [];
    const depositedCoins: WalletCoin[] = [];
    /** Acknowledged authorizations no capture has taken yet. */
    const authorized: Authorization[] = [];
    const unexpected: string[] = [];
    /** Acknowledged since the last kill: checked first thing after the restart. */
    const acknowledgedBeforeKill: Operation[] = [];
    const stats = {
      inFlightAtKill: 0,
      cardsAtKill: 0,
      committedUnacknowledged: 0,
      lostRequests: 0,
    };

    async function newOperation(): Promise<Operation> {
      const key = randomUUID();
      const roll = Math.random();
      if (depositedCoins.length > 0 && roll < 0.1) {
        const merchant = pick(merchants);
        const body = { coins: [permissionFor(pick(depositedCoins), merchant)] };
        return { kind: 'double-spend', key, merchant, body };
      }
      if (authorized.length > 0 && roll < 0.22) return newCapture(authorized.shift()!);
      if (roll < 0.34) {
        return newAuthorization(parties, pick(parties.cardholders), pick(parties.merchants));
      }
      if (wallet.length > 0 && roll < 0.67) {
        const coins = wallet.splice(0, 1 + Math.floor(Math.random() * 3));
        const merchant = pick(merchants);
        const coinsWire = coins.map((coin) => permissionFor(coin, merchant));
        const total = coins.reduce((sum, coin) => sum + coin.denomination.value.minor, 0);
        // Unique per operation: workers make operations concurrently, so a count could repeat.
        const body = { depositId: `deposit-${key}`, coins: coinsWire };
        return { kind: 'deposit', key, merchant, body, coins, total };
      }
      const values = Array.from({ length: 1 + Math.floor(Math.random() * 4) }, () =>
        pick(coinValues),
      );
      const seed = randomWithdrawalSeed();
      const planned = planCoins(
        seed,
        values.map((value) => withdrawable(bank, keySet, value)),
      );
      const body = withdrawalBody(issuanceIdOf(seed), planned);
      const total = values.reduce((sum, value) => sum + value, 0);
      return { kind: 'withdrawal', key, customer: pick(customers), planned, body, total };
    }

    /** One attempt; the operation leaves `pending` only with a definite answer. */
    async function attempt(operation: Operation): Promise<void> {
      pending.add(operation);
      let response: Response;
      let text: string;
      try {
        const token =
          operation.kind === 'withdrawal' ? operation.customer.token : operation.merchant.apiKey;
        const path =
          operation.kind === 'withdrawal'
            ? '/v1/mint/withdrawals'
            : isCard(operation)
              ? cardPath(operation)
              : '/v1/mint/deposits';
        response = await bank.request('POST', path, {
          token,
          body: operation.body,
          idempotencyKey: operation.key,
        });
        // Acknowledged means the whole answer arrived, not only its status line.
        text = await response.text();
      } catch {
        stats.lostRequests++;
        return;
      }
      if (response.status >= 500) {
        unexpected.push(`${operation.kind} ${operation.key}: HTTP ${response.status} ${text}`);
        return;
      }
      pending.delete(operation);
      const answer = JSON.parse(text) as Record<string, unknown>;
      if (operation.kind === 'double-spend') {
        if (response.status !== 409 || answer.code !== 'coin_already_spent') {
          unexpected.push(`double spend answered ${response.status} ${text}`);
        }
        operation.refused = true;
      } else if (!response.ok) {
        unexpected.push(`${operation.kind} refused: ${response.status} ${text}`);
      } else if (isCard(operation)) {
        // Throws unless the gateway signed an answer saying what was asked.
        operation.acknowledged = cardAnswer(parties, operation, answer);
        if (operation.kind === 'authorization') authorized.push(operation);
        acknowledgedBeforeKill.push(operation);
      } else if (operation.kind === 'withdrawal') {
        const view = answer as unknown as IssuanceView;
        // Throws unless every blind signature finalizes to a valid coin signature.
        wallet.push(...finalizeCoins(operation.planned, view));
        operation.acknowledged = view;
        acknowledgedBeforeKill.push(operation);
      } else {
        operation.acknowledged = answer as unknown as DepositView;
        depositedCoins.push(...operation.coins);
        acknowledgedBeforeKill.push(operation);
      }
    }

    /**
     * The assertion that catches a lost acknowledged write: the bank still has every
     * withdrawal it answered (the same signatures) and every coin of every deposit it answered
     * is spent.
     */
    async function expectKept(operations: readonly Operation[], when: string): Promise<void> {
      const books = readCardBooks(databasePath);
      for (const operation of operations) {
        if (isCard(operation) && operation.acknowledged !== undefined) {
          expect(committed(books, operation), `${operation.kind} acknowledged ${when}`).toBe(true);
        }
        if (operation.kind === 'withdrawal' && operation.acknowledged !== undefined) {
          const path = `/v1/mint/withdrawals/${operation.body.issuanceId}`;
          const again = await bank.request('GET', path, { token: operation.customer.token });
          expect(await again.json(), `withdrawal acknowledged ${when}`).toEqual(
            operation.acknowledged,
          );
        } else if (operation.kind === 'deposit' && operation.acknowledged !== undefined) {
          for (const coin of operation.coins) {
            const status = await coinStatus(bank, coin.coin.coinPublicKey);
            expect(status, `deposit ${operation.body.depositId} acknowledged ${when}`).toBe(
              'spent',
            );
          }
        }
      }
    }

    /**
     * After a restart: what did the bank keep of the operations the kill cut off? A deposit
     * must be all or nothing; one that was committed but never answered shows the test hit
     * the window between commit and answer.
     */
    async function probeInFlight(): Promise<void> {
      const books = readCardBooks(databasePath);
      for (const operation of pending) {
        if (isCard(operation)) {
          if (committed(books, operation)) stats.committedUnacknowledged++;
        } else if (operation.kind === 'withdrawal') {
          const path = `/v1/mint/withdrawals/${operation.body.issuanceId}`;
          const response = await bank.request('GET', path, { token: operation.customer.token });
          await response.body?.cancel();
          if (response.status === 200) stats.committedUnacknowledged++;
        } else if (operation.kind === 'deposit') {
          const statuses = new Set<string>();
          for (const coin of operation.coins) {
            statuses.add(await coinStatus(bank, coin.coin.coinPublicKey));
          }
          expect(statuses.size, `deposit ${operation.body.depositId} half done`).toBe(1);
          if (statuses.has('spent')) stats.committedUnacknowledged++;
        }
      }
    }

    for (let kill = 1; kill <= kills; kill++) {
      running ??= await spawnBank(env);
      await expectKept(acknowledgedBeforeKill.splice(0), `before kill ${kill - 1}`);
      await probeInFlight();
      const retries = [...pending];
      let killed = false;
      const inFlight = new Set<Operation>();
      const worker = async () => {
        while (!killed) {
          const operation = retries.shift() ?? (await newOperation());
          if (!pending.has(operation)) all.push(operation);
          inFlight.add(operation);
          await attempt(operation);
          inFlight.delete(operation);
        }
      };
      const stream = Promise.all(Array.from({ length: concurrency }, worker));
      await sleep(50 + Math.random() * 550);
      stats.inFlightAtKill += inFlight.size;
      stats.cardsAtKill += [...inFlight].filter(isCard).length;
      killed = true;
      const exit = await stopBank(running, 'SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      running = undefined;
      await stream;
    }

    // The last restart: every operation still pending gets its definite answer.
    running = await spawnBank(env);
    await expectKept(acknowledgedBeforeKill.splice(0), `before kill ${kills}`);
    await probeInFlight();
    for (let round = 0; round < 5 && pending.size > 0; round++) {
      for (const operation of [...pending]) await attempt(operation);
    }
    expect(unexpected).toEqual([]);
    expect(pending.size).toBe(0);

    const withdrawals = all.filter((o) => o.kind === 'withdrawal');
    const deposits = all.filter((o) => o.kind === 'deposit');
    const doubleSpends = all.filter((o) => o.kind === 'double-spend');
    const cardOperations = all.filter(isCard);
    const captures = cardOperations.filter((o) => o.kind === 'capture');
    // Everything was answered in the end: no withdrawal or deposit was refused.
    expect(withdrawals.every((o) => o.acknowledged !== undefined)).toBe(true);
    for (const deposit of deposits) {
      expect(deposit.acknowledged, deposit.body.depositId).toMatchObject({
        depositId: deposit.body.depositId,
        coins: deposit.coins.length,
      });
    }
    expect(doubleSpends.every((o) => o.refused)).toBe(true);
    await expectKept(all, 'at any time');
    for (const coin of wallet) {
      expect(await coinStatus(bank, coin.coin.coinPublicKey)).toBe('unspent');
    }
    // Each customer was debited exactly once per withdrawal.
    const withdrawn = new Map<string, number>();
    for (const w of withdrawals) {
      withdrawn.set(w.customer.name, (withdrawn.get(w.customer.name) ?? 0) + w.total);
    }
    for (const customer of customers) {
      const expected = funds - (withdrawn.get(customer.name) ?? 0);
      expect(await customerBalance(bank, customer), customer.name).toBe(expected);
    }

    const exit = await stopBank(running, 'SIGTERM');
    expect(exit.code, running.output()).toBe(0);
    const check = await runBankCheck(env);
    expect(check.code, check.output).toBe(0);

    // The client's own books against the bank's: merchants credited exactly what was
    // acknowledged (deposits and card captures), outstanding coins exactly what was withdrawn
    // and not deposited, card holds exactly the authorizations not captured.
    const card = expectCardBooks(readCardBooks(databasePath), cardOperations);
    const store = new SqliteBankStore({ path: loadConfig(env).databasePath, currency: 'EUR' });
    try {
      const balance = async (name: string) => (await store.getAccountByName(name))!.balance;
      let credited = 0;
      for (const merchant of merchants) {
        const expected = deposits
          .filter((d) => d.merchant === merchant)
          .reduce((sum, d) => sum + d.total, 0);
        const paid = captures
          .filter((c) => c.merchant === merchant)
          .reduce((sum, c) => sum + c.total, 0);
        expect(await balance(merchant.name), merchant.name).toBe(expected + paid);
        credited += expected;
      }
      expect(await balance(cardSystemAccounts.holds)).toBe(card.held);
      // Card money is the bank's lending, not the customers' balances nor the operator's issue.
      expect(await balance(cardSystemAccounts.credit)).toBe(-(card.held + card.captured));
      const totalWithdrawn = withdrawals.reduce((sum, w) => sum + w.total, 0);
      const outstanding = wallet.reduce((sum, coin) => sum + coin.denomination.value.minor, 0);
      expect(credited + outstanding).toBe(totalWithdrawn);
      expect(await balance(systemAccounts.coins)).toBe(outstanding);
      expect(await balance(systemAccounts.paywordHolds)).toBe(0);
      // No money made or lost: what customers hold, merchants were credited and coins are
      // out adds up to exactly what the operator issued.
      let held = 0;
      for (const customer of customers) held += await balance(customer.name);
      expect(held).toBe(funds * customers.length - totalWithdrawn);
      expect(held + credited + outstanding).toBe(funds * customers.length);
      expect(-(await balance(systemAccounts.issued))).toBe(funds * customers.length);
    } finally {
      await store.close();
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `crash test: ${kills} kills in ${seconds} s; ${withdrawals.length} withdrawals, ` +
        `${deposits.length} deposits (${depositedCoins.length} coins), ` +
        `${doubleSpends.length} double spends refused, ` +
        `${cardOperations.length - captures.length} card authorizations, ` +
        `${captures.length} captures; ${stats.inFlightAtKill} requests in flight ` +
        `at the kills (${stats.cardsAtKill} card), ${stats.committedUnacknowledged} committed but unanswered, ` +
        `${stats.lostRequests} lost requests retried`,
    );
    // The kills must have landed mid-stream, or the test proved nothing.
    expect(stats.inFlightAtKill).toBeGreaterThanOrEqual(kills);
    expect(stats.cardsAtKill, 'card requests cut by a kill').toBeGreaterThan(0);
  }, 240_000);
});
