/**
 * A stand-in issuing bank and merchant for the reader's own tests and the hand-run emulator's
 * demo mode: a CA, the issuer's load key, a merchant certificate and challenges, all made with
 * the protocol's real builders. (The real issuer is the bank, bank/src/purse/.)
 */
import { type Amount, amount } from '@farthing/protocol/amount';
import { type Ed25519Signer, ed25519Signer } from '@farthing/protocol/ed25519';
import { purseCardCertificateTemplate } from '@farthing/protocol/purse/card-certificate';
import { purseChallenges, randomPurseNonce } from '@farthing/protocol/purse/challenge';
import { purseLoadAuthorizations } from '@farthing/protocol/purse/load';
import { ed25519CertificateSigner } from '@farthing/protocol/x509/algorithms';
import {
  type CertificateIssuer,
  distinguishedName,
  signCertificate,
  signSelfSignedCaCertificate,
} from '@farthing/protocol/x509/certificate-builder';
import { merchantCertificateTemplate } from '@farthing/protocol/x509/merchant-certificate';
import { idAtCommonName } from '@farthing/protocol/x509/oids';

const day = 86_400_000;

export interface TestIssuer {
  readonly root: Uint8Array;
  readonly issuer: CertificateIssuer;
  readonly loadSigner: Ed25519Signer;
  readonly merchantSigner: Ed25519Signer;
  readonly merchantCertificate: Uint8Array;
  readonly now: number;
  certifyCard(cardId: string, cardPublicKey: Uint8Array): Promise<Uint8Array>;
  authorizeLoad(
    cardId: string,
    loadCounter: number,
    value: Amount,
    at?: number,
  ): Promise<Uint8Array>;
  challenge(
    minor: number,
    tno: number,
    options?: { at?: number; merchantId?: string },
  ): Promise<Uint8Array>;
}

let serial = 1;
const nextSerial = () => Uint8Array.of(0x30, (serial++ >>> 8) & 0xff, serial & 0xff);

/** `caSeedByte` picks the CA key: another byte makes another bank. */
export async function makeTestIssuer(
  now = Date.UTC(2026, 0, 1),
  caSeedByte = 0xca,
): Promise<TestIssuer> {
  const caSigner = ed25519CertificateSigner(ed25519Signer(new Uint8Array(32).fill(caSeedByte)));
  const { certificate: root, issuer } = await signSelfSignedCaCertificate(
    {
      serialNumber: nextSerial(),
      subject: distinguishedName([
        { type: idAtCommonName, value: caSeedByte === 0xca ? 'Test Bank CA' : 'Other Bank CA' },
      ]),
      notBefore: now - 365 * day,
      notAfter: now + 3650 * day,
      pathLength: 0,
    },
    caSigner,
  );
  const loadSigner = ed25519Signer(new Uint8Array(32).fill(0x1a));
  const merchantSigner = ed25519Signer(new Uint8Array(32).fill(0x4d));
  const merchantCertificate = await signCertificate(
    merchantCertificateTemplate({
      merchantId: 'demo-shop',
      name: 'Demo Shop',
      origins: ['http://localhost:8701'],
      offerPublicKey: merchantSigner.publicKey,
      serialNumber: nextSerial(),
      notBefore: now - day,
      notAfter: now + 90 * day,
    }),
    issuer,
  );
  let loadId = 0;
  return {
    root,
    issuer,
    loadSigner,
    merchantSigner,
    merchantCertificate,
    now,
    certifyCard: (cardId, cardPublicKey) =>
      signCertificate(
        purseCardCertificateTemplate({
          cardId,
          cardPublicKey,
          serialNumber: nextSerial(),
          notBefore: now - day,
          notAfter: now + 365 * day,
        }),
        issuer,
      ),
    authorizeLoad: async (cardId, loadCounter, value, at = now) =>
      purseLoadAuthorizations.encode(
        await purseLoadAuthorizations.sign(
          {
            cardId,
            loadCounter,
            amount: value,
            loadId: new Uint8Array(16).fill(++loadId),
            issuedAt: at,
          },
          loadSigner,
        ),
      ),
    challenge: async (minor, tno, options = {}) =>
      purseChallenges.encode(
        await purseChallenges.sign(
          {
            merchantId: options.merchantId ?? 'demo-shop',
            tno,
            amount: amount('EUR', minor),
            nonce: randomPurseNonce(),
            issuedAt: options.at ?? now,
          },
          merchantSigner,
        ),
      ),
  };
}
