/**
 * A card purchase from the wallet's side (SET Book 1 §3.4, "purchase request"), for a shop's
 * card offer (merchant-sdk card/checkout.ts).
 *
 *   inspect   checks the offer as the trusted window will show it: the merchant certificate
 *             chains to a bank the user trusts and names the page's origin; the signed
 *             initiation verifies under that certificate's key; the order's lines, VAT,
 *             shipping and total are the ones the initiation commits to by digest (so what the
 *             window shows comes from what the merchant signed, not from the page); the
 *             gateway certificates chain to the same bank.
 *   pay       on the user's Confirm: builds OI (the merchant's order digest, this gateway,
 *             a fresh nonce) and PI (the card, the same order id, amount, merchant, gateway),
 *             seals PI with HPKE to the gateway, signs the dual signature over H(PI) ‖ H(OI)
 *             and the request with the cardholder key; writes the request (strict durability)
 *             before sending it, then records the merchant's signed answer.
 *   resume    a request written but not answered (the worker stopped) is sent again byte for
 *             byte; the merchant answers a resent request with its first answer and the
 *             gateway authorizes once.
 *   inquire   a signed purchase inquiry: the purchase's state now (captured, reversed, …).
 *
 * A little past 400 lines: the four steps share the purchase record and its checks, and SET
 * reads as one exchange; split, each half would import the other's checks.
 */
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import { verifyGatewayCertificates } from '@farthing/protocol/set/certificates';
import {
  parseSetMessage,
  type SetMessage,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import {
  assertOrderCommitted,
  type CardOrder,
  cardOrderToWire,
  orderSubtotal,
  parseCardOrder,
} from '@farthing/protocol/set/order';
import {
  type OrderInformation,
  orderInformationDigest,
  type PaymentInformation,
  paymentInformationDigest,
  sealPaymentEnvelope,
  signDualSignature,
} from '@farthing/protocol/set/purchase';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import * as v from 'valibot';
import type { WalletContext } from '../../context.ts';
import {
  type BankRecord,
  type CardPaymentRecord,
  type CardPaymentStatus,
  type CardRecord,
  moneyTx,
  writeDurably,
} from '../../db/schema.ts';
import { errorJson, WalletFailure } from '../../errors.ts';
import { checkAnswer, isTransient, merchantParty, requestJson } from '../../http.ts';
import { assertMerchantCertificateNotRevoked } from '../../pay/merchant-revocations.ts';
import { cardSigner } from './card-key.ts';
import { openCardAccount } from './cards.ts';

/** What a checkout page's `data-farthing-card-checkout` attribute holds. */
export const cardOfferSchema = v.strictObject({
  version: v.literal(1),
  order: v.unknown(),
  initiation: v.unknown(),
  purchase: v.pipe(v.string(), v.maxLength(2048)),
  paid: v.pipe(v.string(), v.maxLength(2048)),
});

export interface CheckedCardOffer {
  readonly origin: string;
  readonly bank: BankRecord;
  readonly merchantId: string;
  /** The name the merchant's certificate gives it. */
  readonly merchantName: string;
  readonly merchantKey: Uint8Array;
  readonly initiation: SetMessage<'purchase-initiation-response'>;
  readonly order: CardOrder;
  readonly gateway: {
    readonly fingerprint: Uint8Array;
    readonly keyExchangePublicKey: Uint8Array;
    readonly caCertificate: Uint8Array;
  };
  readonly purchaseUrl: string;
  readonly paidUrl: string;
}

function offerInvalid(message: string, cause?: unknown): WalletFailure {
  return new WalletFailure('offer_invalid', message, cause === undefined ? {} : { cause });
}

function sameOriginUrl(url: string, origin: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw offerInvalid(`The card offer's ${what} address is not a URL.`, cause);
  }
  if (parsed.origin !== origin) {
    throw new WalletFailure('origin_mismatch', `The card offer sends its ${what} to another site.`);
  }
  return parsed.href;
}

/** Checks a card offer from a page at `origin`; nothing in it is trusted before this. */
export async function inspectCardOffer(
  ctx: WalletContext,
  origin: string,
  input: unknown,
): Promise<CheckedCardOffer> {
  const parsed = v.safeParse(cardOfferSchema, input);
  if (!parsed.success) throw offerInvalid('The page offers a card payment the wallet cannot read.');
  const offer = parsed.output;
  let initiation: SetMessage<'purchase-initiation-response'>;
  let order: CardOrder;
  try {
    initiation = parseSetMessage('purchase-initiation-response', offer.initiation);
    order = parseCardOrder(offer.order);
  } catch (cause) {
    throw offerInvalid('The page offers a card payment the wallet cannot read.', cause);
  }
  const now = ctx.platform.now();
  const banks = await ctx.db.getAll('banks');
  for (const bank of banks) {
    let merchant: ReturnType<typeof verifyMerchantCertificate>;
    try {
      merchant = verifyMerchantCertificate({
        chain: initiation.body.merchantCertificates,
        trustedRoots: [bank.caCertificate],
        origin,
        now,
      });
    } catch {
      continue;
    }
    try {
      verifySetMessage(initiation, merchant.offerPublicKey);
      if (merchant.merchantId !== initiation.body.merchantId) {
        throw offerInvalid('The order names another merchant than its certificate.');
      }
      assertOrderCommitted(order, initiation.body);
    } catch (cause) {
      throw offerInvalid('The order on this page is not the order the merchant signed.', cause);
    }
    let gateway: ReturnType<typeof verifyGatewayCertificates>;
    try {
      gateway = verifyGatewayCertificates({
        signatureChain: initiation.body.gatewaySignatureCertificates,
        keyExchangeChain: initiation.body.gatewayKeyExchangeCertificates,
        trustedRoots: [bank.caCertificate],
        now,
      });
    } catch (cause) {
      throw offerInvalid('The merchant names a payment gateway your bank did not certify.', cause);
    }
    // A certificate the bank revoked pays nobody, by card as by link (pay/merchant-revocations.ts).
    await assertMerchantCertificateNotRevoked(ctx, bank, merchant.serialNumber);
    return {
      origin,
      bank,
      merchantId: merchant.merchantId,
      merchantName: merchant.name,
      merchantKey: merchant.offerPublicKey,
      initiation,
      order,
      gateway: { ...gateway, caCertificate: bank.caCertificate },
      purchaseUrl: sameOriginUrl(offer.purchase, origin, 'purchase'),
      paidUrl: sameOriginUrl(offer.paid, origin, 'receipt page'),
    };
  }
  throw new WalletFailure(
    'merchant_not_certified',
    banks.length === 0
      ? 'Add a bank in the settings before paying.'
      : `${origin} is not certified by a bank you trust.`,
    { hint: 'settings#banks' },
  );
}

/** The order as the trusted window shows it: from the signed offer, in display strings. */
export function cardOrderDisplay(checked: CheckedCardOffer) {
  const { order } = checked;
  const show = (amount: Amount) => formatAmount(amount);
  return {
    payee: checked.merchantName,
    origin: checked.origin,
    lines: order.lines.map((line) => ({
      description: line.description,
      quantity: line.quantity,
      unitPrice: show(line.unitPrice),
      amount: show({
        currency: line.unitPrice.currency,
        minor: line.unitPrice.minor * line.quantity,
      }),
    })),
    subtotal: show(orderSubtotal(order)),
    vatRate: order.vatRate,
    vat: show(order.vat),
    shipping: show(order.shipping),
    total: show(order.total),
    /** The total the signed initiation (and so OI) carries. */
    signedTotal: show(checked.initiation.body.amount),
  };
}

/** The registered card to pay with at `bankUrl`: the given one, or the first registered. */
export async function cardFor(
  ctx: WalletContext,
  bankUrl: string,
  cardId?: string,
): Promise<CardRecord> {
  const cards = await ctx.db.getAllFromIndex('cards', 'status', 'registered');
  const card = cards.find(
    (candidate) =>
      candidate.bankUrl === bankUrl && (cardId === undefined || candidate.id === cardId),
  );
  if (card === undefined || card.certificates === null) {
    throw new WalletFailure(
      'card_not_registered',
      'Register a card from this bank in the settings before paying by card.',
      { hint: 'settings#cards' },
    );
  }
  return card;
}

const purchaseAnswerSchema = v.unknown();

/** Builds, writes and sends the purchase; the answer's status (authorized, captured). */
export async function payCardOffer(
  ctx: WalletContext,
  checked: CheckedCardOffer,
  cardId?: string,
): Promise<CardPaymentRecord> {
  const transactionId = checked.initiation.body.transactionId;
  const existing = await ctx.db.get('cardPayments', transactionId);
  if (existing !== undefined) return existing.status === 'sent' ? send(ctx, existing) : existing;
  const card = await cardFor(ctx, checked.bank.url, cardId);
  const { body } = checked.initiation;
  const oi: OrderInformation = {
    transactionId,
    merchantId: body.merchantId,
    gatewayFingerprint: checked.gateway.fingerprint,
    amount: body.amount,
    orderDigest: body.orderDigest,
    nonce: crypto.getRandomValues(new Uint8Array(32)),
  };
  const account = await openCardAccount(ctx, card);
  let request: string;
  try {
    const pi: PaymentInformation = {
      transactionId,
      merchantId: body.merchantId,
      gatewayFingerprint: checked.gateway.fingerprint,
      amount: body.amount,
      pan: account.pan,
      expiry: account.expiry,
      cardSecret: account.cardSecret,
      nonce: crypto.getRandomValues(new Uint8Array(32)),
    };
    const oiDigest = orderInformationDigest(oi);
    const piDigest = paymentInformationDigest(pi);
    const signer = cardSigner(card.privateKey, card.publicKey);
    const piEnvelope = await sealPaymentEnvelope({
      pi,
      oiDigest,
      gatewayPublicKey: checked.gateway.keyExchangePublicKey,
    });
    request = JSON.stringify(
      setMessageToWire(
        await signSetMessage(
          'purchase-request',
          {
            ...oi,
            piDigest,
            piEnvelope,
            dualSignature: await signDualSignature(signer, piDigest, oiDigest),
            cardholderCertificates: [...card.certificates!],
          },
          signer,
        ),
      ),
    );
  } finally {
    account.cardSecret.fill(0);
  }
  const now = ctx.platform.now();
  const record: CardPaymentRecord = {
    transactionId,
    cardId: card.id,
    origin: checked.origin,
    merchantId: checked.merchantId,
    merchantName: checked.merchantName,
    merchantKey: checked.merchantKey,
    purchaseUrl: checked.purchaseUrl,
    order: cardOrderToWire(checked.order),
    total: { currency: body.amount.currency, minor: body.amount.minor },
    request,
    status: 'sent',
    credited: 0,
    receiptId: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
  // Written, and on disk, before the request leaves: a crash from here on resumes by resending.
  await writeDurably(ctx.db, 'cardPayments', 'add', record);
  return send(ctx, record);
}

async function update(
  ctx: WalletContext,
  transactionId: string,
  change: Partial<Pick<CardPaymentRecord, 'status' | 'receiptId' | 'error' | 'credited'>>,
): Promise<CardPaymentRecord> {
  const tx = moneyTx(ctx.db, ['cardPayments']);
  const stored = (await tx.objectStore('cardPayments').get(transactionId))!;
  const next: CardPaymentRecord = { ...stored, ...change, updatedAt: ctx.platform.now() };
  await tx.objectStore('cardPayments').put(next);
  await tx.done;
  return next;
}

const statuses: readonly CardPaymentStatus[] = [
  'authorized',
  'captured',
  'reversed',
  'capture_reversed',
];
const asStatus = (status: string): CardPaymentStatus =>
  (statuses as readonly string[]).includes(status) ? (status as CardPaymentStatus) : 'failed';

/** Sends the stored request as written; the merchant's signed answer settles the record. */
async function send(ctx: WalletContext, record: CardPaymentRecord): Promise<CardPaymentRecord> {
  let json: unknown;
  try {
    json = await requestJson(
      ctx.platform,
      merchantParty,
      { method: 'POST', url: record.purchaseUrl, text: record.request },
      purchaseAnswerSchema,
    );
  } catch (error) {
    // No answer: the request stays `sent` and is resent later. A refusal ends it.
    if (isTransient(error)) throw error;
    await update(ctx, record.transactionId, { status: 'failed', error: errorJson(error) });
    throw error;
  }
  const answer = checkAnswer(
    'merchant_refused',
    'The shop answered the card payment with something the wallet cannot accept.',
    () => {
      const signed = parseSetMessage('purchase-response', json);
      verifySetMessage(signed, record.merchantKey);
      if (
        signed.body.transactionId !== record.transactionId ||
        signed.body.amount.minor !== record.total.minor
      ) {
        throw new WalletFailure(
          'merchant_refused',
          'The answer is for another purchase or amount.',
        );
      }
      return signed;
    },
  );
  return update(ctx, record.transactionId, {
    status: asStatus(answer.body.status),
    receiptId: answer.body.receiptId,
  });
}

/** Sends again every purchase written but not answered (at start-up, after a crash). */
export async function resumeCardPayments(ctx: WalletContext): Promise<CardPaymentRecord[]> {
  const resumed: CardPaymentRecord[] = [];
  for (const record of await ctx.db.getAllFromIndex('cardPayments', 'status', 'sent')) {
    resumed.push(await send(ctx, record).catch(() => record));
  }
  return resumed;
}

/** A signed purchase inquiry: the merchant's answer updates the purchase's status. */
export async function inquireCardPayment(
  ctx: WalletContext,
  transactionId: string,
): Promise<CardPaymentRecord> {
  const record = await ctx.db.get('cardPayments', transactionId);
  const card = record === undefined ? undefined : await ctx.db.get('cards', record.cardId);
  if (record === undefined || card === undefined) {
    throw new WalletFailure('card_not_registered', 'No such card purchase in this wallet.');
  }
  const inquiry = setMessageToWire(
    await signSetMessage(
      'purchase-inquiry',
      { transactionId, requestedAt: ctx.platform.now() },
      cardSigner(card.privateKey, card.publicKey),
    ),
  );
  const json = await requestJson(
    ctx.platform,
    merchantParty,
    { method: 'POST', url: `${record.origin}/.well-known/farthing/card/inquiry`, body: inquiry },
    v.unknown(),
  );
  const answer = parseSetMessage('purchase-inquiry-response', json);
  verifySetMessage(answer, record.merchantKey);
  if (answer.body.transactionId !== transactionId) {
    throw new WalletFailure('merchant_refused', 'The shop answered about another purchase.');
  }
  return update(ctx, transactionId, {
    status: asStatus(answer.body.status),
    credited: answer.body.credited.minor,
  });
}

/** Card purchases, newest first, for the history. */
export async function cardPayments(ctx: WalletContext): Promise<CardPaymentRecord[]> {
  return (await ctx.db.getAllFromIndex('cardPayments', 'createdAt')).reverse();
}
