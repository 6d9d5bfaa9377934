/**
 * A merchant, a stranger and an offer for the tests of the top-level signed messages (offers,
 * offer tokens, receipts, credentials, access grants; not part of the API). Fixed keys and a
 * fixed nonce keep failures reproducible.
 */
import { amount } from './amount.ts';
import { ed25519Signer } from './ed25519.ts';
import type { SignOfferParameters } from './offer.ts';

/** The merchant that signs offers, receipts and grants in the tests. */
export const merchant = ed25519Signer(new Uint8Array(32).fill(0x4d));
/** Another key, whose signatures the merchant's checks must refuse. */
export const stranger = ed25519Signer(new Uint8Array(32).fill(0x53));

/** 2026-01-01T00:00:00Z. */
export const now = Date.UTC(2026, 0, 1);

/** EUR 0.05 for demo-shop's `/articles/7`, open for ten minutes from `now`. */
export const offerParameters: SignOfferParameters = {
  merchantId: 'demo-shop',
  merchantOrigin: 'https://shop.example',
  resource: '/articles/7',
  amount: amount('EUR', 5),
  createdAt: now,
  expiresAt: now + 600_000,
  instruments: ['ecash', 'payword'],
  nonce: new Uint8Array(16).fill(7),
  title: 'Article 7',
};
