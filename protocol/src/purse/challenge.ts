/**
 * The merchant's challenge (DESIGN.md "Hardware purse"; the seeds' GeldKarte): the merchant
 * asks the card for amount M under its transaction number TNo with a fresh random nonce, and
 * signs that with its offer key. The card authenticates the merchant offline from the
 * merchant certificate chain that comes with it and the issuer's root the card holds, shows
 * the certificate's name as the payee, and binds its proof to TNo and the nonce, so a proof
 * cannot be replayed to this or another merchant.
 */
import type { Ed25519Verify } from '../ed25519.ts';
import { FarthingError } from '../errors.ts';
import type { CertificateInput, ParsedCertificate } from '../x509/certificate.ts';
import { verifyCertificateChain } from '../x509/chain.ts';
import { isMerchantName, merchantIdUriPrefix } from '../x509/merchant-certificate.ts';
import { farthingKeyPurposes, idAtCommonName } from '../x509/oids.ts';
import { certifiesPurpose } from '../x509/party-certificate.ts';
import { fixed, type PurseValue, positiveAmount, text, u64 } from './fields.ts';
import { purseMessage, type SignedPurseValue } from './signed.ts';

export const purseNonceLength = 32;
export const maxMerchantIdLength = 128;

const challengeFields = {
  merchantId: text(maxMerchantIdLength),
  /** The merchant's transaction number, unique per merchant. */
  tno: u64,
  amount: positiveAmount,
  /** 32 random bytes: the proof answers this challenge and no other. */
  nonce: fixed(purseNonceLength),
  /** Milliseconds since the Unix epoch, by the merchant's clock. */
  issuedAt: u64,
};

export type PurseChallenge = PurseValue<typeof challengeFields>;
export type SignedPurseChallenge = SignedPurseValue<typeof challengeFields>;

export function randomPurseNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(purseNonceLength));
}

/**
 * Challenges: `sign` checks one (an amount above zero…) and signs it with the merchant's offer
 * key. `verify` checks the signature alone; whoever pays a challenge authenticates its
 * merchant with `verifyPurseChallenge`, which checks the certificate chain first.
 */
export const purseChallenges = purseMessage('purseChallenge', 1, challengeFields);

export interface ChallengeMerchant {
  readonly merchantId: string;
  /** The certificate's name: what the reader shows as the payee. */
  readonly name: string;
  readonly offerPublicKey: Uint8Array;
}

function merchantIdOf(leaf: ParsedCertificate): string | undefined {
  const ids = (leaf.subjectAltNames ?? []).flatMap((entry) =>
    entry.type === 'uri' && entry.value.startsWith(merchantIdUriPrefix)
      ? [entry.value.slice(merchantIdUriPrefix.length)]
      : [],
  );
  return ids.length === 1 ? ids[0] : undefined;
}

export interface VerifyPurseChallengeParameters {
  /** The merchant certificate, then any intermediates, as DER. */
  readonly merchantChain: readonly CertificateInput[];
  /** The issuer roots the card (or verifier) holds. */
  readonly trustedRoots: readonly CertificateInput[];
  /** When certificate validity is judged. A card has no clock and passes the challenge's own
   * time, having checked it against the latest issuer time it saw (reader/). */
  readonly now: number;
  readonly ed25519Verify?: Ed25519Verify;
}

/**
 * Authenticates the merchant behind a challenge: the chain to a trusted root
 * (`certificate_*`), the merchant offer-signing purpose, the merchant id in the certificate
 * being the challenge's (`merchant_mismatch`), and the signature (`bad_signature`). The web
 * origin is not checked: the card has none to compare with.
 */
export function verifyPurseChallenge(
  challenge: SignedPurseChallenge,
  parameters: VerifyPurseChallengeParameters,
): ChallengeMerchant {
  const { leaf } = verifyCertificateChain({
    chain: [...parameters.merchantChain],
    trustedRoots: parameters.trustedRoots,
    now: parameters.now,
    ...(parameters.ed25519Verify === undefined ? {} : { ed25519Verify: parameters.ed25519Verify }),
  });
  if (
    !certifiesPurpose(leaf, farthingKeyPurposes.merchantOfferSigning, 'digitalSignature') ||
    leaf.publicKey.type !== 'ed25519'
  ) {
    throw new FarthingError(
      'certificate_wrong_purpose',
      'the challenge is not signed under a Farthing merchant certificate',
      { details: { field: 'merchantChain.0' } },
    );
  }
  const names = leaf.subjectAttributes.filter((a) => a.type === idAtCommonName);
  const name = names.length === 1 ? names[0]!.value : undefined;
  const merchantId = merchantIdOf(leaf);
  if (!isMerchantName(name) || merchantId === undefined) {
    throw new FarthingError('certificate_invalid', 'the merchant certificate breaks its profile', {
      details: { field: 'merchantChain.0' },
    });
  }
  if (merchantId !== challenge.merchantId) {
    throw new FarthingError(
      'merchant_mismatch',
      'the challenge names another merchant than its certificate',
      {
        details: { field: 'challenge.merchantId', expected: merchantId, got: challenge.merchantId },
      },
    );
  }
  const offerPublicKey = leaf.publicKey.raw.slice();
  purseChallenges.verify(challenge, offerPublicKey, parameters.ed25519Verify);
  return { merchantId, name, offerPublicKey };
}
