/**
 * "Prove this payment" (issue 20; protocol/src/coin/payment-statement.ts): for an e-cash
 * payment the wallet reveals the payer code to the mint with the payment's coins, checks the
 * mint's signed statement under the mint key it pinned when it trusted the bank, and exports
 * it with the merchant's signed receipt as a file, plus a readable page of the same.
 *
 * Revealing the code links these coins to whoever shows the proof — the point of a proof. It
 * links nothing else: every payment has its own code (pay/pay.ts).
 */
import { formatAmount } from '@farthing/protocol/amount';
import {
  type PaymentStatement,
  paymentStatements,
  verifyPaymentStatement,
} from '@farthing/protocol/coin/payment-statement';
import { nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { trustedBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import { WalletFailure } from '../errors.ts';
import { bankParty, requestJson } from '../http.ts';

export interface PaymentProofFiles {
  readonly fileName: string;
  /** The proof as JSON: the statement, the payer code, the receipt. */
  readonly text: string;
  readonly pageName: string;
  /** The same as a readable HTML page. */
  readonly page: string;
}

export async function provePayment(
  ctx: WalletContext,
  receiptId: string,
): Promise<PaymentProofFiles> {
  const receipt = await ctx.db.get('receipts', receiptId);
  const payment =
    receipt === undefined ? undefined : await ctx.db.get('payments', receipt.paymentId);
  if (receipt === undefined || payment === undefined) {
    throw new WalletFailure('invalid_message', 'The wallet has no payment with this receipt.');
  }
  if (payment.instrument !== 'ecash' || payment.coins.length === 0) {
    throw new WalletFailure(
      'instrument_unsupported',
      'Only e-cash payments carry a payer code to prove them with; PayWord, card and purse payments have their own records.',
    );
  }
  const bank = await trustedBank(ctx, payment.bankUrl);
  const statement: PaymentStatement = await requestJson(
    ctx.platform,
    bankParty,
    {
      method: 'POST',
      url: `${bank.url}/v1/mint/payment-proofs`,
      body: { coins: payment.coins, payerCode: toBase64url(payment.payerCode) },
    },
    paymentStatements.schema,
  );
  try {
    verifyPaymentStatement(statement, bank.mintMasterKey, nobleEd25519Verify);
  } catch (cause) {
    throw new WalletFailure(
      'bank_keys_changed',
      'The bank’s statement is not signed by its mint key.',
      {
        cause,
      },
    );
  }
  if (
    statement.merchantId !== payment.merchantId ||
    toBase64url(statement.offerHash) !== toBase64url(fromBase64url(payment.offerHash))
  ) {
    throw new WalletFailure('bank_error', 'The bank’s statement is about another payment.');
  }
  const day = new Date(receipt.paidAt).toISOString().slice(0, 10);
  const proof = {
    format: 'farthing-payment-proof',
    version: 1,
    bank: { url: bank.url, mintMasterKey: toBase64url(bank.mintMasterKey) },
    statement: paymentStatements.signedToWire(statement),
    payerCode: toBase64url(payment.payerCode),
    receipt: receipt.json,
  };
  const base = `farthing-payment-proof-${day}-${receiptId.slice(0, 12)}`;
  return {
    fileName: `${base}.json`,
    text: `${JSON.stringify(proof, null, 2)}\n`,
    pageName: `${base}.html`,
    page: readablePage(statement, {
      title: receipt.title || receipt.resource,
      merchantName: receipt.merchantName,
      origin: receipt.origin,
      bankUrl: bank.url,
      receiptId,
    }),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readablePage(
  statement: PaymentStatement,
  about: {
    title: string;
    merchantName: string;
    origin: string;
    bankUrl: string;
    receiptId: string;
  },
): string {
  const rows: [string, string][] = [
    ['What', about.title],
    ['Paid to', `${about.merchantName} (${about.origin}), merchant id ${statement.merchantId}`],
    ['Amount', formatAmount(statement.total)],
    ['Deposited at the mint', new Date(statement.depositedAt).toISOString()],
    ['Offer hash', toBase64url(statement.offerHash)],
    ['Coins', statement.coins.map((coin) => toBase64url(coin)).join('\n')],
    [
      'Statement signed by',
      `the mint of ${about.bankUrl}, ${new Date(statement.issuedAt).toISOString()}`,
    ],
    ['Receipt', about.receiptId],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proof of payment</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>Proof of payment</h1>
<p>The mint states, under its signature, that these coins were deposited by this merchant for
this offer. The accompanying .json file holds the signed statement, the payer code whose hash
the coins carried, and the merchant's signed receipt; anyone can check them against the mint's
key.</p>
<table>${rows
    .map(
      ([name, value]) =>
        `<tr><th style="text-align:left; vertical-align:top; padding-right:1rem">${escapeHtml(name)}</th><td style="white-space:pre-wrap; font-family: ui-monospace, monospace">${escapeHtml(value)}</td></tr>`,
    )
    .join('\n')}</table>
</body></html>
`;
}
