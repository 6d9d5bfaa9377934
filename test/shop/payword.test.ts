/**
 * Thirty priced clicks paid with PayWord, as a reader going through the Gazette: one broker
 * certificate, one commitment to the shop, then per click only the next word of the chain
 * (as many words as the price in cents). Every click is served its content; the operator then
 * settles from the dashboard, and the bank's books reconcile to the cent: what the customer
 * was debited is what the shop was credited is the sum of the receipts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pricedItems } from './catalog.ts';
import {
  expectPaid,
  type KnownMerchant,
  knowMerchant,
  offerAt,
  openPaywordPurse,
  pay,
} from './wallet.ts';
import { closeShopWorld, openShopWorld, operatorPassword, type ShopWorld } from './world.ts';

let world: ShopWorld;
let merchant: KnownMerchant;

beforeAll(async () => {
  world = await openShopWorld();
  merchant = await knowMerchant(world.shopUrl, world.bank);
}, 60_000);
afterAll(() => closeShopWorld(world));

const operator = `Basic ${Buffer.from(`operator:${operatorPassword}`).toString('base64')}`;

async function dashboard(): Promise<string> {
  const response = await fetch(`${world.shopUrl}/dashboard`, {
    headers: { authorization: operator },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The figure in the row of `table` whose first cell is `row`, column `column` (0 = header). */
function cell(page: string, table: string, row: string, column: number): string {
  const body = page.slice(page.indexOf(`id="${table}"`));
  const line = body.split('</tr>').find((tr) => tr.includes(`>${row}</th>`));
  if (line === undefined) throw new Error(`no row ${row} in ${table}`);
  const cells = [...line.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((match) => match[1]!);
  return cells[column]!;
}

it('serves 30 clicks paid with one chain, settles them, and the books reconcile', async () => {
  const start = await world.books();
  const creditLimit = 500;
  const purse = await openPaywordPurse(world.bank, world.customer, 'demo-shop', {
    creditLimit,
    length: 400,
  });
  const held = await world.books();
  expect(start.customer - held.customer).toBe(creditLimit);
  expect(held.holds - start.holds).toBe(creditLimit);

  // Every article, print and download once, then the first twelve again (a second reader
  // on the same wallet, without the first one's cookies).
  const clicks = Array.from({ length: 30 }, (_, i) => pricedItems[i % pricedItems.length]!);
  let receipts = 0;
  for (const click of clicks) {
    const offer = await offerAt(world.shopUrl, click.path, merchant);
    expect(offer.amount.minor).toBe(click.price);
    const paid = await expectPaid(
      await pay(world.shopUrl, purse.credentialFor(offer, click.price)),
      merchant,
    );
    purse.spent += click.price;
    expect(paid.receipt).toMatchObject({ resource: click.path, instrument: 'payword' });
    receipts += paid.receipt.amount.minor;

    const content = await fetch(`${world.shopUrl}${click.path}`, {
      headers: { cookie: paid.cookie },
    });
    expect(content.status, click.path).toBe(200);
    expect(await content.text()).toContain(click.secret);
  }
  expect(receipts).toBe(purse.spent);
  expect(receipts).toBeGreaterThan(100);

  // Before settlement: nothing has reached the shop's account; all of it is unredeemed.
  const unsettled = await world.books();
  expect(unsettled.merchant).toBe(held.merchant);
  const owed = `EUR ${(receipts / 100).toFixed(2)}`;
  let page = await dashboard();
  expect(cell(page, 'earnings', 'PayWord', 1)).toBe('30');
  expect(cell(page, 'earnings', 'PayWord', 2)).toBe(owed);
  expect(cell(page, 'payword-totals', 'EUR', 4)).toBe(owed);
  expect(page).toContain('No settlement has run yet.');

  // "Settle now" from another site is refused; from the dashboard's own page it runs.
  const forged = await fetch(`${world.shopUrl}/dashboard/settle`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      authorization: operator,
      origin: 'https://attacker.example',
      'content-type': 'application/x-www-form-urlencoded',
    },
  });
  expect(forged.status).toBe(403);
  expect((await world.books()).merchant).toBe(held.merchant);
  const settle = await fetch(`${world.shopUrl}/dashboard/settle`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      authorization: operator,
      origin: world.shopUrl,
      'content-type': 'application/x-www-form-urlencoded',
    },
  });
  expect(settle.status).toBe(303);
  expect(settle.headers.get('location')).toBe(
    '/dashboard?captured=0&settled=1&refused=0&retrying=0',
  );

  // Customer debited = shop credited = Σ receipts; the rest of the limit is still held for
  // the customer (released to them when the certificate expires).
  const settled = await world.books();
  expect(settled.merchant - start.merchant).toBe(receipts);
  expect(start.customer - settled.customer - (settled.holds - start.holds)).toBe(receipts);
  expect(settled.holds - start.holds).toBe(creditLimit - receipts);
  expect(await world.problems()).toEqual([]);

  page = await (
    await fetch(`${world.shopUrl}${settle.headers.get('location')}`, {
      headers: { authorization: operator },
    })
  ).text();
  expect(page).toContain('Settlement ran: 1 batch(es) settled');
  expect(cell(page, 'payword-totals', 'EUR', 2)).toBe(owed);
  expect(cell(page, 'payword-totals', 'EUR', 4)).toBe('EUR 0.00');
  expect(page).toMatch(/<tr data-status="settled">.*<td>EUR [0-9.]+<\/td>/);
  expect(page).toContain(`<td>${owed}</td>`);

  // Settling again finds nothing owed and moves no money.
  const again = await fetch(`${world.shopUrl}/dashboard/settle`, {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: operator, origin: world.shopUrl },
  });
  expect(again.headers.get('location')).toBe(
    '/dashboard?captured=0&settled=0&refused=0&retrying=0',
  );
  expect(await world.books()).toEqual(settled);
}, 60_000);

it('keeps the dashboard behind the operator password', async () => {
  const anonymous = await fetch(`${world.shopUrl}/dashboard`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  const wrong = await fetch(`${world.shopUrl}/dashboard`, {
    headers: { authorization: `Basic ${Buffer.from('operator:guess').toString('base64')}` },
  });
  expect(wrong.status).toBe(401);
  const settle = await fetch(`${world.shopUrl}/dashboard/settle`, {
    method: 'POST',
    headers: { origin: world.shopUrl },
  });
  expect(settle.status).toBe(401);
});
