/**
 * Object identifiers the certificate profiles use.
 *
 * Farthing's own arc is a UUID-derived OID under `2.25` (ITU-T X.667 | ISO/IEC 9834-8 §6.3):
 * anyone may form `2.25.<the UUID as one decimal integer>` without registering it, and the
 * 122 random bits of a version-4 UUID make a collision with another holder negligible. The
 * UUID was generated once for this project and is written here so it never changes:
 *
 *   5ea1d326-5556-4d60-99c2-56992967d60e
 *   = 2.25.125787674023513304205142869238587315726
 *
 * Below it, Farthing allocates:
 *
 *   .1      key purposes, used in the extended key usage extension (RFC 5280 §4.2.1.12)
 *   .1.1    signs Farthing offers as a merchant (merchant-certificate.ts)
 *   .1.2    SET cardholder: signs dual signatures (set/cardholder-certificate.ts)
 *   .1.3    SET payment gateway: signs gateway answers, or receives PI envelopes
 *           (set/gateway-certificates.ts)
 *   .1.4    signs hardware purse payment proofs and load requests as a purse card
 *           (purse/card-certificate.ts)
 *
 * An arc is never reused for another meaning; a profile that changes incompatibly takes a new
 * number.
 */

export const farthingArc = '2.25.125787674023513304205142869238587315726';

export const farthingKeyPurposes = {
  merchantOfferSigning: `${farthingArc}.1.1`,
  setCardholder: `${farthingArc}.1.2`,
  setPaymentGateway: `${farthingArc}.1.3`,
  purseCard: `${farthingArc}.1.4`,
} as const;

/** RFC 8410 §3: id-X25519, the key-agreement key of a SET gateway's key-exchange certificate. */
export const idX25519 = '1.3.101.110';

/** RFC 8410 §3: id-Ed25519, both the key algorithm and the signature algorithm. */
export const idEd25519 = '1.3.101.112';
/** RFC 5480 §2.1.1: id-ecPublicKey. */
export const idEcPublicKey = '1.2.840.10045.2.1';
/** RFC 5480 §2.1.1.1: secp256r1 (NIST P-256). */
export const idSecp256r1 = '1.2.840.10045.3.1.7';
/** RFC 5758 §3.2: ecdsa-with-SHA256. */
export const idEcdsaWithSha256 = '1.2.840.10045.4.3.2';

/** X.520 attribute types (RFC 5280 Appendix A.1). */
export const idAtCommonName = '2.5.4.3';
export const idAtOrganizationName = '2.5.4.10';

/**
 * RFC 5280 §4.2.1: the certificate extensions Farthing writes (certificate-builder.ts) and
 * understands when it reads a certificate (certificate.ts), so they may be marked critical.
 */
export const extensionOids = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;
