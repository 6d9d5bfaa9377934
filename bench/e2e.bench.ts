/**
 * Click to content in a real browser: the built wallet extension in Debian's headless Chromium
 * (launched by test/browser/browser.ts, as the browser tests launch it) against the real bank
 * and demo shop on loopback.
 *
 *  - e2e.click_to_content_ms       a trusted click on a priced link of the Gazette's front
 *                                  page, paid with PayWord (the tooltip already shown, as after
 *                                  a hover; the chain already open), until the article is on
 *                                  screen: median over 24 clicks
 *  - e2e.free_click_to_content_ms  the same for an unpriced link of the same page (a free
 *                                  read), interleaved with the priced ones: median over 24
 *  - e2e.click_premium_ms          the difference, what paying adds to a click (target < 30)
 *
 * Both ends are taken in the page, on the browser's clock: the click event's time (kept in
 * `window.name` across the navigation) and the first animation frame after the new document's
 * DOMContentLoaded. Each priced click is a new payment: the shop here grants a paid article for
 * one second (FARTHING_SHOP_GRANT_LIFETIME_S=1), so the wallet no longer owns it by the next
 * round over the six articles priced within the PayWord range (the cookies are cleared between
 * rounds too). The shop's clock is not moved: access is judged on the wallet's clock, and a
 * shop ahead of it would grant access that outlives the round.
 * Before each click the pointer rests on the link as a reader's does (`readingMs`), long
 * enough for the wallet to pay it without asking; the rest is not timed.
 *
 * Run alone: npm run bench -- e2e
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { startBank } from '@farthing/bank/server';
import { bankEnv, freePort } from '@farthing/bank/test/http-bank.fixture';
import { articles, freeReadPath, freeReads } from '@farthing/demo-shop/catalog';
import { loadShopConfig } from '@farthing/demo-shop/config';
import { startShop } from '@farthing/demo-shop/server';
import { parseAmount } from '@farthing/protocol/amount';
import { launchWalletBrowser, readingMs } from '@farthing/test/browser/browser';
import type { Page } from 'puppeteer-core';

type Metrics = Record<string, { value: number; unit: string }>;

const rounds = 4;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Sends one wallet action from an extension page; throws the wallet's error. */
async function call(page: Page, action: string, input: unknown): Promise<unknown> {
  const answer = (await page.evaluate(
    (request) =>
      (
        globalThis as unknown as {
          chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } };
        }
      ).chrome.runtime.sendMessage(request),
    { action, input } as { action: string; input: unknown },
  )) as { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };
  if (!answer.ok) throw new Error(`${action}: ${answer.error.code}: ${answer.error.message}`);
  return answer.value;
}

/** Records, in every document of the tab, the click time and the first frame after parsing. */
const stopwatch = () => {
  addEventListener(
    'click',
    (event) => {
      window.name = `farthing-click:${performance.timeOrigin + event.timeStamp}`;
    },
    true,
  );
  document.addEventListener('DOMContentLoaded', () => {
    requestAnimationFrame(() => {
      (window as unknown as { visibleAt: number }).visibleAt =
        performance.timeOrigin + performance.now();
    });
  });
};

/** Milliseconds from the click on `selector` to the first frame of the page at `path`. */
async function clickToContent(page: Page, selector: string, path: string): Promise<number> {
  await page.click(selector);
  await page.waitForFunction(
    (expected) =>
      location.pathname === expected &&
      typeof (window as unknown as { visibleAt?: number }).visibleAt === 'number',
    { timeout: 20_000, polling: 20 },
    path,
  );
  return page.evaluate(() => {
    const clickAt = Number(window.name.replace('farthing-click:', ''));
    return (window as unknown as { visibleAt: number }).visibleAt - clickAt;
  });
}

export async function run(): Promise<Metrics> {
  // First, so a missing Chromium or extension build fails before any server starts.
  const wallet = await launchWalletBrowser();
  const { browser } = wallet;
  const dir = mkdtempSync(join(tmpdir(), 'farthing-e2e-bench-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_SEED_DEMO: '1',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01,0.02,0.05,0.10,0.20',
  });
  // startBank reads the mint policy from process.env, as the CLI does.
  const previousMint = process.env.FARTHING_MINT_VALUES;
  process.env.FARTHING_MINT_VALUES = env.FARTHING_MINT_VALUES;
  const bank = await startBank(loadConfig(env));
  if (previousMint === undefined) delete process.env.FARTHING_MINT_VALUES;
  else process.env.FARTHING_MINT_VALUES = previousMint;
  const shop = await startShop(
    loadShopConfig({
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_URL: bank.url,
      FARTHING_SHOP_PORT: '0',
      FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
      FARTHING_SHOP_OPERATOR_PASSWORD: 'e2e-bench-operator',
      FARTHING_SHOP_GRANT_LIFETIME_S: '1',
    }),
  );
  try {
    const walletPage = await wallet.openWalletPage('settings');
    const seen = (await call(walletPage, 'bank.inspect', { url: bank.url })) as {
      caFingerprint: string;
      mintKeyFingerprint: string;
    };
    await call(walletPage, 'bank.trust', {
      url: bank.url,
      caFingerprint: seen.caFingerprint,
      mintKeyFingerprint: seen.mintKeyFingerprint,
    });
    await call(walletPage, 'bank.login', {
      url: bank.url,
      username: 'demo',
      password: 'demo-password',
    });
    await call(walletPage, 'settings.update', {
      confirmFirstPayment: false,
      dailyBudget: { currency: 'EUR', minor: 10_000 },
      defaultSiteBudget: { currency: 'EUR', minor: 5_000 },
    });

    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 800 });
    await page.evaluateOnNewDocument(stopwatch);
    const priced = articles
      .filter((article) => parseAmount(article.price!).minor <= 10)
      .map((article) => `/articles/${article.slug}`);
    const free = freeReads.map(freeReadPath);

    const front = async () => {
      await page.goto(shop.url);
      await page.mouse.move(1, 1);
    };
    const pricedClick = async (path: string) => {
      await front();
      const selector = `a[href="${path}"][data-farthing-offer]`;
      // The content script runs at document_idle, which may come after the load event: hover
      // once it has marked the link, or the hover may happen before it listens.
      await page.waitForSelector(`${selector} + [data-farthing-badge]`, { timeout: 15_000 });
      await page.hover(selector);
      await page
        .waitForSelector('[data-farthing-tooltip][data-state="payable"]', { timeout: 15_000 })
        .catch(async (error: unknown) => {
          const state = await page.$eval('[data-farthing-tooltip]', (host) =>
            host.getAttribute('data-state'),
          );
          const refusals = await call(walletPage, 'refusal.list', { limit: 1 });
          throw new Error(`the tooltip on ${path} is ${state}: ${JSON.stringify(refusals)}`, {
            cause: error,
          });
        });
      await new Promise((resolve) => setTimeout(resolve, readingMs));
      return clickToContent(page, selector, path);
    };
    const freeClick = async (path: string) => {
      await front();
      await page.hover(`a[href="${path}"]`);
      await new Promise((resolve) => setTimeout(resolve, readingMs));
      return clickToContent(page, `a[href="${path}"]`, path);
    };

    // The first priced click makes the broker certificate and the chain; not timed.
    await pricedClick(priced.at(-1)!);
    await freeClick(free[0]!);
    const pricedTimes: number[] = [];
    const freeTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await browser.deleteCookie(...(await browser.cookies()));
      for (const [i, path] of priced.entries()) {
        pricedTimes.push(await pricedClick(path));
        freeTimes.push(await freeClick(free[(round * priced.length + i) % free.length]!));
      }
    }
    const receipts = (await call(walletPage, 'history.list', { limit: 500 })) as unknown[];
    if (receipts.length !== pricedTimes.length + 1) {
      throw new Error(`expected ${pricedTimes.length + 1} receipts, got ${receipts.length}`);
    }
    const pricedMs = median(pricedTimes);
    const freeMs = median(freeTimes);
    return {
      'e2e.click_to_content_ms': { value: Number(pricedMs.toFixed(1)), unit: 'ms' },
      'e2e.free_click_to_content_ms': { value: Number(freeMs.toFixed(1)), unit: 'ms' },
      'e2e.click_premium_ms': { value: Number((pricedMs - freeMs).toFixed(1)), unit: 'ms' },
    };
  } finally {
    await wallet.close();
    await shop.stop();
    await bank.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
