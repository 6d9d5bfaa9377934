/**
 * Certification path validation (RFC 5280 §6), cut to what Farthing needs: a chain presented
 * leaf first (like TLS, RFC 8446 §4.4.2), optional intermediates, and a set of trust anchors
 * (the banks the user trusts), each a self-signed CA certificate.
 *
 * Checked for every link: the name chains (§6.1.3 (a)(4)), the signature verifies with the
 * issuer's key (§6.1.3 (a)(1)), the issuer is a CA (§6.1.4 (k)) allowed to sign certificates
 * (§6.1.4 (n)) at this depth (§6.1.4 (l), (m)), and every certificate on the path, anchor
 * included, is within its validity period (§6.1.3 (a)(2)). The leaf must be an end entity.
 * Not implemented, because no Farthing certificate uses them: policy processing (§6.1.3 (d)–(f))
 * and name constraints (§6.1.3 (b)); a certificate carrying either as a critical extension
 * is refused by certificate.ts. Revocation is out of scope here: short-lived certificates.
 *
 * Failures, in the order checked: `certificate_invalid` (unreadable, or the leaf is a CA),
 * `certificate_untrusted` (no valid path to a trusted root), then `certificate_not_yet_valid`
 * / `certificate_expired`. Trust comes first so that nothing is reported about a certificate
 * nobody vouches for beyond the fact that nobody vouches for it.
 */
import { type Ed25519Verify, nobleEd25519Verify } from '../ed25519.ts';
import { equalBytes } from '../encoding.ts';
import { assertInteger, FarthingError, isFarthingError } from '../errors.ts';
import { verifyCertificateSignature } from './algorithms.ts';
import { type CertificateInput, type ParsedCertificate, readCertificates } from './certificate.ts';

/** Leaf plus intermediates; longer chains are refused before any signature is checked. */
export const maxChainLength = 4;

export interface VerifyCertificateChainParameters {
  /** Leaf first, then each certificate's issuer. DER bytes, PEM text, or a list of either. */
  readonly chain: CertificateInput | readonly CertificateInput[];
  /** Self-signed CA certificates of the banks the caller trusts. */
  readonly trustedRoots: readonly CertificateInput[];
  /** Milliseconds since the Unix epoch at which validity is judged. */
  readonly now: number;
  /** Defaults to @noble/curves; servers pass `nodeEd25519Verify`. */
  readonly ed25519Verify?: Ed25519Verify;
}

export interface VerifiedCertificatePath {
  readonly leaf: ParsedCertificate;
  /** Between the leaf and the root, leaf side first. */
  readonly intermediates: readonly ParsedCertificate[];
  /** The trust anchor the path ends at. */
  readonly root: ParsedCertificate;
}

function untrusted(reason: string, field: string): FarthingError {
  return new FarthingError(
    'certificate_untrusted',
    `the certificate ${reason}; it is not vouched for by a bank you trust`,
    { details: { field } },
  );
}

function readList(input: CertificateInput | readonly CertificateInput[], field: string) {
  const items = Array.isArray(input) ? input : [input];
  return items.flatMap((item, index) =>
    readCertificates(item as CertificateInput, items.length === 1 ? field : `${field}.${index}`),
  );
}

function readTrustedRoots(trustedRoots: readonly CertificateInput[]): ParsedCertificate[] {
  if (!Array.isArray(trustedRoots)) {
    throw new FarthingError('invalid_argument', 'expected array "trustedRoots"', {
      details: { field: 'trustedRoots' },
    });
  }
  try {
    return readList(trustedRoots, 'trustedRoots');
  } catch (error) {
    // The trust store is the caller's own configuration, not something another party sent.
    if (!isFarthingError(error)) throw error;
    throw new FarthingError(
      'invalid_argument',
      `a trusted root is unusable: ${error.shortMessage}`,
      {
        details: error.details,
        cause: error,
      },
    );
  }
}

/** §6.1.4 (k), (n): may `issuer` sign the certificate below it? */
function assertCanIssue(issuer: ParsedCertificate, field: string): void {
  if (issuer.basicConstraints?.cA !== true) {
    throw untrusted('was issued by a certificate that is not a CA', field);
  }
  // RFC 5280 §4.2.1.3: when keyUsage is present, keyCertSign must be set to sign certificates.
  if (issuer.keyUsage !== undefined && !issuer.keyUsage.has('keyCertSign')) {
    throw untrusted('was issued by a CA key not allowed to sign certificates', field);
  }
}

function signedBy(
  subject: ParsedCertificate,
  issuer: ParsedCertificate,
  ed25519Verify: Ed25519Verify,
): boolean {
  return verifyCertificateSignature(
    subject.signatureAlgorithm,
    subject.tbs,
    subject.signature,
    issuer.publicKey,
    ed25519Verify,
  );
}

/** Could `candidate` have issued `subject`? Names match and, when both are given, key ids. */
function namesIssuer(subject: ParsedCertificate, candidate: ParsedCertificate): boolean {
  if (!equalBytes(subject.issuer, candidate.subject)) return false;
  const { authorityKeyIdentifier } = subject;
  const { subjectKeyIdentifier } = candidate;
  return (
    authorityKeyIdentifier === undefined ||
    subjectKeyIdentifier === undefined ||
    equalBytes(authorityKeyIdentifier, subjectKeyIdentifier)
  );
}

function assertCurrent(certificate: ParsedCertificate, now: number, field: string): void {
  // RFC 5280 §4.1.2.5: the validity period runs from notBefore through notAfter, inclusive.
  if (now < certificate.notBefore) {
    throw new FarthingError(
      'certificate_not_yet_valid',
      'the certificate is not valid yet; check the device clock',
      { details: { field, notBefore: certificate.notBefore, now } },
    );
  }
  if (now > certificate.notAfter) {
    throw new FarthingError(
      'certificate_expired',
      'the certificate has expired; the site must renew it with its bank',
      { details: { field, notAfter: certificate.notAfter, now } },
    );
  }
}

/** Validates the path from the leaf of `chain` to one of `trustedRoots` at time `now`. */
export function verifyCertificateChain(
  parameters: VerifyCertificateChainParameters,
): VerifiedCertificatePath {
  const { chain, trustedRoots, now, ed25519Verify = nobleEd25519Verify } = parameters ?? {};
  assertInteger(now, 'now');
  if (typeof ed25519Verify !== 'function') {
    throw new FarthingError('invalid_argument', 'expected a function "ed25519Verify"', {
      details: { field: 'ed25519Verify' },
    });
  }
  const roots = readTrustedRoots(trustedRoots);
  if (!(chain instanceof Uint8Array) && typeof chain !== 'string' && !Array.isArray(chain)) {
    throw new FarthingError('certificate_invalid', 'the certificate is not DER bytes or PEM text', {
      details: { field: 'chain' },
    });
  }
  const path = readList(chain, 'chain');
  if (path.length === 0) {
    throw new FarthingError('certificate_invalid', 'the certificate chain is empty', {
      details: { field: 'chain' },
    });
  }
  // A chain that ends with the anchor itself (as TLS servers often send it) is fine.
  const last = path.at(-1)!;
  if (path.length > 1 && roots.some((root) => equalBytes(root.der, last.der))) path.pop();
  if (path.length > maxChainLength) {
    throw new FarthingError('certificate_invalid', 'the certificate chain is too long', {
      details: { field: 'chain', max: maxChainLength, got: path.length },
    });
  }

  const leaf = path[0]!;
  // RFC 5280 §4.2.1.9 and §4.2.1.3: an end-entity certificate is not a CA and cannot sign
  // certificates; a "leaf" that could would let its holder mint certificates of its own.
  if (leaf.basicConstraints?.cA === true || leaf.keyUsage?.has('keyCertSign') === true) {
    throw new FarthingError(
      'certificate_invalid',
      'the certificate is a CA certificate, not an end-entity certificate',
      { details: { field: 'chain.0' } },
    );
  }

  // Walk up from the leaf: path[i] is issued by path[i + 1], the last by a trusted root.
  for (let i = 0; i < path.length - 1; i++) {
    const subject = path[i]!;
    const issuer = path[i + 1]!;
    const field = `chain.${i}`;
    if (!namesIssuer(subject, issuer)) {
      throw untrusted(`is not issued by the next certificate in the chain`, field);
    }
    assertCanIssue(issuer, `chain.${i + 1}`);
    // §6.1.4 (l), (m): at most pathLength intermediates may follow below this CA.
    const below = i; // intermediates between `issuer` and the leaf
    const pathLength = issuer.basicConstraints?.pathLength;
    if (pathLength !== undefined && below > pathLength) {
      throw untrusted('lies deeper below a CA than its path length allows', field);
    }
    if (!signedBy(subject, issuer, ed25519Verify)) {
      throw untrusted('has a signature that does not verify', field);
    }
  }
  const top = path.at(-1)!;
  const topField = `chain.${path.length - 1}`;
  const candidates = roots.filter((root) => namesIssuer(top, root));
  if (candidates.length === 0) throw untrusted('is issued by an unknown CA', topField);
  const root = candidates.find((candidate) => signedBy(top, candidate, ed25519Verify));
  if (root === undefined) throw untrusted('has a signature that does not verify', topField);
  assertCanIssue(root, 'trustedRoot');
  const rootPathLength = root.basicConstraints?.pathLength;
  if (rootPathLength !== undefined && path.length - 1 > rootPathLength) {
    throw untrusted('lies deeper below the root than its path length allows', topField);
  }

  for (const [index, certificate] of path.entries())
    assertCurrent(certificate, now, `chain.${index}`);
  assertCurrent(root, now, 'trustedRoot');

  return Object.freeze({ leaf, intermediates: Object.freeze(path.slice(1)), root });
}
