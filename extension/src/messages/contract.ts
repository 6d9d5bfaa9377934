/**
 * The one message contract between the wallet's background and everything that talks to it:
 * the content script (on web pages) and the extension's own pages (popup, settings, history,
 * confirmation window).
 *
 * Every action names who may send it (`from`), the input schema (validated on arrival, in the
 * background, before anything else runs) and the output type. Answers are
 * `{ ok: true, value } | { ok: false, error }`. The tab, frame and origin of a content-script
 * message always come from the browser's `MessageSender`, never from the payload.
 *
 * Past 400 lines on purpose: it is the one table both sides of the boundary read (STYLE.md,
 * "one typed message contract"), each action with the views it answers; the later instruments'
 * actions already live in their own files (purse.ts, recovery.ts, proof.ts) and are spread in.
 */
import { isNavigationId } from '@farthing/protocol/http/paying-navigation';
import * as v from 'valibot';
import { deliveryActions } from './delivery.ts';
import {
  contentAction,
  noInput,
  type Output,
  type OutputOf,
  output,
  pageAction,
  type Sender,
} from './output.ts';
import { proofActions } from './proof.ts';
import { purseActions } from './purse.ts';
import { recoveryActions } from './recovery.ts';

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** An amount for display and for input: integer minor units, never a float. */
export interface AmountView {
  readonly currency: string;
  /** Minor units (cents for EUR). */
  readonly minor: number;
  /** `EUR 0.05`. */
  readonly text: string;
}

const currencySchema = v.pipe(v.string(), v.regex(/^[A-Z]{3}$/));
const minorSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** An amount as the UI sends it. */
export const amountInputSchema = v.strictObject({ currency: currencySchema, minor: minorSchema });
export type AmountInput = v.InferOutput<typeof amountInputSchema>;

const httpUrlSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.url(),
  v.check((value) => /^https?:\/\//.test(value), 'expected an http(s) URL'),
);
const offerTokenSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(16_384));
const idSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(128));

export type Instrument = 'ecash' | 'payword' | 'purse' | 'card';

/** The payee as the wallet verified it: the certificate's name and origin, not the page's. */
export interface PayeeView {
  readonly name: string;
  readonly origin: string;
  readonly merchantId: string;
  readonly bankUrl: string;
}

/** Why the wallet wants the user to confirm in its own window. */
export type ConfirmationReason =
  | 'above_threshold'
  | 'first_payment_to_site'
  | 'user_setting'
  /** The click did not show that the user saw this link and its price (presentation.ts). */
  | 'unseen_click'
  /** A hardware purse payment: the holder confirms on the reader (wallet/instruments/purse/). */
  | 'purse_reader'
  /** A card payment: always asked, whatever the amount (DESIGN.md "SET"). */
  | 'card_payment';

/**
 * What the content script saw of a click, measured by the browser, for the background to judge
 * against the user's settings (wallet/pay/presentation.ts): a click auto-pays only a link the
 * user could see, hit where it was drawn, whose price the wallet's own tooltip had been showing.
 */
export const presentationSchema = v.strictObject({
  /** `pointer`: a mouse, pen or touch click; `keyboard`: Enter on a focused link. */
  input: v.picklist(['pointer', 'keyboard']),
  /** Pointer: the link is the top element at the click point; keyboard: the link holds focus. */
  hit: v.boolean(),
  /** How long the browser's occlusion check (IntersectionObserver v2) has reported it visible. */
  visibleMs: v.pipe(v.number(), v.minValue(0), v.maxValue(1e10)),
  /** How long the wallet's tooltip (or paywall bar), itself visible, has shown this very offer. */
  shownMs: v.pipe(v.number(), v.minValue(0), v.maxValue(1e10)),
  /** Keyboard: how long the link has held focus. */
  focusMs: v.pipe(v.number(), v.minValue(0), v.maxValue(1e10)),
});
export type Presentation = v.InferOutput<typeof presentationSchema>;

// ---------------------------------------------------------------------------------------------
// Errors that cross the message boundary: plain JSON, a stable code, a message for people.

export const walletErrorCodes = [
  // the message itself
  'invalid_message',
  'unknown_action',
  'forbidden_sender',
  // banks and accounts
  'bank_unreachable',
  'bank_error',
  'bank_not_trusted',
  'bank_keys_changed',
  'login_failed',
  'not_logged_in',
  /** A bank address over plain HTTP that is not loopback (wallet/bank/secure-url.ts). */
  'bank_not_secure',
  // offers and payees
  'offer_invalid',
  'offer_expired',
  'merchant_not_certified',
  'origin_mismatch',
  'instrument_unsupported',
  // limits the user set
  'site_blocked',
  'over_site_budget',
  'over_daily_budget',
  'duplicate_click',
  'confirmation_declined',
  'confirmation_pending',
  // money
  'insufficient_funds',
  'merchant_refused',
  'merchant_unreachable',
  'payment_in_progress',
  /** The merchant says this browser holds the resource already; this payment was not taken. */
  'already_paid',
  // the hardware purse (wallet/instruments/purse/)
  'reader_unavailable',
  'purse_cancelled',
  'purse_card_refused',
  'purse_pin_wrong',
  'purse_pin_blocked',
  // SET cards (wallet/instruments/card/)
  /** The card number, expiry or name as typed cannot be a card. */
  'card_invalid',
  /** No registered card to pay with (or this browser's WebCrypto lacks Ed25519). */
  'card_not_registered',
  // backups
  'backup_invalid',
  'wrong_passphrase',
  // the recovery phrase (wallet/recovery/)
  /** Not a BIP-39 phrase of this wallet's length (a word outside the list, or its checksum). */
  'phrase_invalid',
  /** The words asked back do not match the phrase shown. */
  'phrase_mismatch',
  /** This wallet already has a phrase (restoring over it would orphan its coins). */
  'phrase_exists',
  /** Recovery needs the phrase, and this wallet has none. */
  'phrase_missing',
  /** A restored wallet withdraws only after recovering its lost coins (seed counters). */
  'recovery_pending',
  // the wallet's own state
  /** A record a task or payment needs is not in the wallet's database (it was damaged). */
  'record_missing',
  /** A merchant's or bank's signature over what it sent does not verify. */
  'signature_invalid',
  'internal',
] as const;
export type WalletErrorCode = (typeof walletErrorCodes)[number];

export interface WalletErrorJson {
  readonly code: WalletErrorCode;
  /** A sentence for the user: what happened and what to do. */
  readonly message: string;
  /** Where the user can fix it, e.g. `settings#sites` to raise a site budget. */
  readonly hint?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export type Answer<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WalletErrorJson };

// ---------------------------------------------------------------------------------------------
// Views the background returns

export type OfferView =
  | {
      readonly status: 'payable';
      readonly price: AmountView;
      readonly payee: PayeeView;
      readonly title: string;
      /** The absolute URL the offer's resource has on the page's origin. */
      readonly resourceUrl: string;
      readonly instrument: Instrument;
      /** Left of this site's budget today, after this payment would be made. */
      readonly siteBudgetLeft: AmountView;
      readonly dailyBudgetLeft: AmountView;
      /** Set when a click would open the confirmation window first. */
      readonly confirmation: ConfirmationReason | null;
      /** What a click must show to pay without asking (the user's settings, presentation.ts). */
      readonly autoPay: { readonly seenVisibleMs: number; readonly seenShownMs: number };
    }
  | {
      /** The user holds this resource already (a payment whose access grant still holds). */
      readonly status: 'owned';
      readonly price: AmountView;
      readonly payee: PayeeView;
      readonly title: string;
      readonly resourceUrl: string;
      /** When the access bought by that payment ends (ms). */
      readonly grantExpiresAt: number;
      readonly receiptId: string;
    }
  | {
      readonly status: 'refused';
      readonly error: WalletErrorJson;
      /** Present when the offer could be read. */
      readonly price?: AmountView;
      readonly payee?: PayeeView;
    };

export type PayOutcome =
  | {
      readonly status: 'paid';
      readonly receiptId: string;
      readonly price: AmountView;
      readonly instrument: Instrument;
      readonly resource: string;
      /** Where the page should go now (the paid resource on the page's origin). */
      readonly navigateTo: string;
      /** True when nothing was paid now: the user already held this resource. */
      readonly owned: boolean;
    }
  | { readonly status: 'refused'; readonly error: WalletErrorJson };

/**
 * A click whose page went at once (`offer.pay`'s `navigation`) that the wallet does not pay at
 * once after all (it asks, or needs a chain or coins first): the page stops that navigation and
 * asks `offer.outcome` how the payment ends, going to the resource then.
 */
export interface PayHeld {
  readonly status: 'held';
}

/** The active tab's paywall, as the popup shows it. */
export interface ActivePaywall {
  readonly tabId: number;
  readonly pageUrl: string;
  readonly offer: OfferView;
}

/** What the background asks a content script (the only message it answers). */
export const paywallQuery = { type: 'farthing.paywall' } as const;
/** The content script's answer: the paywall link of its page, or null. */
export const paywallLinkSchema = v.nullable(
  v.strictObject({ offer: offerTokenSchema, href: httpUrlSchema }),
);

export interface BankInspection {
  readonly url: string;
  readonly name: string;
  /** SHA-256 of the CA certificate's DER, hex in pairs (`AB:CD:…`), to show and pin. */
  readonly caFingerprint: string;
  /** SHA-256 of the mint's Ed25519 master key. */
  readonly mintKeyFingerprint: string;
  /** SHA-256 of the PayWord broker's Ed25519 key (pinned with the others). */
  readonly brokerKeyFingerprint?: string;
  readonly denominations: readonly AmountView[];
}

export interface BankView extends BankInspection {
  readonly trustedAt: number;
  /** The account name when logged in, else null. */
  readonly account: string | null;
  readonly accountBalance: AmountView | null;
}

export interface BalanceView {
  readonly instrument: Instrument;
  readonly bankUrl: string;
  /** E-cash: value of spendable coins. PayWord: credit left on the user certificate. */
  readonly balance: AmountView;
  /** E-cash: coins count; PayWord: open chains. */
  readonly count: number;
  /**
   * PayWord: the credit the bank holds from the account for this certificate, when the
   * certificate expires, and when what sites have not collected by then is back in the account
   * at the latest (null when the bank does not say how long sites may still collect).
   */
  readonly held?: {
    readonly amount: AmountView;
    readonly expiresAt: number;
    readonly returnsBy: number | null;
  };
}

export interface ReceiptView {
  readonly receiptId: string;
  readonly origin: string;
  readonly merchantName: string;
  readonly resource: string;
  readonly title: string;
  readonly price: AmountView;
  readonly instrument: Instrument;
  readonly paidAt: number;
  /** Purse payments: the card's sequence number SNo for this payment. */
  readonly sno?: number;
  /** What the merchant refunded of it, as far as the wallet learned (wallet/refunds/). */
  readonly refunded?: AmountView;
}

export type TaskKind = 'withdraw' | 'pay' | 'change' | 'payword_certificate' | 'refund';
export type TaskStatus = 'reserved' | 'sent' | 'confirmed' | 'failed';

export interface TaskView {
  readonly id: string;
  readonly kind: TaskKind;
  readonly status: TaskStatus;
  readonly createdAt: number;
  readonly amount: AmountView | null;
  /** Long work (withdrawing many coins) reports how far it got. */
  readonly progress: { readonly done: number; readonly total: number } | null;
  readonly error: WalletErrorJson | null;
}

/** A refusal the wallet logged: what a page tried, and why nothing was paid. */
export interface RefusalView {
  readonly id: string;
  readonly at: number;
  readonly origin: string;
  readonly resource: string | null;
  readonly error: WalletErrorJson;
}

export interface Settings {
  readonly currency: string;
  /** Payments up to this amount go through on a click; above it the wallet asks. */
  readonly autoPayThreshold: AmountView;
  /** Spending per site per day unless the site has its own budget. */
  readonly defaultSiteBudget: AmountView;
  readonly dailyBudget: AmountView;
  /** Ask before the first payment to a site the wallet has not paid before. */
  readonly confirmFirstPayment: boolean;
  /** A click auto-pays only a link the browser reported visible for this long (ms). */
  readonly seenVisibleMs: number;
  /** …and whose price the wallet's tooltip had shown for this long (ms). */
  readonly seenShownMs: number;
  /** PayWord credit the bank sets aside from the account for each new PayWord certificate. */
  readonly paywordCredit: AmountView;
}

export const settingsUpdateSchema = v.strictObject({
  autoPayThreshold: v.optional(amountInputSchema),
  defaultSiteBudget: v.optional(amountInputSchema),
  dailyBudget: v.optional(amountInputSchema),
  confirmFirstPayment: v.optional(v.boolean()),
  seenVisibleMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10_000))),
  seenShownMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10_000))),
  paywordCredit: v.optional(amountInputSchema),
});

export interface SiteView {
  readonly origin: string;
  readonly name: string | null;
  /** Null: the default site budget applies. */
  readonly budget: AmountView | null;
  readonly spentToday: AmountView;
  readonly blocked: boolean;
  readonly lastPaidAt: number | null;
}

export interface ConfirmationView {
  readonly id: string;
  readonly reason: ConfirmationReason;
  /** The origin of the page the click happened on (from the browser, not the page). */
  readonly pageOrigin: string;
  readonly payee: PayeeView;
  readonly title: string;
  readonly resource: string;
  readonly price: AmountView;
  readonly instrument: Instrument;
  readonly siteBudgetLeft: AmountView;
  readonly dailyBudgetLeft: AmountView;
  readonly expiresAt: number;
  /** Other payments waiting for their own answer in this window after this one. */
  readonly waiting: number;
  /** A purse payment: this window holds the reader and gets the card's proof for it. */
  readonly purse?: { readonly paymentId: string };
  /** A card payment: the order the merchant signed and the card it is charged to. */
  readonly card?: CardConfirmationView;
}

export interface WalletOverview {
  readonly balances: readonly BalanceView[];
  readonly banks: readonly BankView[];
  readonly recent: readonly ReceiptView[];
  readonly tasks: readonly TaskView[];
  readonly spentToday: AmountView;
}

export interface SpendingPoint {
  /** Start of the UTC day, ms. */
  readonly day: number;
  readonly origin: string;
  readonly minor: number;
}

// --- SET cards (wallet/instruments/card/)

export interface CardView {
  readonly id: string;
  readonly bankUrl: string;
  readonly status: 'pending' | 'registered';
  /** All the wallet ever shows of the card number. */
  readonly lastFour: string;
  readonly name: string;
}

/** The order a card payment pays for, as the merchant signed it (lines, VAT, shipping). */
export interface CardOrderView {
  readonly lines: readonly {
    readonly description: string;
    readonly quantity: number;
    readonly unitPrice: string;
    readonly amount: string;
  }[];
  readonly subtotal: string;
  /** Basis points (2000 = 20 %). */
  readonly vatRate: number;
  readonly vat: string;
  readonly shipping: string;
  readonly total: string;
}

export interface CardConfirmationView {
  readonly lastFour: string;
  readonly order: CardOrderView;
}

export type CardPaymentStatus =
  | 'sent'
  | 'authorized'
  | 'captured'
  | 'reversed'
  | 'capture_reversed'
  | 'failed';

export interface CardPaymentView {
  readonly transactionId: string;
  readonly origin: string;
  readonly merchantName: string;
  readonly lastFour: string;
  readonly total: AmountView;
  /** Given back by the merchant (SET credits): shown as a credit. */
  readonly credited: AmountView;
  readonly status: CardPaymentStatus;
  readonly lines: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type CardPayOutcome =
  | {
      readonly status: 'paid';
      readonly transactionId: string;
      readonly cardStatus: CardPaymentStatus;
      /** The shop's page for the paid order (on the page's origin). */
      readonly navigateTo: string;
    }
  | { readonly status: 'refused'; readonly error: WalletErrorJson };

/** What a checkout page's "Pay with card" carries: the SDK's card offer as JSON text. */
const cardOfferTextSchema = v.pipe(v.string(), v.minLength(2), v.maxLength(64 * 1024));

// ---------------------------------------------------------------------------------------------
// The actions

export type { Sender };

const limitSchema = v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(500)));

export const actions = {
  // -- from content scripts (the page's origin comes from the MessageSender) --
  /** `prepare`: the tooltip shows; a click that would pay at once has its payment made ready. */
  'offer.describe': contentAction(
    v.strictObject({
      offer: offerTokenSchema,
      href: httpUrlSchema,
      prepare: v.optional(v.literal(true)),
    }),
    output<OfferView>(),
  ),
  /** A page with priced links: the wallet asks this merchant about refunds of recent receipts. */
  'refunds.check': contentAction(noInput, output<number>()),
  /** Sent only from a trusted (`isTrusted`) click or the wallet's own paywall button. */
  'offer.pay': contentAction(
    v.strictObject({
      offer: offerTokenSchema,
      href: httpUrlSchema,
      trigger: v.picklist(['link', 'paywall']),
      /** Missing: the click proved nothing, and it is asked about in the wallet's window. */
      presentation: v.optional(presentationSchema),
      /**
       * The page went to the resource at the click with this id in its URL
       * (`@farthing/protocol/http/paying-navigation`): the payment carries it, so the merchant
       * serves that navigation once paid. Answered `held` when the click is not paid at once.
       */
      navigation: v.optional(v.custom<string>(isNavigationId, 'a navigation id')),
    }),
    output<PayOutcome | PayHeld>(),
  ),
  /** How a click answered `held` ended; only the tab that clicked asks. */
  'offer.outcome': contentAction(
    v.strictObject({ navigation: v.custom<string>(isNavigationId, 'a navigation id') }),
    output<PayOutcome>(),
  ),
  /**
   * "Pay with card" on a checkout page, sent only from a trusted click: always asked in the
   * wallet's window, which shows the order the merchant signed.
   */
  'card.checkout': contentAction(
    v.strictObject({ offer: cardOfferTextSchema }),
    output<CardPayOutcome>(),
  ),

  // -- from the wallet's own pages --
  /**
   * The 402 paywall the active tab shows, if any, described as its link would be: so the
   * wallet can pay it from the toolbar (DESIGN.md, "Priced link").
   */
  'tab.paywall': pageAction(noInput, output<ActivePaywall | null>()),
  /**
   * Pays the paywall the tab shows now (read again from the page, checked as a link click is)
   * and reloads the tab. The popup's button is the user's gesture.
   */
  'tab.payPaywall': pageAction(
    v.strictObject({ tabId: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) }),
    output<PayOutcome>(),
  ),
  'wallet.overview': pageAction(noInput, output<WalletOverview>()),
  'bank.inspect': pageAction(v.strictObject({ url: httpUrlSchema }), output<BankInspection>()),
  /** Pins the keys the user saw; refused when the bank now shows different ones. */
  'bank.trust': pageAction(
    v.strictObject({
      url: httpUrlSchema,
      caFingerprint: v.pipe(v.string(), v.maxLength(200)),
      mintKeyFingerprint: v.pipe(v.string(), v.maxLength(200)),
      /** Pinned too when given; the bank's current broker key is pinned either way. */
      brokerKeyFingerprint: v.optional(v.pipe(v.string(), v.maxLength(200))),
    }),
    output<BankView>(),
  ),
  'bank.login': pageAction(
    v.strictObject({
      url: httpUrlSchema,
      username: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
      password: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
    }),
    output<BankView>(),
  ),
  'bank.logout': pageAction(v.strictObject({ url: httpUrlSchema }), output<BankView>()),
  /** One trusted bank with the account's current balance (when logged in). */
  'bank.view': pageAction(v.strictObject({ url: httpUrlSchema }), output<BankView>()),
  /** Starts a withdrawal task and answers at once; progress through `task.list`. */
  'withdraw.start': pageAction(
    v.strictObject({ url: httpUrlSchema, amount: amountInputSchema }),
    output<TaskView>(),
  ),
  'task.list': pageAction(v.strictObject({ limit: limitSchema }), output<readonly TaskView[]>()),
  /**
   * Runs the open tasks now (they also run on start and on an alarm): recovers a withdrawal
   * whose answer was lost, resends a payment the merchant did not answer. Answers the task.
   */
  'task.retry': pageAction(v.strictObject({ id: idSchema }), output<TaskView>()),
  'settings.get': pageAction(noInput, output<Settings>()),
  'settings.update': pageAction(settingsUpdateSchema, output<Settings>()),
  'site.list': pageAction(noInput, output<readonly SiteView[]>()),
  'site.update': pageAction(
    v.strictObject({
      origin: httpUrlSchema,
      /** Null: back to the default budget. */
      budget: v.optional(v.nullable(amountInputSchema)),
      blocked: v.optional(v.boolean()),
    }),
    output<SiteView>(),
  ),
  'history.list': pageAction(
    v.strictObject({ limit: limitSchema, before: v.optional(v.number()) }),
    output<readonly ReceiptView[]>(),
  ),
  'history.spending': pageAction(
    v.strictObject({
      days: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(366)),
    }),
    output<readonly SpendingPoint[]>(),
  ),
  'refusal.list': pageAction(
    v.strictObject({ limit: limitSchema }),
    output<readonly RefusalView[]>(),
  ),
  'confirmation.get': pageAction(v.strictObject({ id: idSchema }), output<ConfirmationView>()),
  /** `waiting`: questions the same window shows next (it closes when none is left). */
  'confirmation.answer': pageAction(
    v.strictObject({ id: idSchema, accept: v.boolean() }),
    output<{ readonly accepted: boolean; readonly waiting: number }>(),
  ),
  // SET cards: registration in the settings, purchases in the history (wallet/instruments/card/)
  'card.list': pageAction(noInput, output<readonly CardView[]>()),
  'card.register': pageAction(
    v.strictObject({
      bankUrl: httpUrlSchema,
      cardNumber: v.pipe(v.string(), v.minLength(12), v.maxLength(32)),
      expiry: v.pipe(v.string(), v.minLength(4), v.maxLength(10)),
      name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
    }),
    output<CardView>(),
  ),
  'card.remove': pageAction(v.strictObject({ id: idSchema }), output<readonly CardView[]>()),
  'card.payments': pageAction(
    v.strictObject({ limit: limitSchema }),
    output<readonly CardPaymentView[]>(),
  ),
  /** A signed purchase inquiry to the shop: the purchase's state now. */
  'card.inquire': pageAction(
    v.strictObject({ transactionId: idSchema }),
    output<CardPaymentView>(),
  ),
  /** An encrypted backup (passphrase-derived key), as a JSON text file. */
  'backup.export': pageAction(
    v.strictObject({ passphrase: v.pipe(v.string(), v.minLength(8), v.maxLength(1024)) }),
    output<{ readonly fileName: string; readonly text: string }>(),
  ),
  'backup.import': pageAction(
    v.strictObject({
      text: v.pipe(v.string(), v.maxLength(32 * 1024 * 1024)),
      passphrase: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
    }),
    output<{ readonly coins: number; readonly chains: number }>(),
  ),
  ...purseActions,
  ...recoveryActions,
  ...proofActions,
  ...deliveryActions,
} as const satisfies Record<
  string,
  { readonly from: Sender; readonly input: v.GenericSchema; readonly output: Output<unknown> }
>;

export type Action = keyof typeof actions;
export type ActionInput<A extends Action> = v.InferInput<(typeof actions)[A]['input']>;
/** The input as the action's schema outputs it, once the router validated it. */
export type ValidInput<A extends Action> = v.InferOutput<(typeof actions)[A]['input']>;
export type ActionOutput<A extends Action> = OutputOf<(typeof actions)[A]['output']>;

/**
 * The background's answer to each of `A`'s actions: a function of the validated input (and of
 * whatever context `C` the router hands it) whose result TypeScript checks against the
 * action's declared output.
 */
export type Routes<A extends Action, C> = {
  readonly [K in A]: (input: ValidInput<K>, context: C) => Promise<ActionOutput<K>>;
};

/** The envelope on the wire. */
export interface Request<A extends Action = Action> {
  readonly action: A;
  readonly input: ActionInput<A>;
}

export const requestSchema = v.strictObject({
  action: v.picklist(Object.keys(actions) as [Action, ...Action[]]),
  input: v.unknown(),
});
