/** The cardholder key: a non-extractable WebCrypto Ed25519 key, as a protocol signer. */
import type { Ed25519Signer } from '@farthing/protocol/ed25519';

export function cardSigner(privateKey: CryptoKey, publicKey: Uint8Array): Ed25519Signer {
  return {
    publicKey,
    sign: async (message) =>
      new Uint8Array(await crypto.subtle.sign('Ed25519', privateKey, new Uint8Array(message))),
  };
}
