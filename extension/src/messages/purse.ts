/**
 * The hardware purse's part of the message contract (contract.ts spreads `purseActions` into
 * its `actions`). Every action is the wallet's own pages' (`from: 'extension'`): a web page's
 * content script can neither reach the reader (WebHID is the extension pages' own, see
 * wallet/instruments/purse/hid-transport.ts) nor ask the background to pay, load or pair with the purse.
 *
 * Bytes cross as base64url text; the background decodes and checks them (wallet/instruments/purse/).
 */
import * as v from 'valibot';
import { noInput, output, pageAction } from './output.ts';

/** contract.ts's `AmountView`, spelled out: contract.ts imports this file, not the reverse. */
interface AmountView {
  readonly currency: string;
  readonly minor: number;
  readonly text: string;
}

const base64url = (max: number) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(max), v.regex(/^[A-Za-z0-9_-]+$/));
const idSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
const cardIdSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/));
const httpUrlSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.url(),
  v.check((value) => /^https?:\/\//.test(value), 'expected an http(s) URL'),
);
const u16 = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xffff));
const minor = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export interface PurseLogLineView {
  readonly type: 'load' | 'pay';
  readonly amount: AmountView;
  readonly at: number;
  readonly sno: number | null;
  readonly merchantId: string | null;
}

export interface PurseReaderView {
  readonly productName: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly cardId: string;
  readonly bankUrl: string;
  readonly balance: AmountView;
  readonly maximum: AmountView;
  readonly state: 'active' | 'pin-blocked';
  readonly log: readonly PurseLogLineView[];
  readonly preferred: boolean;
  readonly readAt: number;
}

/** What the card's PERSONALISE takes from the bank (base64url DER and key). */
export interface PursePersonalisationView {
  readonly certificate: string;
  readonly issuerRoot: string;
  readonly issuerLoadKey: string;
  readonly maximum: AmountView;
}

/** A purse payment's challenge, for the page that holds the reader. */
export interface PurseChallengeView {
  readonly paymentId: string;
  readonly cardId: string;
  readonly challenge: string;
  readonly merchantChain: readonly string[];
  /** `proved`: the wallet holds the card's proof already; the card is not asked again. */
  readonly status: 'challenged' | 'proved' | 'refused';
}

/** The card as a page read it (SELECT, BALANCE, READ LOG), reported to the background. */
export const cardReadingSchema = v.strictObject({
  cardId: cardIdSchema,
  state: v.picklist(['active', 'pin-blocked']),
  certificate: base64url(4096),
  balance: v.strictObject({ currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)), minor }),
  maximum: v.strictObject({ currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)), minor }),
  log: v.pipe(
    v.array(
      v.strictObject({
        type: v.picklist(['load', 'pay']),
        amount: v.strictObject({ currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)), minor }),
        at: minor,
        sno: v.optional(minor),
        merchantId: v.optional(v.pipe(v.string(), v.maxLength(128))),
        tno: v.optional(minor),
      }),
    ),
    v.maxLength(15),
  ),
});
export type CardReading = v.InferOutput<typeof cardReadingSchema>;

export const purseActions = {
  /** The paired reader and card as last read, or null. */
  'purse.status': pageAction(noInput, output<PurseReaderView | null>()),
  /** Pairs the reader a page holds (the user picked it in the browser's chooser). */
  'purse.pair': pageAction(
    v.strictObject({
      device: v.strictObject({
        vendorId: u16,
        productId: u16,
        productName: v.pipe(v.string(), v.maxLength(200)),
      }),
      card: cardReadingSchema,
    }),
    output<PurseReaderView>(),
  ),
  'purse.unpair': pageAction(noInput, output<null>()),
  /** The card as read now (after a load, a payment, or on the pairing page). */
  'purse.update': pageAction(
    v.strictObject({ card: cardReadingSchema }),
    output<PurseReaderView>(),
  ),
  'purse.prefer': pageAction(v.strictObject({ preferred: v.boolean() }), output<PurseReaderView>()),
  /** A blank card: the bank certifies its key for the logged-in account (POST /v1/purse/cards). */
  'purse.issue': pageAction(
    v.strictObject({
      bankUrl: httpUrlSchema,
      cardId: cardIdSchema,
      publicKey: base64url(64),
    }),
    output<PursePersonalisationView>(),
  ),
  /** The bank's load authorization for the card's signed load request (the account pays). */
  'purse.authorizeLoad': pageAction(
    v.strictObject({ loadRequest: base64url(2048) }),
    output<{ readonly authorization: string }>(),
  ),
  /** The challenge of a purse payment waiting in the confirmation window. */
  'purse.challenge': pageAction(
    v.strictObject({ paymentId: idSchema }),
    output<PurseChallengeView>(),
  ),
  /** The card's proof for a payment's challenge: stored at once, then sent to the merchant. */
  'purse.proof': pageAction(
    v.strictObject({ paymentId: idSchema, proof: base64url(2048) }),
    output<{ readonly stored: true }>(),
  ),
  /** The card refused the payment's challenge or the holder cancelled on the reader. */
  'purse.refused': pageAction(
    v.strictObject({
      paymentId: idSchema,
      code: v.picklist(['purse_cancelled', 'purse_card_refused']),
    }),
    output<null>(),
  ),
} as const;
