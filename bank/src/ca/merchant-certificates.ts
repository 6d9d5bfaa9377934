/**
 * Issuing merchant certificates (profile: @farthing/protocol/x509/merchant-certificate).
 *
 * `issueMerchantCertificate` signs what it is given; `certifyMerchantRegistration` is the
 * registration flow: it checks the merchant's signed request (proof of possession of the offer
 * key, addressed to this bank, fresh) and issues a certificate for it. Neither decides whether
 * the merchant may claim that id and those origins: the HTTP layer does, from the merchant's
 * authenticated account, before calling.
 */
import { assertInteger, FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import {
  type MerchantCertificateFields,
  merchantCertificateTemplate,
} from '@farthing/protocol/x509/merchant-certificate';
import {
  type SignedMerchantRegistration,
  verifyMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { encodePem } from '@farthing/protocol/x509/pem';
import { type CertificateAuthority, randomSerialNumber } from './certificate-authority.ts';

/** How long a merchant certificate lives by default. Short, so the revocation list (which
 * lists only unexpired certificates, origin-routes.ts) stays short too. */
export const defaultMerchantCertificateValidity = 30 * 86_400_000;

/** A new certificate is dated this much before `now`, so wallets whose clocks run a little
 * behind the bank's do not see it as not yet valid. */
export const clockSkewAllowance = 60 * 60_000;

export interface IssueMerchantCertificateParameters extends MerchantCertificateFields {
  /** Milliseconds since the Unix epoch, rounded down to the second. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Defaults to `randomSerialNumber()`. */
  readonly serialNumber?: Uint8Array;
}

export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  /** Unsigned big-endian, as in the certificate. */
  readonly serialNumber: Uint8Array;
  /** As written in the certificate (whole seconds), milliseconds since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Signs a merchant certificate with the CA key. Throws `invalid_argument` for fields that break
 * the profile, and for a validity period outside the CA's own (a certificate that outlives its
 * issuer would be refused by every wallet once the CA expires).
 */
export async function issueMerchantCertificate(
  ca: CertificateAuthority,
  parameters: IssueMerchantCertificateParameters,
): Promise<IssuedCertificate> {
  assertInteger(parameters?.notBefore, 'notBefore');
  assertInteger(parameters.notAfter, 'notAfter');
  if (parameters.notBefore < ca.notBefore || parameters.notAfter > ca.notAfter) {
    throw new FarthingError(
      'invalid_argument',
      "the certificate's validity must lie within the CA certificate's",
      { details: { field: 'notAfter', caNotBefore: ca.notBefore, caNotAfter: ca.notAfter } },
    );
  }
  const template = merchantCertificateTemplate({
    merchantId: parameters.merchantId,
    name: parameters.name,
    origins: parameters.origins,
    offerPublicKey: parameters.offerPublicKey,
    serialNumber: parameters.serialNumber ?? randomSerialNumber(),
    notBefore: parameters.notBefore,
    notAfter: parameters.notAfter,
  });
  const der = await signCertificate(template, ca.issuer);
  const parsed = parseCertificate(der);
  return Object.freeze({
    der,
    pem: encodePem('CERTIFICATE', der),
    serialNumber: parsed.serialNumber,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  });
}

export interface CertifyMerchantRegistrationParameters {
  /** This bank's id, which the request must name. */
  readonly bankId: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
  /** Defaults to `defaultMerchantCertificateValidity`, cut short at the CA's own expiry. */
  readonly validity?: number;
}

/**
 * Verifies a parsed registration request (`bad_signature`, `registration_wrong_bank`,
 * `registration_stale`) and issues the certificate it asks for, valid from `now` (less
 * `clockSkewAllowance`) for `validity`.
 */
export async function certifyMerchantRegistration(
  ca: CertificateAuthority,
  registration: SignedMerchantRegistration,
  parameters: CertifyMerchantRegistrationParameters,
): Promise<IssuedCertificate> {
  const { bankId, now, validity = defaultMerchantCertificateValidity } = parameters ?? {};
  assertInteger(validity, 'validity', 1000);
  verifyMerchantRegistration(registration, { bankId, now, ed25519Verify: nodeEd25519Verify });
  return issueMerchantCertificate(ca, {
    merchantId: registration.merchantId,
    name: registration.name,
    origins: registration.origins,
    offerPublicKey: registration.offerPublicKey,
    notBefore: Math.max(now - clockSkewAllowance, ca.notBefore),
    notAfter: Math.min(now + validity, ca.notAfter),
  });
}
