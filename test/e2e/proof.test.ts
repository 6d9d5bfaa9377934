/**
 * Issue 20, "Proving the Payment", in the real browser with the real bank and demo shop: after
 * an e-cash payment, the history page's "Prove this payment" saves the proof as a JSON file and
 * a readable page. The saved statement verifies under the mint key the bank publishes, names
 * the merchant, the amount and the payer code's hash; the bank shown the saved payer code
 * states it again, and shown a wrong one proves nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payerCodeHash } from '@farthing/protocol/coin/derivation';
import {
  paymentStatements,
  verifyPaymentStatement,
} from '@farthing/protocol/coin/payment-statement';
import { nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { parseMessage } from '@farthing/protocol/schema';
import { expect, it } from 'vitest';
import { hoverPriced } from '../browser/browser.ts';
import { pricedArticles } from '../shop/catalog.ts';
import { byTestId, call, clickPriced, contentShown, onboard } from './wallet.ts';
import { demo, e2eSuite } from './world.ts';

const e2e = e2eSuite();

/** Waits until `dir` holds a finished file ending in `suffix`; answers its text. */
async function downloaded(dir: string, suffix: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const name = readdirSync(dir).find((file) => file.endsWith(suffix));
    if (name !== undefined) return readFileSync(join(dir, name), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${suffix} file was saved`);
}

it('saves a proof from the history page that verifies at the bank, and a wrong payer code proves nothing', async () => {
  const w = e2e.wallet;
  const popup = await w.openWalletPage('popup');
  await onboard(popup, e2e.world.bankUrl, 500);
  await call(popup, 'settings.update', {
    autoPayThreshold: { currency: 'EUR', minor: 25 },
    confirmFirstPayment: false,
  });
  const article = pricedArticles.find((candidate) => candidate.price === 12)!;
  const page = await w.browser.newPage();
  await page.goto(e2e.world.shopUrl);
  await hoverPriced(page, article.path);
  await clickPriced(page, article.path);
  await contentShown(page, article);

  const dir = mkdtempSync(join(tmpdir(), 'farthing-proof-'));
  try {
    const session = await w.browser.target().createCDPSession();
    await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    const history = await w.openWalletPage('history');
    const prove = await history.waitForSelector(byTestId('prove-payment'), { timeout: 20_000 });
    await prove!.click();
    const proof = JSON.parse(await downloaded(dir, '.json')) as {
      format: string;
      statement: unknown;
      payerCode: string;
      receipt: { receiptId: string };
    };
    const readable = await downloaded(dir, '.html');
    expect(readable).toContain('Proof of payment');
    expect(readable).toContain('EUR 0.12');
    expect(proof.format).toBe('farthing-payment-proof');

    // The statement verifies under the mint key as the bank publishes it.
    const statement = parseMessage(paymentStatements.schema, proof.statement, 'payment statement');
    const keys = (await (await fetch(`${e2e.world.bankUrl}/v1/mint/keys`)).json()) as {
      masterPublicKey: string;
    };
    verifyPaymentStatement(statement, fromBase64url(keys.masterPublicKey), nobleEd25519Verify);
    expect(statement.merchantId).toBe(demo.merchant);
    expect(statement.total).toEqual({ currency: 'EUR', minor: article.price });
    expect(payerCodeHash(fromBase64url(proof.payerCode))).toEqual(statement.payerCodeHash);

    // Anyone holding the file can have the bank state it again; a wrong code proves nothing.
    const ask = (payerCode: string) =>
      fetch(`${e2e.world.bankUrl}/v1/mint/payment-proofs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ coins: statement.coins.map(toBase64url), payerCode }),
      });
    const again = await ask(proof.payerCode);
    expect(again.status).toBe(200);
    expect(parseMessage(paymentStatements.schema, await again.json(), 'statement').merchantId).toBe(
      demo.merchant,
    );
    const wrongCode = new Uint8Array(fromBase64url(proof.payerCode));
    wrongCode[0]! ^= 1;
    const wrong = await ask(toBase64url(wrongCode));
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('payment_not_proven');
    await session.detach();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
