/**
 * Issue 6, part 4 — the per-site budget runs out: with EUR 0.10 a day for the Gazette, an
 * EUR 0.08 article is paid, and the EUR 0.05 one after it is not. The tooltip says why (over
 * the budget, what is left) and where to raise it (the wallet's settings, Sites) before and
 * after the click; the click pays nothing, opens nothing and leaves the reader on the page;
 * the refusal is in the wallet's log. Raising the budget in the settings page, as the hint
 * says, lets the next click through.
 */
import { expect, it } from 'vitest';
import { hoverPriced, shadowText } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  call,
  clickPriced,
  contentShown,
  nextConfirmation,
  onboard,
  walletState,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

const tooltip = '[data-farthing-tooltip]';

it('refuses the click past the site budget, says why and where to raise it', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 100);
  await call(popup, 'site.update', {
    origin: e2e.world.shopUrl,
    budget: { currency: 'EUR', minor: 10 },
  });
  const first = pricedArticles.find((article) => article.price === 8)!;
  const second = pricedArticles.find((article) => article.price === 5)!;

  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, first.path);
  expect(await shadowText(page, tooltip)).toContain('Site budget left after this: EUR 0.02');
  const confirmation = nextConfirmation(w);
  await clickPriced(page, first.path);
  await accept(await confirmation);
  await contentShown(page, first);

  // Hovering the next one already tells the reader: over budget, EUR 0.02 left, and where.
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, second.path, 'refused');
  const warned = await shadowText(page, tooltip);
  expect(warned).toContain('over your budget');
  expect(warned).toContain('EUR 0.02 left');
  expect(warned).toContain("You can change this in the Farthing wallet's settings (Sites).");

  // The click pays nothing, opens no window, and keeps the reader on the front page.
  const windows: string[] = [];
  const onTarget = (target: { url(): string }) => {
    if (target.url().includes('/pages/confirm/')) windows.push(target.url());
  };
  w.browser.on('targetcreated', onTarget);
  const receiptsBefore = (await walletState(popup)).receipts.length;
  await clickPriced(page, second.path);
  await page.waitForFunction(
    (selector) =>
      document.querySelector(selector)?.getAttribute('data-state') === 'refused' &&
      location.pathname === '/',
    { timeout: 10_000, polling: 50 },
    tooltip,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  w.browser.off('targetcreated', onTarget);
  expect(windows).toEqual([]);
  expect(new URL(page.url()).pathname).toBe('/');
  const told = await shadowText(page, tooltip);
  expect(told).toContain('over your budget');
  expect(told).toContain("You can change this in the Farthing wallet's settings (Sites).");
  const state = await walletState(popup);
  expect(state.receipts).toHaveLength(receiptsBefore);
  expect(state.payments.filter((payment) => payment.resource === second.path)).toEqual([]);
  const [refusal] = await call(popup, 'refusal.list', { limit: 10 });
  expect(refusal).toMatchObject({
    origin: e2e.world.shopUrl,
    resource: second.path,
    error: { code: 'over_site_budget', hint: 'settings#sites' },
  });

  // Raised where the hint points: the settings page's row for the site.
  const settings = await w.openWalletPage('settings', '#sites');
  const row = `[data-testid="site-row"][data-origin="${e2e.world.shopUrl}"]`;
  await settings.waitForSelector(row, { timeout: 15_000 });
  await settings.locator(`${row} input[inputmode="decimal"]`).fill('1.00');
  await settings.locator(`${row} button[type="submit"]`).click();
  await settings.waitForFunction(
    async (origin) => {
      const runtime = (
        globalThis as unknown as {
          chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } };
        }
      ).chrome.runtime;
      const answer = (await runtime.sendMessage({ action: 'site.list', input: {} })) as {
        value: { origin: string; budget: { minor: number } | null }[];
      };
      return answer.value.find((site) => site.origin === origin)?.budget?.minor === 100;
    },
    { timeout: 10_000, polling: 100 },
    e2e.world.shopUrl,
  );

  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, second.path);
  await clickPriced(page, second.path);
  await contentShown(page, second);

  // Settled, the shop got exactly the two articles paid.
  const before = await e2e.world.books();
  await e2e.world.settle();
  expect((await e2e.world.books()).merchant - before.merchant).toBe(first.price + second.price);
}, 90_000);
