/**
 * The wallet core against the real bank and the real demo shop on loopback (test/shop/world.ts):
 * wallets opened on fake-indexeddb (real IndexedDB semantics) under a database name a test
 * can reopen — reopening is what a restarted service worker does — with a fetch that can be
 * made to fail at a chosen request, before it leaves or after the server acted.
 */
import type { Presentation } from '@farthing/extension/messages/contract';
import 'fake-indexeddb/auto';
import { articlePath, articles } from '@farthing/demo-shop/catalog';
import { inspectBank, logIn, trustBank } from '@farthing/extension/wallet/bank/banks';
import type { WalletPlatform } from '@farthing/extension/wallet/platform';
import { openWallet, type Wallet } from '@farthing/extension/wallet/wallet';
import { parseAmount } from '@farthing/protocol/amount';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerFromBytes, offerToken } from '@farthing/protocol/offer-token';
import { demo, type ShopWorld } from '../shop/world.ts';

export interface CrashingFetch {
  readonly platform: WalletPlatform;
  /** Requests made so far. */
  count: number;
  /** Fail request number `at` (1-based): `before` it is sent, or `after` the server answered. */
  crashAt: { readonly at: number; readonly when: 'before' | 'after' } | undefined;
  /** Requests seen, `METHOD path`. */
  readonly log: string[];
  /** Set by the crash: a killed worker sends nothing more. */
  dead: boolean;
}

export class Crash extends Error {
  override readonly name = 'Crash';
}

export function crashingFetch(): CrashingFetch {
  const state: CrashingFetch = {
    count: 0,
    crashAt: undefined,
    log: [],
    dead: false,
    platform: {
      now: () => Date.now(),
      async fetch(url, init) {
        if (state.dead) throw new Crash('the worker is gone');
        state.count++;
        const at = state.count;
        state.log.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
        const crash = state.crashAt;
        if (crash !== undefined && crash.at === at && crash.when === 'before') {
          state.dead = true;
          throw new Crash(`crash before request ${at}`);
        }
        const response = await fetch(url, init);
        if (crash !== undefined && crash.at === at && crash.when === 'after') {
          state.dead = true;
          await response.body?.cancel();
          throw new Crash(`crash after request ${at}`);
        }
        return response;
      },
    },
  };
  return state;
}

let dbCounter = 0;
export function freshDbName(): string {
  dbCounter++;
  return `wallet-test-${process.pid}-${dbCounter}-${Math.random().toString(36).slice(2)}`;
}

export async function openTestWallet(
  dbName: string,
  platform: WalletPlatform,
  confirm: (request: unknown) => Promise<boolean> = async () => true,
): Promise<Wallet> {
  return openWallet({ dbName, platform, confirm });
}

/** Adds the world's bank (pinning what inspect showed) and logs the demo customer in. */
export async function addBankAndLogIn(wallet: Wallet, world: ShopWorld): Promise<void> {
  const seen = await inspectBank(wallet, world.running.url);
  await trustBank(wallet, {
    url: seen.url,
    caFingerprint: seen.caFingerprint,
    mintKeyFingerprint: seen.mintKeyFingerprint,
  });
  await logIn(wallet, { url: seen.url, username: demo.name, password: demo.password });
}

/** The offer token a priced path's 402 carries (what the page's link would carry). */
export async function offerTokenAt(world: ShopWorld, path: string): Promise<string> {
  const response = await fetch(`${world.shopUrl}${path}`, {
    headers: { accept: 'application/json' },
  });
  await response.body?.cancel();
  const challenge = findFarthingChallenge(response.headers.get('www-authenticate') ?? '');
  if (challenge === undefined) throw new Error(`no challenge at ${path}`);
  return offerToken(offerFromBytes(challenge.offer));
}

/** Priced articles with their prices in minor units, cheapest first. */
export const pricedArticles = articles
  .map((article) => ({ path: articlePath(article), price: parseAmount(article.price!).minor }))
  .sort((a, b) => a.price - b.price);

/** Value of the wallet's coins by status, in minor units. */
export async function coinTotals(wallet: Wallet): Promise<Record<string, number>> {
  const totals: Record<string, number> = { spendable: 0, reserved: 0, spent: 0 };
  for (const coin of await wallet.db.getAll('coins')) {
    totals[coin.status] = (totals[coin.status] ?? 0) + coin.minor;
  }
  return totals;
}

/**
 * A click the content script measured as seen: the link on screen and hit, its price shown in
 * the tooltip for longer than the default settings ask (extension/src/wallet/pay/presentation.ts).
 */
export const seenClick: Presentation = {
  input: 'pointer',
  hit: true,
  visibleMs: 5_000,
  shownMs: 1_000,
  focusMs: 0,
};
