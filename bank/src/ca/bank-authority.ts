/**
 * The bank's own CA, made once and kept: the first start creates the Ed25519 key and the
 * self-signed certificate and stores both in `bank_keys` (name `ca`: the 32-byte seed as the
 * secret, the certificate's DER as the public part); every later start loads them.
 *
 * The certificate is stored, not re-made from the key, because its serial number is random
 * and its validity starts at creation: a certificate re-made for the same key would be a
 * different trust anchor, and wallets that pinned the published one would refuse every
 * merchant certificate the bank issues afterwards.
 */
import { randomSecretKey } from '@farthing/protocol/ed25519';
import type { BankStore } from '../store/store.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from './certificate-authority.ts';
import { clockSkewAllowance } from './merchant-certificates.ts';

/** The `bank_keys` row that holds the CA. */
export const caKeyName = 'ca';
/** How long the CA certificate lives. Replacing a trust anchor means every wallet re-pins. */
export const caValidity = 10 * 365 * 86_400_000;

export interface OpenBankCertificateAuthorityParameters {
  /** This bank's id (`BankConfig.bankId`), which names the CA. */
  readonly bankId: string;
  /** Milliseconds since the Unix epoch. */
  readonly now: number;
}

export async function openBankCertificateAuthority(
  store: BankStore,
  parameters: OpenBankCertificateAuthorityParameters,
): Promise<CertificateAuthority> {
  let stored = await store.getBankKey(caKeyName);
  if (stored === undefined) {
    const secretKey = randomSecretKey();
    // Dated back like the certificates it issues, so a wallet whose clock runs a little behind
    // the bank's does not see the CA as not yet valid (RFC 5280 §4.1.2.5 has no grace itself).
    const notBefore = Math.floor((parameters.now - clockSkewAllowance) / 1000) * 1000;
    const created = await createCertificateAuthority({
      name: `${parameters.bankId} Merchant CA`,
      secretKey,
      notBefore,
      notAfter: notBefore + caValidity,
    });
    // Two processes starting on one new database both get here; INSERT OR IGNORE keeps the
    // first CA and both go on with that one.
    stored = await store.ensureBankKey({
      name: caKeyName,
      secret: secretKey,
      publicKey: created.certificate,
      now: parameters.now,
    });
    secretKey.fill(0);
  }
  // Loading also checks that the stored certificate belongs to the stored key.
  const ca = loadCertificateAuthority({ certificate: stored.publicKey, secretKey: stored.secret });
  stored.secret.fill(0);
  return ca;
}
