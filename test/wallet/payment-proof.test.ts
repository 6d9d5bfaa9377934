/**
 * "Prove this payment" against the real bank and shop: the wallet's proof file carries the
 * mint's statement — the merchant, the offer, the amount — which verifies under the mint key,
 * and a payer code whose hash the statement names; a wrong payer code proves nothing.
 */

import { payOffer } from '@farthing/extension/wallet/pay/pay';
import { provePayment } from '@farthing/extension/wallet/proof/payment-proof';
import type { Wallet } from '@farthing/extension/wallet/wallet';
import { payerCodeHash } from '@farthing/protocol/coin/derivation';
import {
  paymentStatements,
  verifyPaymentStatement,
} from '@farthing/protocol/coin/payment-statement';
import { nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { parseMessage } from '@farthing/protocol/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeShopWorld, demo, openShopWorld, type ShopWorld } from '../shop/world.ts';
import {
  addBankAndLogIn,
  crashingFetch,
  freshDbName,
  offerTokenAt,
  openTestWallet,
  pricedArticles,
  seenClick,
} from './support.ts';

let world: ShopWorld;
let wallet: Wallet;
const article = pricedArticles.at(-1)!;

beforeAll(async () => {
  world = await openShopWorld();
  wallet = await openTestWallet(freshDbName(), crashingFetch().platform);
  await addBankAndLogIn(wallet, world);
  await wallet.withdraw({ url: world.running.url, amount: { currency: 'EUR', minor: 100 } });
  expect(await wallet.resume()).toBe(0);
  const outcome = await payOffer(wallet, wallet.hooks, {
    token: await offerTokenAt(world, article.path),
    href: `${world.shopUrl}${article.path}`,
    pageUrl: `${world.shopUrl}/`,
    seen: seenClick,
  });
  expect(outcome).toMatchObject({ status: 'paid', instrument: 'ecash' });
}, 120_000);

afterAll(async () => {
  wallet?.close();
  await closeShopWorld(world);
});

describe('proof of an e-cash payment with the payer code', () => {
  it('exports the mint’s signed statement of who was paid, for what, and when', async () => {
    const [receipt] = await wallet.db.getAll('receipts');
    const files = await provePayment(wallet, receipt!.receiptId);
    expect(files.fileName).toMatch(/^farthing-payment-proof-\d{4}-\d{2}-\d{2}-.+\.json$/);
    const proof = JSON.parse(files.text);
    const statement = parseMessage(paymentStatements.schema, proof.statement, 'payment statement');
    // Checked against the bank's key as anyone would fetch it, not the wallet's copy.
    const bank = await (await fetch(`${world.running.url}/v1/mint/keys`)).json();
    verifyPaymentStatement(statement, fromBase64url(bank.masterPublicKey), nobleEd25519Verify);
    expect(statement.total).toEqual({ currency: 'EUR', minor: article.price });
    expect(statement.merchantId).toBe(demo.merchant);
    expect(payerCodeHash(fromBase64url(proof.payerCode))).toEqual(statement.payerCodeHash);
    expect(proof.receipt).toEqual(receipt!.json);
    expect(files.page).toContain('Proof of payment');
    expect(files.page).toContain(`EUR 0.${String(article.price).padStart(2, '0')}`);
  });

  it('proves nothing with a wrong payer code', async () => {
    const [receipt] = await wallet.db.getAll('receipts');
    const payment = (await wallet.db.get('payments', receipt!.paymentId))!;
    if (payment.instrument !== 'ecash') throw new Error('expected an e-cash payment');
    await wallet.db.put('payments', { ...payment, payerCode: new Uint8Array(32).fill(7) });
    await expect(provePayment(wallet, receipt!.receiptId)).rejects.toMatchObject({
      code: 'bank_error',
      detail: { cause: 'payment_not_proven', status: 403 },
    });
    await wallet.db.put('payments', payment);
  });
});
