/**
 * Click to content in a real browser: the built wallet extension in Debian's headless Chromium
 * (launched by test/browser/browser.ts, as the browser tests launch it) against the real bank
 * and demo shop on loopback.
 *
 *  - e2e.click_to_content_ms       a trusted click on a priced link of the Gazette's front
 *                                  page, paid with PayWord (the tooltip already shown, as after
 *                                  a hover; the chain already open), until the article is on
 *                                  screen: the median round of 4 (each round's median of 6
 *                                  clicks), with the range of the rounds
 *  - e2e.free_click_to_content_ms  the same for an unpriced link of the same page (a free
 *                                  read), interleaved with the priced ones
 *  - e2e.click_premium_ms          the difference round by round, what paying adds to a click
 *                                  (target < 10): median round and range
 *
 * Each priced click is also cut into its steps (printed, medians over all clicks): from the
 * click to the new document's navigation start (a link paid at once goes at the click, its
 * payment traveling meanwhile: @farthing/protocol/http/paying-navigation); from the click to
 * the wallet's pay request leaving its service worker, the request's round trip (both from the
 * service worker's network log, DevTools protocol) and its parts: the shop's (from the
 * request's last byte sent to its answer's first byte, the log's own timing of the request),
 * the browser's before the request leaves (fetch → the network stack starting it → its first
 * byte sent) and the answer's body; and how many pay requests opened a new connection;
 * from the payment's answer to the page's first byte (the shop holds the navigation until the
 * payment is stored); then the navigation itself, beside the free clicks' own. A priced click
 * that landed on anything but the article (the shop's 402 paywall: the payment missed the
 * navigation) fails the run.
 *
 * Both ends are taken in the page, on the browser's clock: the click event's time (kept in
 * `window.name` across the navigation) and the first animation frame after the new document's
 * DOMContentLoaded. Each priced click is a new payment: the shop here grants a paid article for
 * one second (FARTHING_SHOP_GRANT_LIFETIME_S=1), so the wallet no longer owns it by the next
 * round over the six articles priced within the PayWord range (the cookies are cleared between
 * rounds too). The shop's clock is not moved: access is judged on the wallet's clock, and a
 * shop ahead of it would grant access that outlives the round.
 * Before each click the pointer rests on the link as a reader's does (`readingMs`), long
 * enough for the wallet to pay it without asking, and for the wallet to make its payment ready
 * meanwhile (the tooltip's hover: extension/src/wallet/instruments/payword/prepared.ts), so the
 * click only stores it and sends it; the rest is not timed. A click with no hover before it
 * (a touch) takes the whole reservation on its path, as before.
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
import type { CDPSession, Page } from 'puppeteer-core';
import { differences, median, roundsMetric } from './stats.ts';
import type { Metrics } from './targets.ts';

const rounds = 4;

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

/** One click's times on the browser's clock (epoch ms). */
interface ClickTimes {
  readonly clickAt: number;
  /** The new document's navigation start (its `performance.timeOrigin`). */
  readonly navigationAt: number;
  /** Its first response byte. */
  readonly responseAt: number;
  /** Its HTTP status: 200 for the article, 402 for the shop's paywall (the payment missed it). */
  readonly status: number;
  readonly visibleAt: number;
}

/** The times of a click on `selector` until the first frame of the page at `path`. */
async function clickToContent(page: Page, selector: string, path: string): Promise<ClickTimes> {
  await page.click(selector);
  await page.waitForFunction(
    (expected) =>
      location.pathname === expected &&
      typeof (window as unknown as { visibleAt?: number }).visibleAt === 'number',
    { timeout: 20_000, polling: 20 },
    path,
  );
  return page.evaluate(() => {
    const [navigation] = performance.getEntriesByType(
      'navigation',
    ) as PerformanceNavigationTiming[];
    return {
      clickAt: Number(window.name.replace('farthing-click:', '')),
      navigationAt: performance.timeOrigin,
      responseAt: performance.timeOrigin + (navigation?.responseStart ?? 0),
      status: (navigation as { responseStatus?: number } | undefined)?.responseStatus ?? 0,
      visibleAt: (window as unknown as { visibleAt: number }).visibleAt,
    };
  });
}

/** One pay request as the service worker's network log saw it. */
interface PayRequest {
  /** When it was sent and when its answer had arrived, on the browser's clock (epoch ms). */
  readonly sentAt: number;
  readonly doneAt: number;
  /**
   * From its last byte sent to its answer's first byte (the network log's timing of the
   * request): the shop's work, without the browser's network stack and the loopback on either
   * side.
   */
  readonly shopMs: number | undefined;
  /**
   * The browser's own parts of it: from the service worker's fetch to the network stack
   * starting the request, from there to its first byte sent (a new connection's setup is in
   * it, `connected`), and from the answer's headers to its last byte.
   */
  readonly browser?: {
    readonly toStartMs: number;
    readonly toSendMs: number;
    readonly connected: boolean;
    readonly bodyMs: number;
  };
}

/**
 * The wallet's requests to pay endpoints, as its service worker's network log (DevTools
 * protocol) shows them, so a priced click can be cut into its steps.
 */
class PayRequestLog {
  readonly #sent = new Map<string, { at: number; wallTime: number; timestamp: number }>();
  readonly #shopMs = new Map<string, number>();
  readonly #timing = new Map<
    string,
    { start: number; toSend: number; headersEnd: number; connected: boolean }
  >();
  readonly requests: PayRequest[] = [];
  #session: CDPSession | undefined;

  async follow(session: CDPSession): Promise<void> {
    if (session === this.#session) return;
    this.#session = session;
    session.on('Network.requestWillBeSent', (event) => {
      if (!event.request.url.endsWith('/.well-known/farthing/pay')) return;
      const wallTime = event.wallTime * 1000;
      this.#sent.set(event.requestId, {
        at: wallTime,
        wallTime,
        timestamp: event.timestamp * 1000,
      });
    });
    session.on('Network.responseReceived', (event) => {
      const timing = event.response.timing;
      if (!this.#sent.has(event.requestId) || timing === undefined) return;
      // Both in ms from the request's start; receiveHeadersStart is newer than Chromium 120.
      const firstByte = timing.receiveHeadersStart ?? timing.receiveHeadersEnd;
      this.#shopMs.set(event.requestId, firstByte - timing.sendEnd);
      this.#timing.set(event.requestId, {
        start: timing.requestTime * 1000,
        toSend: timing.sendStart,
        headersEnd: timing.requestTime * 1000 + timing.receiveHeadersEnd,
        connected: timing.connectStart >= 0,
      });
    });
    session.on('Network.loadingFinished', (event) => {
      const sent = this.#sent.get(event.requestId);
      if (sent === undefined) return;
      this.#sent.delete(event.requestId);
      const doneAt = sent.wallTime + (event.timestamp * 1000 - sent.timestamp);
      const shopMs = this.#shopMs.get(event.requestId);
      this.#shopMs.delete(event.requestId);
      const timing = this.#timing.get(event.requestId);
      this.#timing.delete(event.requestId);
      const browser =
        timing === undefined
          ? undefined
          : {
              toStartMs: timing.start - sent.timestamp,
              toSendMs: timing.toSend,
              connected: timing.connected,
              bodyMs: event.timestamp * 1000 - timing.headersEnd,
            };
      this.requests.push({ sentAt: sent.at, doneAt, shopMs, ...(browser ? { browser } : {}) });
    });
    await session.send('Network.enable');
  }

  /** The first pay request sent after `clickAt`. */
  after(clickAt: number): PayRequest | undefined {
    return this.requests.find((request) => request.sentAt >= clickAt);
  }
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
    const payLog = new PayRequestLog();
    const pricedClick = async (path: string) => {
      await front();
      await payLog.follow((await wallet.serviceWorker()).client);
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
    const pricedRounds: ClickTimes[][] = [];
    const freeRounds: ClickTimes[][] = [];
    for (let round = 0; round < rounds; round++) {
      await browser.deleteCookie(...(await browser.cookies()));
      const pricedTimes: ClickTimes[] = [];
      const freeTimes: ClickTimes[] = [];
      for (const [i, path] of priced.entries()) {
        pricedTimes.push(await pricedClick(path));
        freeTimes.push(await freeClick(free[(round * priced.length + i) % free.length]!));
      }
      pricedRounds.push(pricedTimes);
      freeRounds.push(freeTimes);
    }
    const receipts = (await call(walletPage, 'history.list', { limit: 500 })) as unknown[];
    const clicks = pricedRounds.flat();
    if (receipts.length !== clicks.length + 1) {
      throw new Error(`expected ${clicks.length + 1} receipts, got ${receipts.length}`);
    }
    const toContent = (times: ClickTimes) => times.visibleAt - times.clickAt;
    const pricedMs = pricedRounds.map((times) => median(times.map(toContent)));
    const freeMs = freeRounds.map((times) => median(times.map(toContent)));

    // Where a priced click's time goes, median over all clicks (module comment).
    const steps: Record<string, number[]> = {};
    const step = (name: string, ms: number) => {
      steps[name] ??= [];
      steps[name].push(ms);
    };
    let newConnections = 0;
    for (const times of clicks) {
      step('priced: click → navigation starts', times.navigationAt - times.clickAt);
      const request = payLog.after(times.clickAt);
      if (request !== undefined) {
        step(
          'click → pay request sent (content script, background, IndexedDB)',
          request.sentAt - times.clickAt,
        );
        step('pay request → answer in (network, shop)', request.doneAt - request.sentAt);
        if (request.shopMs !== undefined) {
          step('  of which the shop (request sent → answer’s first byte)', request.shopMs);
        }
        if (request.browser !== undefined) {
          const { toStartMs, toSendMs, connected, bodyMs } = request.browser;
          step('  of which fetch → network stack starts it', toStartMs);
          step('  of which network stack → first byte sent', toSendMs);
          step('  of which answer’s headers → last byte', bodyMs);
          if (connected) newConnections++;
        }
        step('pay request answered → page’s first byte', times.responseAt - request.doneAt);
      }
      step('priced: navigation → first byte', times.responseAt - times.navigationAt);
      step('priced: first byte → on screen', times.visibleAt - times.responseAt);
    }
    for (const times of freeRounds.flat()) {
      step('free: click → navigation starts', times.navigationAt - times.clickAt);
      step('free: navigation → first byte', times.responseAt - times.navigationAt);
      step('free: first byte → on screen', times.visibleAt - times.responseAt);
    }
    const missed = clicks.filter((times) => times.status !== 200).map((times) => times.status);
    if (missed.length > 0) {
      throw new Error(
        `priced clicks that landed on no article (HTTP status): ${missed.join(', ')}`,
      );
    }
    for (const [name, values] of Object.entries(steps)) {
      process.stdout.write(
        `  e2e: ${name}: ${median(values).toFixed(1)} ms (${values.length} clicks)\n`,
      );
    }
    process.stdout.write(`  e2e: pay requests on a new connection: ${newConnections}\n`);
    process.stdout.write(
      `  e2e: rounds (priced / free ms): ${pricedMs.map((p, i) => `${p.toFixed(1)} / ${freeMs[i]!.toFixed(1)}`).join(', ')}\n`,
    );
    return {
      'e2e.click_to_content_ms': roundsMetric(pricedMs, 'ms', 3),
      'e2e.free_click_to_content_ms': roundsMetric(freeMs, 'ms', 3),
      // Round by round: each round's median priced click minus its median free click.
      'e2e.click_premium_ms': roundsMetric(differences(pricedMs, freeMs), 'ms', 3),
    };
  } finally {
    await wallet.close();
    await shop.stop();
    await bank.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
