/**
 * The merchant's access-grant key (protocol access-grant.ts): HMAC-SHA256 over node:crypto,
 * compared with `timingSafeEqual`.
 *
 * The secret defaults to one derived from the offer key (HKDF-SHA256, RFC 5869, with its own
 * `info` label, so the two uses of the seed stay separate): every server holding the offer key
 * checks the grants of the others, and nothing new has to be kept or shared. A site whose
 * offer key lives elsewhere (an `Ed25519Signer`) gives `grantSecret`, or gets a random one per
 * process.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type AccessGrantKey,
  grantSecretLength,
  grantTagLength,
} from '@farthing/protocol/access-grant';
import { assertBytes } from '@farthing/protocol/errors';

const grantSecretInfo = 'farthing-merchant-sdk/access-grant-secret/v1';

/** An `AccessGrantKey` over a 32-byte secret, with Node's HMAC and constant-time comparison. */
export function nodeAccessGrantKey(secret: Uint8Array): AccessGrantKey {
  assertBytes(secret, 'grantSecret', grantSecretLength);
  const key = Buffer.from(secret);
  const tag = (message: Uint8Array): Uint8Array =>
    createHmac('sha256', key).update(message).digest();
  return {
    tag,
    check: (message, given) =>
      given.length === grantTagLength && timingSafeEqual(tag(message), given),
  };
}

/** The grant secret derived from a 32-byte offer-key seed (module comment). */
export function grantSecretFromOfferKey(seed: Uint8Array): Uint8Array {
  assertBytes(seed, 'offerKey', 32);
  return new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), grantSecretInfo, 32));
}

/** The configured secret, else the offer key's, else a random one (module comment). */
export function resolveGrantKey(
  grantSecret: Uint8Array | undefined,
  offerKey: unknown,
): AccessGrantKey {
  if (grantSecret !== undefined) return nodeAccessGrantKey(grantSecret);
  if (offerKey instanceof Uint8Array) return nodeAccessGrantKey(grantSecretFromOfferKey(offerKey));
  return nodeAccessGrantKey(new Uint8Array(randomBytes(grantSecretLength)));
}
