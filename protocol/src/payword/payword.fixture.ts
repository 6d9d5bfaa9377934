/**
 * Keys, a certificate and a committed chain for the PayWord tests (not part of the API).
 * Fixed secrets keep failures reproducible.
 */
import { type Amount, amount } from '../amount.ts';
import { ed25519Signer } from '../ed25519.ts';
import {
  type PaywordUserCertificate,
  type PaywordUserCertificateFields,
  paywordCertificates,
} from './certificate.ts';
import { createPaywordChain, type PaywordChain } from './chain.ts';
import {
  type PaywordCommitment,
  type PaywordCommitmentFields,
  paywordCommitments,
  type VerifiedPaywordCommitment,
  verifyPaywordCommitment,
} from './commitment.ts';

export const brokerSigner = ed25519Signer(new Uint8Array(32).fill(0xb1));
export const userSigner = ed25519Signer(new Uint8Array(32).fill(0x05));
export const otherSigner = ed25519Signer(new Uint8Array(32).fill(0x07));

/** 2026-01-01T00:00:00Z. */
export const now = Date.UTC(2026, 0, 1);
export const day = 86_400_000;
export const vendorId = 'shop.example';

export function eur(minor: number): Amount {
  return amount('EUR', minor);
}

export function certificateFields(
  overrides: Partial<PaywordUserCertificateFields> = {},
): PaywordUserCertificateFields {
  return {
    brokerId: 'bank.example',
    userId: 'alice',
    userPublicKey: userSigner.publicKey,
    serial: 42,
    issuedAt: now - day,
    expiresAt: now + 30 * day,
    creditLimit: eur(10_000),
    ...overrides,
  };
}

export function makeCertificate(
  overrides: Partial<PaywordUserCertificateFields> = {},
): Promise<PaywordUserCertificate> {
  return paywordCertificates.sign(certificateFields(overrides), brokerSigner);
}

export interface CommittedChain {
  readonly chain: PaywordChain;
  readonly commitment: PaywordCommitment;
  readonly verified: VerifiedPaywordCommitment;
}

export async function makeCommittedChain(
  options: { length?: number; seedByte?: number; fields?: Partial<PaywordCommitmentFields> } = {},
): Promise<CommittedChain> {
  const length = options.length ?? 100;
  const chain = createPaywordChain(new Uint8Array(32).fill(options.seedByte ?? 0x5e), length);
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate: await makeCertificate(),
      root: chain.root,
      length,
      valuePerWord: eur(1),
      createdAt: now,
      expiresAt: now + day,
      ...options.fields,
    },
    userSigner,
  );
  const verified = verifyPaywordCommitment(commitment, {
    vendorId: commitment.vendorId,
    brokerPublicKey: brokerSigner.publicKey,
    now,
  });
  return { chain, commitment, verified };
}
