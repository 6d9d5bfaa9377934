/**
 * The merchant's Ed25519 signatures on the click's path, offers and receipts, verified natively
 * by WebCrypto where it has Ed25519 (about a tenth of the pure-JS time), else by the protocol's
 * @noble/curves verifier. The imported key is kept per merchant key for the worker's lifetime.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import { offerSigningBytes, type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import { receipts, type SignedReceipt } from '@farthing/protocol/receipt';
import { WalletFailure } from '../errors.ts';
import { remembered } from '../memo.ts';

const webCryptoKeys = new Map<string, Promise<CryptoKey | undefined>>();

function webCryptoKey(publicKey: Uint8Array): Promise<CryptoKey | undefined> {
  return remembered(webCryptoKeys, toBase64url(publicKey), () =>
    crypto.subtle
      .importKey('raw', new Uint8Array(publicKey), { name: 'Ed25519' }, false, ['verify'])
      .catch(() => undefined),
  );
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

/**
 * One merchant-signed message type: its canonical signed bytes and the protocol's own check,
 * which serves where WebCrypto has no Ed25519.
 */
function merchantSignatureCheck<T extends { readonly signature: Uint8Array }>(
  signingBytes: (message: T) => Uint8Array,
  verifyPure: (message: T, parameters: { merchantPublicKey: Uint8Array }) => void,
): (message: T, publicKey: Uint8Array) => Promise<void> {
  return async (message, publicKey) => {
    const key = await webCryptoKey(publicKey);
    if (key === undefined) verifyPure(message, { merchantPublicKey: publicKey });
    else await webCryptoVerify(key, message.signature, signingBytes(message));
  };
}

/** Throws unless `publicKey` signed this offer. */
export const verifyOfferSignature: (offer: SignedOffer, publicKey: Uint8Array) => Promise<void> =
  merchantSignatureCheck(offerSigningBytes, verifyOffer);

/** Throws unless `publicKey` signed this receipt. */
export const verifyReceiptSignature: (
  receipt: SignedReceipt,
  publicKey: Uint8Array,
) => Promise<void> = merchantSignatureCheck(receipts.signingBytes, receipts.checkMerchantSignature);
