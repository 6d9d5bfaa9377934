/**
 * The merchant's offers (DESIGN.md "Priced link", step 1) and the checks of its own
 * signatures.
 *
 * An offer is a price statement, not a per-customer secret: every credential binds to its
 * hash, and PayWord and coin replays are stopped by the chain state and the mint, so one
 * offer per resource can be handed to every visitor. It is signed once and reused until half
 * its lifetime is gone, which keeps page rendering free of a signature per link and leaves a
 * payer at least half the lifetime to click.
 *
 * The merchant also checks its own signatures again and again (every payment carries an
 * offer, every paid page view a grant). A verified (signature, message digest) pair is
 * remembered, so the same offer paid by many payers costs one Ed25519 verification.
 */
import { createHash } from 'node:crypto';
import { maxCredentialBytes } from '@farthing/protocol/credential';
import type { Ed25519Verify } from '@farthing/protocol/ed25519';
import { FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import {
  checkOfferFresh,
  type SignedOffer,
  signOffer,
  verifyOffer,
} from '@farthing/protocol/offer';
import { offerToken, parseOfferToken } from '@farthing/protocol/offer-token';
import { parseMessage } from '@farthing/protocol/schema';
import * as v from 'valibot';
import type { SdkInstrument } from '../../store/store.ts';
import type { ResolvedConfig } from '../config.ts';
import { readJsonBody, requireJsonContentType } from '../http/http.ts';
import type { PricedResource } from './price-table.ts';

/** A signed offer with its compact token (the `data-farthing-offer` and challenge form). */
export interface IssuedOffer {
  readonly offer: SignedOffer;
  readonly token: string;
}

const maxCachedOffers = 10_000;

/** `{ "offer": "<token>" }`: what a payer posts to ask for a purse challenge or a card initiation. */
const offerRequestSchema = v.strictObject({ offer: v.pipe(v.string(), v.maxLength(8192)) });
const maxRememberedSignatures = 16_384;

interface CachedOffer {
  readonly issued: Promise<IssuedOffer>;
  readonly renewAt: number;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Signs, reuses and checks the merchant's offers (module comment). */
export class OfferBook {
  readonly #config: ResolvedConfig;
  readonly #offers = new Map<string, CachedOffer>();
  readonly #verified = new Map<string, string>();

  constructor(config: ResolvedConfig) {
    this.#config = config;
  }

  /**
   * An offer token a payer sends back before paying (a purse challenge request, a card
   * initiation), checked as the pay endpoint checks a credential's offer: this merchant's,
   * signed with its key, fresh, and accepting `instrument`.
   */
  checkedOwnToken(token: string, instrument: SdkInstrument): SignedOffer {
    const config = this.#config;
    const offer = parseOfferToken(token);
    if (offer.merchantId !== config.merchantId) {
      throw new FarthingError('merchant_mismatch', 'the offer is another merchant’s', {
        details: { field: 'offer.merchantId' },
      });
    }
    verifyOffer(offer, { merchantPublicKey: config.publicKey, ed25519Verify: this.verify });
    checkOfferFresh(offer, config.now());
    if (!offer.instruments.includes(instrument)) {
      throw new FarthingError(
        'instrument_not_accepted',
        `this offer does not accept ${instrument}`,
        {
          details: { field: 'type', accepted: [...offer.instruments] },
        },
      );
    }
    return offer;
  }

  /**
   * The offer a payer posts as `{ "offer": "<token>" }` (`what` names the request in errors),
   * read from an `application/json` body and checked as `checkedOwnToken` does.
   */
  async ownOfferOfRequest(
    request: Request,
    instrument: SdkInstrument,
    what: string,
  ): Promise<SignedOffer> {
    requireJsonContentType(request, 'the offer');
    const json = await readJsonBody(request, maxCredentialBytes, 'the offer');
    const { offer } = parseMessage(offerRequestSchema, json, what);
    return this.checkedOwnToken(offer, instrument);
  }

  /** The current offer for a priced resource as served on `origin`. */
  offerFor(priced: PricedResource, origin: string): Promise<IssuedOffer> {
    const now = this.#config.now();
    const key = `${origin} ${priced.resource}`;
    const cached = this.#offers.get(key);
    if (cached !== undefined && now < cached.renewAt) return cached.issued;
    const lifetime = this.#config.offerLifetimeMs;
    const issued = signOffer(
      {
        merchantId: this.#config.merchantId,
        merchantOrigin: origin,
        resource: priced.resource,
        amount: priced.price,
        createdAt: now,
        expiresAt: now + lifetime,
        instruments: this.#config.instruments,
        ...(priced.title === undefined ? {} : { title: priced.title }),
      },
      this.#config.signer,
    ).then((offer) => ({ offer, token: offerToken(offer) }));
    // A failed signature is not remembered: the next request tries again.
    issued.catch(() => this.#offers.delete(key));
    this.#offers.delete(key);
    if (this.#offers.size >= maxCachedOffers) {
      this.#offers.delete(this.#offers.keys().next().value as string);
    }
    this.#offers.set(key, { issued, renewAt: now + Math.floor(lifetime / 2) });
    return issued;
  }

  /**
   * Ed25519 verification that remembers what it verified under the merchant's own key. A hit
   * needs the same signature over a message with the same SHA-256, which is the same check.
   */
  readonly verify: Ed25519Verify = (signature, message, publicKey) => {
    const own =
      publicKey.length === this.#config.publicKey.length &&
      publicKey.every((byte, i) => byte === this.#config.publicKey[i]);
    if (!own) return nodeEd25519Verify(signature, message, publicKey);
    const key = latin1(signature);
    const digest = createHash('sha256').update(message).digest('base64');
    if (this.#verified.get(key) === digest) return true;
    if (!nodeEd25519Verify(signature, message, publicKey)) return false;
    if (this.#verified.size >= maxRememberedSignatures) {
      this.#verified.delete(this.#verified.keys().next().value as string);
    }
    this.#verified.set(key, digest);
    return true;
  };
}
