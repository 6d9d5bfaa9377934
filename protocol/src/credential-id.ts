/**
 * A credential's id: what makes two credentials "the same payment" (the offer and exactly what
 * is spent), SHA-256 over a label, the offer hash and the instrument's spent parts. The merchant
 * stores a payment under it, so a resent credential gets the first receipt back, and a refund
 * request names the payment by it.
 *
 * The hash function is the caller's: the merchant SDK passes Node's `createHash('sha256')`,
 * about 3× faster than the portable one on its hot path, and the wallet the portable default.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Credential } from './credential.ts';
import { compareBytes, utf8Bytes } from './encoding.ts';

/** Incremental SHA-256, as Node's `Hash` and `@noble/hashes` both have it. */
export interface Sha256Digest {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** `offerHash`: the offer's hash (offer.ts `offerHash`) as the payer and merchant computed it. */
export function credentialIdOf(
  credential: Credential,
  offerHash: Uint8Array,
  digest: Sha256Digest = sha256.create(),
): Uint8Array {
  digest.update(utf8Bytes(`farthing-merchant-sdk/credential/${credential.type}\0`));
  digest.update(offerHash);
  if (credential.type === 'payword') {
    const { payment } = credential;
    digest.update(payment.commitmentId);
    digest.update(u32(payment.index));
    digest.update(payment.word);
  } else if (credential.type === 'purse') {
    digest.update(credential.proofBytes); // card id and SNo: what the card spent
  } else if (credential.type === 'card') {
    // The transaction and the cardholder's signature over this very request (the SDK refuses
    // any other request for a paid transaction).
    const { purchase } = credential;
    digest.update(utf8Bytes(`${purchase.body.transactionId}\0`));
    digest.update(purchase.signature);
  } else {
    const coins = [...credential.coins].sort((a, b) =>
      compareBytes(a.coin.coinPublicKey, b.coin.coinPublicKey),
    );
    for (const coin of coins) {
      digest.update(coin.coin.coinPublicKey);
      digest.update(coin.signature);
    }
  }
  return new Uint8Array(digest.digest());
}
