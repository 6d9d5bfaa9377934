/**
 * Paying with PayWord (DESIGN.md "PayWord"), the PayWord side of the instrument interface
 * (../instrument.ts): certificates and chains in chains.ts, the reservation (which reveals the
 * word, so it is the strict commit that makes the payment `sent`) in reservation.ts.
 *
 * - mayPay: the merchant takes PayWord, the price is small (`paywordMaxPrice`), and the wallet
 *   has an open chain for the vendor, a certificate with credit for a new one, or a session at
 *   the bank to get a certificate.
 * - credential: the word at the payment's index from the restored chain, with the commitment
 *   while the vendor has accepted no word of the chain yet.
 * - settle: the chain's accepted index moves up to the payment's. refuse: the chain is closed
 *   (its words after the refused one are never spent; the next click makes a new chain).
 */
import { encodeCredential } from '@farthing/protocol/credential';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import { recordMissing } from '../../../messages/failure.ts';
import { sessionToken } from '../../bank/banks.ts';
import type { PaywordChainRecord, PaywordPaymentRecord } from '../../db/schema.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import type { Instrument } from '../instrument.ts';
import {
  certificateOf,
  chainOf,
  openChainFor,
  paywordChainLength,
  paywordMaxPrice,
} from './chains.ts';
import { expectChain } from './expected-chains.ts';
import { givePreparedBack } from './give-back.ts';
import { preparePayword } from './prepared.ts';
import { forgetPrepared, readyJournalEntry } from './prepared-memory.ts';
import { reserveAtOnce, reservePayword } from './reservation.ts';

/** Whether the offer is one PayWord may pay: the merchant takes it and the price is small. */
function offerFits(checked: CheckedOffer): boolean {
  const { offer } = checked;
  return offer.instruments.includes('payword') && offer.amount.minor <= paywordMaxPrice;
}

export const paywordInstrument: Instrument<PaywordPaymentRecord> = {
  name: 'payword',

  async mayPay(ctx, checked) {
    if (!offerFits(checked)) return false;
    const price = checked.offer.amount.minor;
    if ((await openChainFor(ctx, checked.offer.merchantId, price)) !== undefined) return true;
    const words = Math.min(price, paywordChainLength);
    if ((await certificateOf(ctx, checked.bank.url, words)) !== undefined) return true;
    return sessionToken(ctx, checked.bank.url).then(
      () => true,
      () => false,
    );
  },

  async reserveAtOnce(ctx, checked, seen) {
    return offerFits(checked) ? reserveAtOnce(ctx, checked, seen) : undefined;
  },

  async prepare(ctx, checked) {
    if (offerFits(checked)) await preparePayword(ctx, checked);
  },

  async unprepare(ctx, vendorId) {
    forgetPrepared(ctx, vendorId);
    await givePreparedBack(ctx, (chain) => chain.vendorId === vendorId);
  },

  readyJournalEntry,

  /** Words prepared by a worker that is gone: given back (prepared.ts). */
  resume: (ctx) => givePreparedBack(ctx),

  reserve: (ctx, checked) => reservePayword(ctx, checked),

  async credential(ctx, payment, offer) {
    const record = await ctx.db.get('paywordChains', payment.chainId);
    if (record === undefined) {
      throw recordMissing('PayWord chain', payment.chainId);
    }
    const { chain, commitment } = await chainOf(ctx, record);
    const paywordPayment = createPaywordPayment({
      chain,
      commitment,
      index: payment.index,
      firstUse: payment.firstUse,
    });
    return new TextDecoder().decode(
      encodeCredential({ type: 'payword', offer, payment: paywordPayment }),
    );
  },

  async settle(ctx, tx, payment) {
    const chain = await tx.objectStore('paywordChains').get(payment.chainId);
    return () => {
      if (chain === undefined || chain.acceptedIndex >= payment.index) return [];
      const accepted: PaywordChainRecord = { ...chain, acceptedIndex: payment.index };
      const write = tx.objectStore('paywordChains').put(accepted);
      // Every later transaction sees this write, so the next click expects it.
      expectChain(ctx.db, accepted);
      return [write];
    };
  },

  async refuse(tx, payment) {
    const chain = await tx.objectStore('paywordChains').get(payment.chainId);
    if (chain !== undefined)
      await tx.objectStore('paywordChains').put({ ...chain, status: 'closed' });
  },

  async release() {
    // Nothing left outside the database: the broker pays the vendor only for words it redeems.
  },
};
