/**
 * Issue 6, part 9 — pictures of the wallet as a reader meets it, taken from the real extension
 * in Chromium after a few payments: the popup, the tooltip on a priced link, the confirmation
 * window, the history page's chart, and the card confirmation window with its order lines. They land in test/e2e/artifacts/ (not committed); the
 * README's copies live in docs/screenshots/.
 */
import { statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { hoverPriced } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import {
  accept,
  artifact,
  byTestId,
  call,
  clickPriced,
  contentShown,
  nextConfirmation,
  onboard,
} from './wallet.ts';
import { e2eSuite } from './world.ts';

const e2e = e2eSuite();

function expectPicture(path: string): void {
  expect(statSync(path).size, path).toBeGreaterThan(5_000);
}

it('takes the popup, tooltip, confirmation window and history chart', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 500);
  await call(popup, 'site.update', {
    origin: e2e.world.shopUrl,
    budget: { currency: 'EUR', minor: 300 },
  });

  const page = await w.browser.newPage();
  await page.setViewport({ width: 1100, height: 760 });
  const [first, ...rest] = [...pricedArticles].sort((a, b) => b.price - a.price);

  // The first payment to the site: the tooltip says it asks, then the confirmation window.
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, first!.path);
  const link = await page.$(`a[href="${first!.path}"][data-farthing-offer]`);
  const tip = await page.$('[data-farthing-tooltip]');
  const [a, b] = [(await link!.boundingBox())!, (await tip!.boundingBox())!];
  const left = Math.max(0, Math.min(a.x, b.x) - 16);
  const top = Math.max(0, Math.min(a.y, b.y) - 16);
  const tooltipPng = artifact('tooltip');
  await page.screenshot({
    path: tooltipPng,
    clip: {
      x: left,
      y: top,
      width: Math.max(a.x + a.width, b.x + b.width) + 16 - left,
      height: Math.max(a.y + a.height, b.y + b.height) + 16 - top,
    },
  });
  expectPicture(tooltipPng);

  const confirmation = nextConfirmation(w);
  await clickPriced(page, first!.path);
  const confirmPage = (await (await confirmation).asPage())!;
  await confirmPage.waitForSelector(`${byTestId('confirm-accept')}:not([disabled])`, {
    timeout: 10_000,
  });
  const confirmPng = artifact('confirmation-window');
  await confirmPage.screenshot({ path: confirmPng, fullPage: true });
  expectPicture(confirmPng);
  await accept(await confirmation);
  await contentShown(page, first!);

  // A few more articles, so the popup and the history have something to show.
  for (const article of rest.slice(0, 4)) {
    await page.goto(e2e.world.shopUrl);
    await hoverPriced(page, article.path);
    await clickPriced(page, article.path);
    await contentShown(page, article);
  }

  await popup.setViewport({ width: 380, height: 620 });
  await popup.reload();
  await popup.bringToFront();
  await popup.waitForSelector(`${byTestId('recent-payments')} ${byTestId('receipt-item')}`, {
    timeout: 15_000,
  });
  const popupPng = artifact('popup');
  await popup.screenshot({ path: popupPng, fullPage: true });
  expectPicture(popupPng);

  const history = await w.openWalletPage('history');
  await history.setViewport({ width: 1000, height: 760 });
  const chart = await history.waitForSelector(byTestId('history-chart'), { timeout: 15_000 });
  await history.waitForSelector(byTestId('receipt-item'), { timeout: 15_000 });
  const historyPng = artifact('history-chart');
  await chart!.screenshot({ path: historyPng });
  expectPicture(historyPng);
  const historyPagePng = artifact('history');
  await history.screenshot({ path: historyPagePng, fullPage: true });
  expectPicture(historyPagePng);

  // The card confirmation window with its order lines (issue 16): the demo card registered, a
  // cart of three at the shop's checkout, "Pay with card"; the picture taken, then declined.
  const store = e2e.world.bank()!.ctx.store;
  const [card] = await store.cards.listCards((await store.getAccountByName('demo'))!.id);
  await call(popup, 'card.register', {
    bankUrl: e2e.world.bankUrl,
    cardNumber: card!.pan,
    expiry: card!.expiry,
    name: 'DEMO CUSTOMER',
  });
  await page.setCookie({
    name: 'gazette-cart',
    value: 'print:harbour-dawn*2~download:quay-street-rye-loaf.txt*1~print:wend-valley*1',
    url: e2e.world.shopUrl,
  });
  await page.goto(`${e2e.world.shopUrl}/checkout`);
  await page.bringToFront();
  const cardConfirmation = nextConfirmation(w);
  await page.click('#pay-with-card');
  const cardPage = (await (await cardConfirmation).asPage())!;
  await cardPage.setViewport({ width: 420, height: 720 });
  await cardPage.waitForSelector(byTestId('confirm-order'), { timeout: 10_000 });
  const cardPng = artifact('card-confirmation-window');
  await cardPage.screenshot({ path: cardPng, fullPage: true });
  expectPicture(cardPng);
  await cardPage.close();
}, 120_000);
