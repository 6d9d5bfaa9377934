/**
 * The wallet core's real code paths (extension/src/wallet) against the real bank and demo
 * shop on loopback, in this process, on fake-indexeddb (Node has no IndexedDB):
 *
 *  - wallet.withdraw_100_coins_ms  `withdraw.start` of EUR 1.00 from a bank whose only coin
 *                                  is EUR 0.01 (so 100 coins), until the task is confirmed:
 *                                  plan, seal the seed, blind 100 coins, the bank signs them,
 *                                  unblind, verify, store (median of 5)
 *  - wallet.pay_decision_ms        an `offer.pay` message through the background router, from
 *                                  arrival to the PayWord credential stored and ready to send
 *                                  (offer and certificate checks, limits, the reservation's
 *                                  strict transaction, the word): median over 15 offers, after
 *                                  one click that made the certificate and the chain
 *
 * Run alone: npx tsx bench/run.ts wallet
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { startBank } from '@farthing/bank/server';
import { bankEnv, freePort } from '@farthing/bank/test/http-bank.fixture';
import { priceTable } from '@farthing/demo-shop/catalog';
import { loadShopConfig } from '@farthing/demo-shop/config';
import { startShop } from '@farthing/demo-shop/server';
import { ConfirmationDesk } from '@farthing/extension/background/confirmations';
import { routeMessage } from '@farthing/extension/background/router';
import { inspectBank, logIn, trustBank } from '@farthing/extension/wallet/bank/banks';
import { globalPlatform } from '@farthing/extension/wallet/platform';
import { updateSettings } from '@farthing/extension/wallet/settings';
import { openWallet } from '@farthing/extension/wallet/wallet';
import { parseAmount } from '@farthing/protocol/amount';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerFromBytes, offerToken } from '@farthing/protocol/offer-token';
import { roundsMetric } from './stats.ts';

type Metrics = Record<string, { value: number; unit: string }>;

export async function run(): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-wallet-bench-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_SEED_DEMO: '1',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01',
  });
  // startBank reads the mint policy from process.env, as the CLI does.
  process.env.FARTHING_MINT_VALUES = env.FARTHING_MINT_VALUES;
  const bank = await startBank(loadConfig(env));
  const shop = await startShop(
    loadShopConfig({
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_URL: bank.url,
      FARTHING_SHOP_PORT: '0',
      FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
      FARTHING_SHOP_OPERATOR_PASSWORD: 'wallet-bench-operator',
    }),
  );
  let readyAt = 0;
  const confirmations = new ConfirmationDesk(
    { open: async () => undefined, show: async () => undefined, close: async () => undefined },
    () => Date.now(),
  );
  const wallet = await openWallet({
    dbName: `wallet-bench-${process.pid}`,
    platform: globalPlatform,
    confirm: async () => true,
    onCredentialReady: () => {
      readyAt = performance.now();
    },
  });
  try {
    const seen = await inspectBank(wallet, bank.url);
    await trustBank(wallet, seen);
    await logIn(wallet, { url: bank.url, username: 'demo', password: 'demo-password' });

    const withdrawals: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      await wallet.withdraw({ url: bank.url, amount: { currency: 'EUR', minor: 100 } });
      if ((await wallet.resume()) !== 0) throw new Error('the withdrawal did not finish');
      withdrawals.push(performance.now() - started);
    }
    const coins = await wallet.db.countFromIndex('coins', 'status', 'spendable');
    if (coins !== 500) throw new Error(`expected 500 coins, have ${coins}`);

    await updateSettings(wallet, {
      defaultSiteBudget: { currency: 'EUR', minor: 10_000 },
      dailyBudget: { currency: 'EUR', minor: 10_000 },
      confirmFirstPayment: false,
    });
    const identity = { id: 'bench', baseUrl: 'chrome-extension://bench/' };
    const noTabs = {
      activeTab: async () => undefined,
      tab: async () => undefined,
      askPaywall: async () => null,
      navigate: async () => undefined,
    };
    const sender = { id: 'bench', url: `${shop.url}/`, frameId: 0, tab: { id: 1 } };
    const minorOf = (price: string | { readonly minor: number }) =>
      typeof price === 'string' ? parseAmount(price).minor : price.minor;
    const cheap = priceTable.filter((entry) => minorOf(entry.price) <= 10);
    const offers: { path: string; token: string }[] = [];
    for (const entry of cheap) {
      const response = await fetch(`${shop.url}${entry.path}`, {
        headers: { accept: 'application/json' },
      });
      await response.body?.cancel();
      const challenge = findFarthingChallenge(response.headers.get('www-authenticate') ?? '');
      if (challenge === undefined) throw new Error(`no offer at ${entry.path}`);
      offers.push({ path: entry.path, token: offerToken(offerFromBytes(challenge.offer)) });
    }
    const decisions: number[] = [];
    for (const [index, offer] of offers.entries()) {
      const started = performance.now();
      const answer = await routeMessage(
        { wallet, identity, confirmations, tabs: noTabs },
        {
          action: 'offer.pay',
          input: {
            offer: offer.token,
            href: `${shop.url}${offer.path}`,
            trigger: 'link',
            // What the content script sends for a link seen and hovered as a user does.
            presentation: {
              input: 'pointer',
              hit: true,
              visibleMs: 5_000,
              shownMs: 1_000,
              focusMs: 0,
            },
          },
        },
        sender,
      );
      if (!answer.ok || (answer.value as { status: string }).status !== 'paid') {
        throw new Error(`offer.pay failed: ${JSON.stringify(answer)}`);
      }
      // The first click fetched the descriptor and made the certificate and the chain.
      if (index > 0) decisions.push(readyAt - started);
    }
    return {
      // Each withdrawal and each click is a round (stats.ts: median and range).
      'wallet.withdraw_100_coins_ms': roundsMetric(withdrawals, 'ms', 3),
      'wallet.pay_decision_ms': roundsMetric(decisions, 'ms', 3),
    };
  } finally {
    wallet.close();
    await shop.stop();
    await bank.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
