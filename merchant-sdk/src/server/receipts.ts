/**
 * Receipts as the store keeps them: the wire JSON of `@farthing/protocol/receipt` without its
 * `signature`, every signed field fixed before the payment is stored.
 *
 * Why unsigned: the pay endpoint stores the payment (the durable commit, milliseconds) and signs
 * its receipt (the signing thread) at the same time, and answers once both are done. Ed25519
 * signing is deterministic (RFC 8032 §5.1.6: the nonce is a hash of the key and the message),
 * so a retry of the same credential signs the stored fields again and gets the identical
 * receipt. (A custom `offerKey` signer that hedges its nonce would give a retry the same
 * fields under another valid signature.) Stores written before this kept the signed JSON; that
 * is served as it is.
 */
import { formatAmount } from '@farthing/protocol/amount';
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { assertBytes } from '@farthing/protocol/errors';
import { type Receipt, receiptSchema, receiptSigningBytes } from '@farthing/protocol/receipt';
import { parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';

const unsignedReceiptSchema = v.omit(receiptSchema, ['signature']);

/** `receiptToWire` without `signature`, as JSON text (the same fields in the same order). */
export function unsignedReceiptJson(receipt: Receipt): string {
  return JSON.stringify({
    version: receipt.version,
    offerHash: toBase64url(receipt.offerHash),
    merchantId: receipt.merchantId,
    resource: receipt.resource,
    amount: formatAmount(receipt.amount),
    instrument: receipt.instrument,
    paidAt: receipt.paidAt,
    receiptId: toBase64url(receipt.receiptId),
  });
}

/**
 * The signed receipt's wire JSON for `receipt`, whose unsigned JSON is `unsigned`
 * (`unsignedReceiptJson(receipt)`): the signature appended as the last field.
 */
export async function signReceiptJson(
  receipt: Receipt,
  unsigned: string,
  signer: Ed25519Signer,
): Promise<string> {
  const signature = await signer.sign(receiptSigningBytes(receipt));
  assertBytes(signature, 'signature', 64);
  return `${unsigned.slice(0, -1)},"signature":"${toBase64url(signature)}"}`;
}

/** The signed wire JSON of a stored receipt (module comment): signs it again unless signed. */
export async function signStoredReceipt(stored: string, signer: Ed25519Signer): Promise<string> {
  const wire: unknown = JSON.parse(stored);
  if (typeof wire === 'object' && wire !== null && 'signature' in wire) return stored;
  const receipt = parseMessage(unsignedReceiptSchema, wire, 'stored receipt');
  return signReceiptJson(receipt, stored, signer);
}
