/**
 * The payment that reveals a chain's next words for an offer, `sent` and with its credential,
 * and the task that drives it: what a reservation stores (reservation.ts) and what words
 * prepared for a hovered link keep in memory until the click stores it (prepared.ts).
 */
import { encodeCredential } from '@farthing/protocol/credential';
import type { PaywordChain } from '@farthing/protocol/payword/chain';
import type { PaywordCommitment } from '@farthing/protocol/payword/commitment';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import type { PaywordChainRecord, PaywordPaymentRecord, TaskRecord } from '../../db/schema.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { basePayment } from '../../pay/reservation.ts';
import { newTask } from '../../tasks.ts';

export function wordPayment(
  checked: CheckedOffer,
  chain: PaywordChainRecord,
  live: { chain: PaywordChain; commitment: PaywordCommitment },
  words: number,
  now: number,
): { readonly payment: PaywordPaymentRecord; readonly task: TaskRecord } {
  const price = checked.offer.amount;
  const index = chain.reservedIndex + words;
  const task = newTask('pay', '', { currency: price.currency, minor: price.minor }, now);
  // The commitment goes along until the vendor has accepted a word of this chain.
  const firstUse = chain.acceptedIndex === 0;
  const credential = new TextDecoder().decode(
    encodeCredential({
      type: 'payword',
      offer: checked.offer,
      payment: createPaywordPayment({
        chain: live.chain,
        commitment: live.commitment,
        index,
        firstUse,
      }),
    }),
  );
  const payment: PaywordPaymentRecord = {
    ...basePayment(checked, task.id, now),
    instrument: 'payword',
    chainId: chain.id,
    index,
    firstUse,
    status: 'sent',
    credential,
  };
  return { payment, task: { ...task, ref: payment.id, status: 'sent' } };
}
