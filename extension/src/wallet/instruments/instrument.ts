/**
 * What pays a payment (DESIGN.md "Layout by instrument"): each instrument is a folder beside
 * this file (`ecash/`, `payword/`, `purse/`) and implements this one interface (SET card
 * purchases, `card/`, keep their own checkout flow and records; why: `card/resume.ts`). The pay flow core (`../pay/`)
 * checks the offer, the limits and the confirmation, keeps the spend journal and the payment's
 * task, sends the credential and reads the receipt; everything about coins, chains or the card
 * happens behind these methods.
 *
 * A payment's life, and who acts at each step:
 *
 * 1. `mayPay` (instrument): can it pay this offer now? The core takes the first that can, in
 *    the registry's order of preference (`registry.ts`).
 * 2. `reserve` (instrument): in one transaction that re-checks the budgets with the core's
 *    helpers (`../pay/reservation.ts`), what pays the price is promised to a new payment, with
 *    its journal entry and task. When the offer is paid or in flight already, writes nothing
 *    and gives that payment back.
 * 3. `credential` (instrument): built from what the reservation stored, the same bytes every
 *    time; the core stores it (`sent`, strict) before it leaves the wallet. After a crash the
 *    task runner calls it again for a payment still `reserved`: that is the resume.
 * 4. The core POSTs it and verifies the receipt.
 * 5. `settle` (instrument) inside the core's confirming transaction: the coins spent, the words
 *    accepted.
 * 6. `refuse` (instrument) inside the core's failing transaction, when the merchant refused or
 *    the user declined: what the payment held is released in the database (a PayWord chain is
 *    closed); then `release`, after that commit, gives back what needs the network (coins the
 *    merchant saw are refreshed at the mint).
 * 7. `resume` (instrument), when the worker starts again and after each run of the task
 *    runner: what a stop between steps left half done and no task drives (a refusal committed
 *    whose `release` never ran). A payment still `reserved` or `sent` is its task's: the runner
 *    builds the same credential again (step 3) and resends it.
 */
import type { SignedOffer } from '@farthing/protocol/offer';
import type { IDBPObjectStore, StoreNames } from 'idb';
import type { PayOutcome } from '../../messages/contract.ts';
import type { WalletContext } from '../context.ts';
import type { PaymentInstrument, PaymentRecord, WalletDb } from '../db/schema.ts';
import type { CheckedOffer } from '../pay/offer.ts';
import type { ClickSeen } from '../pay/presentation.ts';

/** The stores an instrument reads and writes in the core's confirming and failing transactions. */
export const instrumentStores = ['coins', 'paywordChains'] as const;

type InstrumentStore = (typeof instrumentStores)[number];

/** The core's confirming or failing transaction, as an instrument sees it: its stores only. */
export interface SettleTx {
  objectStore<S extends InstrumentStore>(
    name: S,
  ): IDBPObjectStore<WalletDb, ArrayLike<StoreNames<WalletDb>>, S, 'readwrite'>;
}

/** Step 5's writes, made once the core has read that the payment is not confirmed already. */
export type SettleWrites = () => readonly Promise<unknown>[];

/** How an instrument with its own steps after the choice hands a payment back to the core. */
export interface CoreSteps {
  /** Shows the trusted confirmation window for this payment; the user's answer. */
  readonly confirm: (paymentId: string) => Promise<boolean>;
  /** Steps 3–5 (credential, send, settle) for a payment the instrument reserved. */
  readonly send: (payment: PaymentRecord) => Promise<PayOutcome>;
  /** Step 6 for a payment the instrument reserved. */
  readonly fail: (payment: PaymentRecord, error: unknown) => Promise<void>;
}

export interface Instrument<P extends PaymentRecord = PaymentRecord> {
  readonly name: P['instrument'];
  /** Whether this instrument can pay the offer now (prefers it when more than one can). */
  mayPay(ctx: WalletContext, checked: CheckedOffer): Promise<boolean>;
  /**
   * Why the tooltip should say this click would not pay, though the instrument was chosen
   * (no coins worth the price); undefined when it would.
   */
  shortfall?(ctx: WalletContext, checked: CheckedOffer): Promise<Error | undefined>;
  /**
   * The click's common case in one transaction, before anything is asked (PayWord): a payment
   * reserved and `sent`, or undefined having written nothing (the long way then decides).
   */
  reserveAtOnce?(
    ctx: WalletContext,
    checked: CheckedOffer,
    seen: ClickSeen,
  ): Promise<PaymentRecord | undefined>;
  /**
   * While the tooltip says a click would pay at once: make its payment ready, so the click only
   * stores it and sends it (PayWord: ./payword/prepared.ts). Never throws.
   */
  prepare?(ctx: WalletContext, checked: CheckedOffer): Promise<void>;
  /**
   * Another payment to the vendor is on its way: what `prepare` made is not for a click, and is
   * given back before that payment reads the limits (it would count twice). In the vendor's
   * queue; called outside it.
   */
  unprepare?(ctx: WalletContext, vendorId: string): Promise<void>;
  /**
   * The journal entry counting what `prepare` made ready for the vendor and no click took yet,
   * which the tooltip's view leaves out (the click takes it or gives it back).
   */
  readyJournalEntry?(ctx: WalletContext, vendorId: string): string | undefined;
  /**
   * An instrument whose payment takes its own steps after the choice (the hardware purse: the
   * reader in the trusted window, always), using the core's for the rest.
   */
  payOwnWay?(ctx: WalletContext, checked: CheckedOffer, core: CoreSteps): Promise<PayOutcome>;
  reserve(ctx: WalletContext, checked: CheckedOffer): Promise<PaymentRecord>;
  credential(ctx: WalletContext, payment: P, offer: SignedOffer): Promise<string>;
  settle(ctx: WalletContext, tx: SettleTx, payment: P): Promise<SettleWrites>;
  refuse(tx: SettleTx, payment: P): Promise<void>;
  release(ctx: WalletContext, payment: P): Promise<void>;
  resume?(ctx: WalletContext): Promise<void>;
}

/** The record type of one instrument's payments. */
export type PaymentOf<K extends PaymentInstrument> = Extract<PaymentRecord, { instrument: K }>;
