/**
 * The merchant's Ed25519 signatures on the click's path, offers and receipts, verified natively
 * by WebCrypto where it has Ed25519 (about a tenth of the pure-JS time), else by the protocol's
 * @noble/curves verifier. The imported key is kept per merchant key for the worker's lifetime.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { offerSigningBytes, type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import { receiptSigningBytes, type SignedReceipt, verifyReceipt } from '@farthing/protocol/receipt';
import { WalletFailure } from '../errors.ts';

const webCryptoKeys = new Map<string, Promise<CryptoKey | undefined>>();

function webCryptoKey(publicKey: Uint8Array): Promise<CryptoKey | undefined> {
  const id = toBase64url(publicKey);
  let key = webCryptoKeys.get(id);
  if (key === undefined) {
    key = crypto.subtle
      .importKey('raw', new Uint8Array(publicKey), { name: 'Ed25519' }, false, ['verify'])
      .catch(() => undefined);
    webCryptoKeys.set(id, key);
  }
  return key;
}

async function webCryptoVerify(
  key: CryptoKey,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<void> {
  const valid = await crypto.subtle.verify(
    'Ed25519',
    key,
    new Uint8Array(signature),
    new Uint8Array(message),
  );
  if (!valid) {
    throw new WalletFailure('signature_invalid', 'The merchant’s signature does not verify.');
  }
}

/** Throws unless `publicKey` signed this offer. */
export async function verifyOfferSignature(
  offer: SignedOffer,
  publicKey: Uint8Array,
): Promise<void> {
  const key = await webCryptoKey(publicKey);
  if (key === undefined) verifyOffer(offer, { merchantPublicKey: publicKey });
  else await webCryptoVerify(key, offer.signature, offerSigningBytes(offer));
}

/** Throws unless `publicKey` signed this receipt. */
export async function verifyReceiptSignature(
  receipt: SignedReceipt,
  publicKey: Uint8Array,
): Promise<void> {
  const key = await webCryptoKey(publicKey);
  if (key === undefined) verifyReceipt(receipt, { merchantPublicKey: publicKey });
  else await webCryptoVerify(key, receipt.signature, receiptSigningBytes(receipt));
}
