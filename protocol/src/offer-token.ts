/**
 * The compact form of a signed offer, for places where JSON is awkward: the
 * `data-farthing-offer` attribute of a priced link and the `offer` parameter of the HTTP 402
 * `WWW-Authenticate: Farthing` challenge (http/farthing-auth.ts carries these bytes opaquely).
 *
 *   bytes = offerSigningBytes(offer) ‖ signature (64 bytes)
 *   token = base64url(bytes), unpadded (RFC 4648 §5)
 *
 * The signing bytes start with the `farthing/offer` tag and the version, so the bytes say what
 * they are. Parsing is strict: one offer has exactly one byte form and one token, and
 * `parseOfferToken(offerToken(o))` gives back `o`.
 */

import { CanonicalReader, readSigningHeader } from './canonical-reader.ts';
import { concatBytes, fromBase64url, toBase64url } from './encoding.ts';
import { assertBytes, FarthingError, isFarthingError } from './errors.ts';
import {
  assertOffer,
  isPaymentInstrument,
  maxOfferTitleLength,
  type Offer,
  offerNonceLength,
  offerSigningBytes,
  offerVersion,
  paymentInstruments,
  type SignedOffer,
} from './offer.ts';

/** Far above any real offer (~300 bytes); refused before decoding anything. */
export const maxOfferBytes = 8192;
const signatureLength = 64;

export function offerToBytes(offer: SignedOffer): Uint8Array {
  assertBytes(offer?.signature, 'signature', signatureLength);
  return concatBytes(offerSigningBytes(offer), offer.signature);
}

/**
 * Decodes offer bytes: `invalid_encoding` when the bytes are not an offer's layout,
 * `unsupported_version`, or `invalid_message` when the fields break an offer rule. Does not
 * check the signature (`verifyOffer`).
 */
export function offerFromBytes(bytes: Uint8Array): SignedOffer {
  assertBytes(bytes, 'offer');
  if (bytes.length > maxOfferBytes) {
    throw new FarthingError('invalid_encoding', `offer is longer than ${maxOfferBytes} bytes`, {
      details: { field: 'offer', got: bytes.length },
    });
  }
  const reader = new CanonicalReader(bytes);
  readSigningHeader(reader, 'offer', offerVersion, 'offer');
  const merchantId = reader.string('merchantId', 128);
  const merchantOrigin = reader.string('merchantOrigin');
  const resource = reader.string('resource');
  const amount = reader.amount('amount');
  const createdAt = reader.u64('createdAt');
  const expiresAt = reader.u64('expiresAt');
  const instruments = reader.list('instruments', paymentInstruments.length, (r, index) => {
    const instrument = r.string(`instruments.${index}`, 16);
    if (!isPaymentInstrument(instrument)) {
      throw new FarthingError('invalid_message', `unknown instrument "${instrument}"`, {
        details: { field: `instruments.${index}` },
      });
    }
    return instrument;
  });
  const nonce = reader.fixed(offerNonceLength, 'nonce');
  const title = reader.optional('title', (r) => r.string('title', maxOfferTitleLength));
  const signature = reader.fixed(signatureLength, 'signature');
  reader.end('offer');

  const offer: Offer = {
    version: offerVersion,
    merchantId,
    merchantOrigin,
    resource,
    amount,
    createdAt,
    expiresAt,
    instruments,
    nonce,
    ...(title === undefined ? {} : { title }),
  };
  try {
    assertOffer(offer);
  } catch (error) {
    if (!isFarthingError(error, 'invalid_argument')) throw error;
    throw new FarthingError('invalid_message', `invalid offer: ${error.shortMessage}`, {
      details: { ...error.details, message: 'offer' },
      cause: error,
    });
  }
  return Object.freeze({ ...offer, signature });
}

/** The offer as one opaque base64url token. */
export function offerToken(offer: SignedOffer): string {
  return toBase64url(offerToBytes(offer));
}

/** Parses a token from `offerToken`; see `offerFromBytes` for the codes. */
export function parseOfferToken(token: unknown): SignedOffer {
  // 4 base64url characters carry 3 bytes.
  if (typeof token === 'string' && token.length > Math.ceil((maxOfferBytes * 4) / 3)) {
    throw new FarthingError('invalid_encoding', 'offer token is too long', {
      details: { field: 'offer' },
    });
  }
  return offerFromBytes(fromBase64url(token, 'offer'));
}
