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
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { assertBytes } from '@farthing/protocol/errors';
import {
  type Receipt,
  type ReceiptFields,
  receiptIdLength,
  receipts,
} from '@farthing/protocol/receipt';
import { parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';

const unsignedReceiptSchema = v.omit(receipts.schema, ['signature']);

/** `receipts.toWire` as JSON text: what the store keeps. */
export function unsignedReceiptJson(receipt: Receipt): string {
  return JSON.stringify(receipts.toWire(receipt));
}

/**
 * `unsignedReceiptJson` for the receipts of one offer and instrument: the JSON of the fields
 * they share made once, each receipt appending its time and id.
 */
export function unsignedReceiptJsonTemplate(
  fields: ReceiptFields,
): (paidAt: number, receiptId: Uint8Array) => string {
  const shared = unsignedReceiptJson({
    ...fields,
    paidAt: 0,
    receiptId: new Uint8Array(receiptIdLength),
  });
  const prefix = shared.slice(0, shared.indexOf(',"paidAt":'));
  return (paidAt, receiptId) =>
    `${prefix},"paidAt":${JSON.stringify(paidAt)},"receiptId":"${toBase64url(receiptId)}"}`;
}

/**
 * The signed receipt's wire JSON for the receipt whose signing bytes are `signingBytes`
 * (`receipts.signingBytes`) and whose unsigned JSON is `unsigned` (`unsignedReceiptJson`): the
 * signature appended as the last field.
 */
export async function signReceiptJson(
  signingBytes: Uint8Array,
  unsigned: string,
  signer: Ed25519Signer,
): Promise<string> {
  return withSignature(unsigned, await signer.sign(signingBytes));
}

/** The signed receipt's wire JSON: `unsigned` with `signature` appended as the last field. */
export function withSignature(unsigned: string, signature: Uint8Array): string {
  assertBytes(signature, 'signature', 64);
  return `${unsigned.slice(0, -1)},"signature":"${toBase64url(signature)}"}`;
}

/** The signed wire JSON of a stored receipt (module comment): signs it again unless signed. */
export async function signStoredReceipt(stored: string, signer: Ed25519Signer): Promise<string> {
  const wire: unknown = JSON.parse(stored);
  if (typeof wire === 'object' && wire !== null && 'signature' in wire) return stored;
  const receipt = parseMessage(unsignedReceiptSchema, wire, 'stored receipt');
  return signReceiptJson(receipts.signingBytes(receipt), stored, signer);
}
