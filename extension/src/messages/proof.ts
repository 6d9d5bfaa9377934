/** Proof of payment (wallet/proof/): the history page's "Prove this payment". */
import * as v from 'valibot';
import { output, pageAction } from './output.ts';

export const proofActions = {
  /** The mint's signed statement for an e-cash payment, as a JSON file and a readable page. */
  'payment.prove': pageAction(
    v.strictObject({ receiptId: v.pipe(v.string(), v.minLength(1), v.maxLength(128)) }),
    output<{
      readonly fileName: string;
      readonly text: string;
      readonly pageName: string;
      readonly page: string;
    }>(),
  ),
} as const;
