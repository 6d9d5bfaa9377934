/**
 * Reading credentials, with the PayWord hot path in mind (DESIGN.md "PayWord": after the
 * commitment, "one hash per click").
 *
 * Parsing a credential in full (`decodeCredential`) and checking it (`checkCredentialForOffer`)
 * costs ~200 µs here, nearly all of it for the offer: decoding the token, normalising its
 * resource, hashing it and verifying the merchant's own signature on it. Yet a merchant hands
 * one offer per resource to every visitor (offers.ts), so the same offer token comes back
 * click after click. Once a token has passed the full parse and check, this reader remembers
 * the parsed offer and its hash under the exact token text. A later PayWord credential for the
 * same token is parsed as `credentialSchema` would — the same envelope, the payment through
 * the protocol's own `parsePaywordPayment` — and only the checks that can change are run again
 * (freshness, instrument, vendor). Anything unusual falls back to `decodeCredential`, so every
 * refusal carries the protocol's own code and message.
 */
import {
  type Credential,
  checkCredentialForOffer,
  decodeCredential,
  maxCredentialBytes,
} from '@farthing/protocol/credential';
import { FarthingError } from '@farthing/protocol/errors';
import { checkOfferFresh, offerHash, type SignedOffer } from '@farthing/protocol/offer';
import { parsePaywordPayment } from '@farthing/protocol/payword/payment';
import type { ResolvedConfig } from '../config.ts';
import type { OfferBook } from '../pricing/offers.ts';

/** A credential as parsed, before its checks. */
export interface ParsedCredential {
  readonly credential: Credential;
  /** `offerHash(credential.offer)`. */
  readonly hash: Uint8Array;
  /** The offer token's text, for a PayWord credential (the reader's memory is keyed by it). */
  readonly token: string | undefined;
  /** Whether the token passed `checkCredentialForOffer` before. */
  readonly known: boolean;
}

interface KnownOffer {
  readonly offer: SignedOffer;
  readonly hash: Uint8Array;
}

const maxKnownOffers = 10_000;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const envelopeKeys = ['offer', 'payment', 'type', 'version'];

/** The credential wire JSON's PayWord envelope, exactly (credential.ts `credentialSchema`). */
function paywordEnvelope(json: unknown): { offer: string; payment: unknown } | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const record = json as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== envelopeKeys.length || keys.some((key, i) => key !== envelopeKeys[i])) {
    return undefined;
  }
  if (record.version !== 1 || record.type !== 'payword' || typeof record.offer !== 'string') {
    return undefined;
  }
  return { offer: record.offer, payment: record.payment };
}

/** Parses and checks credentials, remembering offer tokens that passed (module comment). */
export class CredentialReader {
  readonly #config: ResolvedConfig;
  readonly #offers: OfferBook;
  readonly #known = new Map<string, KnownOffer>();

  constructor(config: ResolvedConfig, offers: OfferBook) {
    this.#config = config;
    this.#offers = offers;
  }

  /** Parses credential bytes (`decodeCredential`'s input and codes). */
  parse(bytes: Uint8Array): ParsedCredential {
    let envelope: ReturnType<typeof paywordEnvelope>;
    if (bytes.length <= maxCredentialBytes) {
      try {
        envelope = paywordEnvelope(JSON.parse(utf8.decode(bytes)));
      } catch {
        envelope = undefined; // decodeCredential below says what is wrong
      }
    }
    const known = envelope === undefined ? undefined : this.#known.get(envelope.offer);
    if (envelope !== undefined && known !== undefined) {
      try {
        const payment = parsePaywordPayment(envelope.payment);
        return {
          credential: { type: 'payword', offer: known.offer, payment },
          hash: known.hash,
          token: envelope.offer,
          known: true,
        };
      } catch {
        // The full parse below names the field the way `parseCredential` does.
      }
    }
    const credential = decodeCredential(bytes);
    return { credential, hash: offerHash(credential.offer), token: envelope?.offer, known: false };
  }

  /** `checkCredentialForOffer`'s checks; throws its codes. */
  check(parsed: ParsedCredential): void {
    const { credential } = parsed;
    if (!parsed.known || credential.type !== 'payword') {
      checkCredentialForOffer(credential, {
        merchantId: this.#config.merchantId,
        merchantPublicKey: this.#config.publicKey,
        now: this.#config.now(),
        ed25519Verify: this.#offers.verify,
      });
      if (parsed.token !== undefined) {
        this.#remember(parsed.token, { offer: credential.offer, hash: parsed.hash });
      }
      return;
    }
    // What `checkCredentialForOffer` checks that can change between two payments of one offer
    // (its merchant id and signature cannot): expiry, instrument, the commitment's vendor.
    const { offer, payment } = credential;
    checkOfferFresh(offer, this.#config.now());
    if (!offer.instruments.includes('payword')) {
      throw new FarthingError('instrument_not_accepted', 'this offer does not accept payword', {
        details: { field: 'type', accepted: [...offer.instruments] },
      });
    }
    if (
      payment.commitment !== undefined &&
      payment.commitment.vendorId !== this.#config.merchantId
    ) {
      throw new FarthingError(
        'payword_vendor_mismatch',
        'the PayWord chain was committed to another vendor',
        { details: { field: 'payment.commitment.vendorId' } },
      );
    }
  }

  #remember(token: string, known: KnownOffer): void {
    if (this.#known.size >= maxKnownOffers) {
      this.#known.delete(this.#known.keys().next().value as string);
    }
    this.#known.set(token, known);
  }
}
