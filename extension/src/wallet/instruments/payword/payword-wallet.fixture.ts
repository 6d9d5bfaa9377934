/** A fixture wallet that can pay with PayWord: a broker certificate, no chain yet. */
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { brokerSigner, certificateFields, eur } from '@farthing/protocol/payword/payword.fixture';
import { createUserKey } from '../../keys.ts';
import {
  bankUrl,
  type FixtureServer,
  type FixtureWallet,
  now,
  openFixtureWallet,
} from '../instrument.fixture.ts';

/** A wallet with a broker certificate worth two chains of PayWord credit, and no chain yet. */
export async function walletWithCertificate(
  name: string,
  merchant: FixtureServer,
): Promise<FixtureWallet> {
  const wallet = await openFixtureWallet(name, merchant);
  const keyId = 'payword-user:fixture' as const;
  const userPublicKey = await createUserKey(wallet.db, wallet.sealer, keyId);
  const certificate = await paywordCertificates.sign(
    certificateFields({ userPublicKey, creditLimit: eur(200) }),
    brokerSigner,
  );
  await wallet.db.put('paywordCertificates', {
    id: 'certificate-1',
    bankUrl,
    json: paywordCertificates.toJson(certificate),
    keyId,
    creditLimit: { currency: 'EUR', minor: 200 },
    committed: 0,
    expiresAt: certificate.expiresAt,
    createdAt: now,
  });
  return wallet;
}
