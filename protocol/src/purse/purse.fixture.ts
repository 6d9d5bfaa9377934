/**
 * Keys, a bank CA and certificates for the purse tests (not part of the API). Fixed secrets
 * keep failures reproducible.
 */
import { amount } from '../amount.ts';
import { ed25519Signer } from '../ed25519.ts';
import { signCertificate } from '../x509/certificate-builder.ts';
import {
  day,
  makeCa,
  makeMerchantCertificate,
  merchantSigner,
  now,
  type TestCa,
} from '../x509/x509.fixture.ts';
import { purseCardCertificateTemplate } from './card-certificate.ts';
import { purseChallenges, randomPurseNonce, type SignedPurseChallenge } from './challenge.ts';

export { day, merchantSigner, now };
export const cardId = '00112233445566aa';
export const cardSigner = ed25519Signer(new Uint8Array(32).fill(0xc1));
export const issuerLoadSigner = ed25519Signer(new Uint8Array(32).fill(0x1a));
export const eur = (minor: number) => amount('EUR', minor);

export interface PurseFixtures {
  readonly ca: TestCa;
  readonly cardCertificate: Uint8Array;
  readonly merchantCertificate: Uint8Array;
}

let serial = 0x40;
export async function purseFixtures(): Promise<PurseFixtures> {
  const ca = await makeCa();
  const cardCertificate = await signCertificate(
    purseCardCertificateTemplate({
      cardId,
      cardPublicKey: cardSigner.publicKey,
      serialNumber: Uint8Array.of(0x20, serial++),
      notBefore: now - day,
      notAfter: now + 365 * day,
    }),
    ca.issuer,
  );
  const merchantCertificate = await makeMerchantCertificate(ca);
  return { ca, cardCertificate, merchantCertificate };
}

export function challengeFor(minor: number, tno = 1): Promise<SignedPurseChallenge> {
  return purseChallenges.sign(
    { merchantId: 'demo-shop', tno, amount: eur(minor), nonce: randomPurseNonce(), issuedAt: now },
    merchantSigner,
  );
}
