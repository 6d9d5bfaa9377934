/**
 * Paying with the hardware purse (DESIGN.md "Hardware purse over WebHID"; issue 17), the
 * background's side. The steps, each durable before the next:
 *
 * 1. Reserve: the payment record, its budget journal entry and its task (as for e-cash).
 * 2. Ask the merchant for a challenge bound to the offer (SDK `purse-challenge` endpoint) and
 *    store it (strict) in `purseProofs` before the card sees it.
 * 3. Open the trusted confirmation window for it: that page holds the reader (the service
 *    worker cannot: WebHID is not exposed to extension service workers), shows "Confirm on
 *    your reader", and has the card answer the challenge — first PROOF AGAIN (the card may have
 *    paid it already, its answer lost), PAY only when the card says it never did.
 * 4. The page hands the proof over (`purse.proof`): checked against the challenge and the card
 *    certificate, stored (strict) at once. Only then does the page answer the window.
 * 5. The credential is built from the stored proof and sent as every credential is (pay.ts);
 *    a resend after a crash sends the same proof, which the merchant answers with the same
 *    receipt. A proof is never asked of the card twice and never lost once the wallet has it.
 */

import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { equalBytes, fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import type { SignedOffer } from '@farthing/protocol/offer';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import { purseChallenges } from '@farthing/protocol/purse/challenge';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import * as v from 'valibot';
import type { Instrument } from '../../../messages/contract.ts';
import type { PurseChallengeView } from '../../../messages/purse.ts';
import { bankKey } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import { moneyTx, type PaymentRecord, rebuildableTx, writeDurably } from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import { merchantParty, requestJson } from '../../http.ts';
import { assertMerchantCertificateNotRevoked } from '../../pay/merchant-revocations.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import {
  basePayment,
  journalEntry,
  openReservation,
  reserveStores,
} from '../../pay/reservation.ts';
import { newTask, setTask } from '../../tasks.ts';
import { pairedReader, requirePairedReader } from './reader.ts';
import type { PurseProofRecord } from './records.ts';
import { whileChallenging } from './resume.ts';

/**
 * Purse payments whose click is waiting in this worker for the window's answer: their flow
 * sends the credential itself. A proof for any other (the worker was stopped meanwhile, or the
 * payment was given up) is sent by the task runner (`storeProof` kicks it).
 */
const awaitingWindow = new Set<string>();

/** The SDK's challenge endpoint beside its pay endpoint (merchant-sdk purse/purse-pay.ts). */
export function challengeEndpointOf(payEndpoint: string): string {
  return new URL('/.well-known/farthing/purse-challenge', payEndpoint).href;
}

/**
 * Whether a click on this offer pays with the purse: the merchant takes it, the user paired a
 * card and prefers it, the card is from the bank that certifies the merchant (the merchant
 * verifies its proofs against that CA), in the offer's currency, and holds the price as last read.
 */
export async function purseMayPay(ctx: WalletContext, checked: CheckedOffer): Promise<boolean> {
  if (!checked.offer.instruments.includes('purse')) return false;
  const reader = await pairedReader(ctx);
  if (reader === undefined) return false;
  return (
    reader.preferred &&
    reader.state === 'active' &&
    reader.bankUrl === checked.bank.url &&
    reader.balance.currency === checked.offer.amount.currency &&
    reader.balance.minor >= checked.offer.amount.minor
  );
}

/** Step 1: a new purse payment, or (writing nothing) this resource's payment already made. */
export async function reservePurse(
  ctx: WalletContext,
  checked: CheckedOffer,
): Promise<PaymentRecord> {
  const now = ctx.platform.now();
  const tx = rebuildableTx(ctx.db, [...reserveStores]);
  const earlier = await openReservation(tx, checked, now);
  if (earlier !== undefined) return earlier;
  const price = checked.offer.amount;
  const task = newTask('pay', '', { currency: price.currency, minor: price.minor }, now);
  const payment: PaymentRecord = {
    ...basePayment(checked, task.id, now),
    instrument: 'purse',
  };
  await tx.objectStore('payments').add(payment);
  await tx.objectStore('journal').add(journalEntry(payment, now));
  await tx.objectStore('tasks').add({ ...task, ref: payment.id });
  await tx.done;
  return payment;
}

const challengeAnswer = v.object({
  tno: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  challenge: v.pipe(v.string(), v.maxLength(4096)),
  merchantChain: v.pipe(v.array(v.pipe(v.string(), v.maxLength(8192))), v.maxLength(4)),
});

/**
 * The chain the card will verify and the reader will name as payee must be one the wallet
 * trusts for this payment: valid now under the bank the offer was checked with, for the page's
 * origin, certifying the very key that signed the offer, under the name the wallet showed, and
 * not revoked. Otherwise an older or revoked certificate of the same merchant id could be the
 * one the reader shows and the card accepts.
 */
async function checkChallengeChain(
  ctx: WalletContext,
  payment: PaymentRecord,
  chain: readonly Uint8Array[],
): Promise<void> {
  const bank = await ctx.db.get('banks', bankKey(payment.bankUrl));
  const refused = (cause?: unknown) =>
    new WalletFailure(
      'merchant_not_certified',
      `${payment.origin} sent its challenge with another certificate than it was checked with.`,
      cause === undefined ? {} : { cause },
    );
  if (bank === undefined) throw refused();
  let verified: ReturnType<typeof verifyMerchantCertificate>;
  try {
    verified = verifyMerchantCertificate({
      chain: [...chain],
      trustedRoots: [bank.caCertificate],
      origin: payment.origin,
      now: ctx.platform.now(),
    });
  } catch (error) {
    throw refused(error);
  }
  if (
    !equalBytes(verified.offerPublicKey, payment.offerPublicKey) ||
    verified.merchantId !== payment.merchantId ||
    verified.name !== payment.merchantName
  ) {
    throw refused();
  }
  await assertMerchantCertificateNotRevoked(ctx, bank, verified.serialNumber);
}

/** Step 2: the merchant's challenge for the payment's offer, stored before the card sees it. */
export async function challengePayment(
  ctx: WalletContext,
  payment: PaymentRecord,
): Promise<PurseProofRecord> {
  const stored = await ctx.db.get('purseProofs', payment.id);
  if (stored !== undefined) return stored;
  const reader = await requirePairedReader(ctx);
  const answer = await requestJson(
    ctx.platform,
    merchantParty,
    {
      method: 'POST',
      url: challengeEndpointOf(payment.payEndpoint),
      body: { offer: payment.offerToken },
    },
    challengeAnswer,
  );
  const challenge = fromBase64url(answer.challenge);
  const decoded = purseChallenges.decode(challenge);
  // The card checks the merchant's signature and certificate; the wallet checks it is this offer's.
  if (
    decoded.merchantId !== payment.merchantId ||
    decoded.amount.currency !== payment.price.currency ||
    decoded.amount.minor !== payment.price.minor ||
    decoded.tno !== answer.tno
  ) {
    throw new WalletFailure(
      'merchant_refused',
      `${payment.origin} sent a challenge for another payment.`,
    );
  }
  const merchantChain = answer.merchantChain.map((der) => fromBase64url(der));
  await checkChallengeChain(ctx, payment, merchantChain);
  const record: PurseProofRecord = {
    paymentId: payment.id,
    cardId: reader.cardId,
    tno: decoded.tno,
    challenge,
    merchantChain,
    status: 'challenged',
    createdAt: ctx.platform.now(),
  };
  await writeDurably(ctx.db, 'purseProofs', 'add', record);
  return record;
}

/** The purse payment a page names, or `invalid_message`. */
async function purseProof(ctx: WalletContext, paymentId: string): Promise<PurseProofRecord> {
  const record = await ctx.db.get('purseProofs', paymentId);
  if (record === undefined) {
    throw new WalletFailure('invalid_message', 'There is no purse payment with this id.');
  }
  return record;
}

export async function challengeView(
  ctx: WalletContext,
  paymentId: string,
): Promise<PurseChallengeView> {
  const record = await purseProof(ctx, paymentId);
  return {
    paymentId,
    cardId: record.cardId,
    challenge: toBase64url(record.challenge),
    merchantChain: record.merchantChain.map(toBase64url),
    status: record.status,
  };
}

/**
 * Step 4: the card's proof, checked (the payment's challenge, signed by the paired card's
 * certified key) and stored in one strict transaction. A payment given up meanwhile (the window
 * closed as the holder pressed confirm) is reopened: its task and budget entry are live again,
 * so the task runner delivers the proof and the card's money reaches the merchant.
 */
export async function storeProof(
  ctx: WalletContext,
  paymentId: string,
  proofText: string,
  kick: () => void,
): Promise<{ stored: true }> {
  const reader = await requirePairedReader(ctx);
  const record = await purseProof(ctx, paymentId);
  const bytes = fromBase64url(proofText);
  if (record.status === 'proved' && record.proof !== undefined) {
    if (equalBytes(record.proof, bytes)) return { stored: true };
    throw new WalletFailure('purse_card_refused', 'This payment has a proof already.');
  }
  const proof = purseProofs.decode(bytes);
  const challenge = purseChallenges.decode(record.challenge);
  const bank = await ctx.db.get('banks', reader.bankUrl);
  const card = verifyPurseCardCertificate({
    chain: [reader.certificate],
    trustedRoots: bank === undefined ? [] : [bank.caCertificate],
    now: ctx.platform.now(),
  });
  if (
    proof.cardId !== record.cardId ||
    card.cardId !== proof.cardId ||
    proof.merchantId !== challenge.merchantId ||
    proof.tno !== challenge.tno ||
    proof.amount.minor !== challenge.amount.minor ||
    proof.amount.currency !== challenge.amount.currency ||
    !equalBytes(proof.nonce, challenge.nonce)
  ) {
    throw new WalletFailure('purse_card_refused', 'The card answered another payment.');
  }
  purseProofs.verify(proof, card.cardPublicKey);
  const now = ctx.platform.now();
  const tx = moneyTx(ctx.db, ['purseProofs', 'payments', 'journal', 'tasks']);
  await tx
    .objectStore('purseProofs')
    .put({ ...record, status: 'proved', proof: bytes, sno: proof.sno });
  const payment = await tx.objectStore('payments').get(paymentId);
  let reopened = false;
  if (payment?.status === 'failed') {
    reopened = true;
    const { error: _error, ...rest } = payment;
    await tx.objectStore('payments').put({ ...rest, status: 'reserved' });
    for (const entry of await tx.objectStore('journal').index('paymentId').getAll(paymentId)) {
      await tx.objectStore('journal').put({ ...entry, status: 'reserved' });
    }
    await setTask(
      tx.objectStore('tasks'),
      payment.taskId,
      { status: 'reserved', error: null },
      now,
    );
  }
  await tx.done;
  if (reopened || !awaitingWindow.has(paymentId)) kick();
  return { stored: true };
}

/** The card refused or the holder cancelled on the reader: nothing was paid. */
export async function refusePayment(
  ctx: WalletContext,
  paymentId: string,
  code: 'purse_cancelled' | 'purse_card_refused',
): Promise<null> {
  const record = await ctx.db.get('purseProofs', paymentId);
  if (record === undefined || record.status === 'proved') return null;
  await writeDurably(ctx.db, 'purseProofs', 'put', { ...record, status: 'refused', refusal: code });
  return null;
}

/** Step 5's credential, from the stored proof; `reader_unavailable` (transient) without one. */
export async function purseCredential(
  ctx: WalletContext,
  payment: PaymentRecord,
  offer: SignedOffer,
): Promise<string> {
  const record = await ctx.db.get('purseProofs', payment.id);
  const reader = await pairedReader(ctx);
  if (record?.proof === undefined || reader === undefined || reader.cardId !== record.cardId) {
    throw new WalletFailure(
      'reader_unavailable',
      'This purse payment waits for your reader: open the Farthing window and confirm on the reader.',
      { detail: { transient: true }, hint: 'purse' },
    );
  }
  const credential: Credential = {
    type: 'purse',
    offer,
    proofBytes: record.proof,
    proof: purseProofs.decode(record.proof),
    cardCertificate: reader.certificate,
  };
  return new TextDecoder().decode(encodeCredential(credential));
}

export interface PursePaySteps {
  readonly confirm: (paymentId: string) => Promise<boolean>;
  readonly send: (
    payment: PaymentRecord,
  ) => Promise<import('../../../messages/contract.ts').PayOutcome>;
  readonly fail: (payment: PaymentRecord, error: WalletFailure) => Promise<void>;
}

/** Steps 1–5 for a click that pays with the purse (pay.ts hands over its own send and fail). */
export async function payWithPurse(
  ctx: WalletContext,
  checked: CheckedOffer,
  steps: PursePaySteps,
): Promise<import('../../../messages/contract.ts').PayOutcome> {
  const payment = await reservePurse(ctx, checked);
  if (payment.instrument !== ('purse' satisfies Instrument) || payment.status !== 'reserved') {
    return steps.send(payment);
  }
  let record: PurseProofRecord;
  try {
    record = await whileChallenging(payment.id, () => challengePayment(ctx, payment));
  } catch (error) {
    // Nothing was asked of the card yet: the payment ends here, transient or not (a click
    // again asks the merchant afresh), so no budget stays reserved for a challenge never had.
    const failure =
      error instanceof WalletFailure
        ? error
        : new WalletFailure('merchant_refused', `${payment.origin} gave no purse challenge.`);
    await steps.fail(payment, failure);
    throw failure;
  }
  if (record.status !== 'proved') {
    awaitingWindow.add(payment.id);
    try {
      await steps.confirm(payment.id);
    } finally {
      awaitingWindow.delete(payment.id);
    }
    record = (await ctx.db.get('purseProofs', payment.id)) ?? record;
  }
  if (record.status !== 'proved') {
    const error =
      record.status === 'refused'
        ? record.refusal === 'purse_card_refused'
          ? new WalletFailure(
              'purse_card_refused',
              'The card refused this payment; nothing was paid.',
            )
          : new WalletFailure(
              'purse_cancelled',
              'The payment was cancelled on the reader; nothing was paid.',
            )
        : new WalletFailure(
            'confirmation_declined',
            'You declined this payment; nothing was paid.',
          );
    await steps.fail(payment, error);
    throw error;
  }
  return steps.send(payment);
}
