/**
 * Fixtures for the SET tests (not part of the API): fixed keys, a bank CA, a cardholder
 * certificate, the gateway's two certificates, and a purchase built the way a wallet builds
 * one. Deterministic, so the project's SET vectors (test/vectors/set/) can be recomputed.
 */
import { amount } from '../amount.ts';
import { ed25519Signer } from '../ed25519.ts';
import { signCertificate } from '../x509/certificate-builder.ts';
import { day, makeCa, now, type TestCa } from '../x509/x509.fixture.ts';
import { type CardAccount, cardAccountDigest } from './card-account.ts';
import {
  cardholderCertificateTemplate,
  certificateFingerprint,
  gatewayKeyExchangeCertificateTemplate,
  gatewaySignatureCertificateTemplate,
} from './certificates.ts';
import { type EnvelopeKeyPair, envelopeKeyPairFromSeed } from './hpke.ts';
import {
  type OrderInformation,
  orderInformationDigest,
  type PaymentInformation,
  paymentInformationDigest,
  sealPaymentEnvelope,
  signDualSignature,
} from './purchase.ts';

export { day, now };

export const cardholderSigner = ed25519Signer(new Uint8Array(32).fill(0xc4));
export const gatewaySigner = ed25519Signer(new Uint8Array(32).fill(0x9a));
export const gatewayKeySeed = new Uint8Array(32).fill(0x9b);

/** A Luhn-valid test PAN (issuer prefix 4000 00, as card networks reserve for testing). */
export const testCard: CardAccount = {
  pan: '4000001234567899',
  expiry: '2028-12',
  cardSecret: new Uint8Array(32).fill(0x5e),
};

export interface SetWorld {
  readonly ca: TestCa;
  readonly cardholderCertificate: Uint8Array;
  readonly gatewaySignatureCertificate: Uint8Array;
  readonly gatewayKeyExchangeCertificate: Uint8Array;
  readonly gatewayKeys: EnvelopeKeyPair;
  readonly gatewayFingerprint: Uint8Array;
}

export async function makeSetWorld(
  options: { readonly cardholderNotAfter?: number } = {},
): Promise<SetWorld> {
  const ca = await makeCa();
  const cardholderCertificate = await signCertificate(
    cardholderCertificateTemplate({
      serialNumber: Uint8Array.of(0x21, 0x01),
      notBefore: now - day,
      notAfter: options.cardholderNotAfter ?? now + 365 * day,
      publicKey: cardholderSigner.publicKey,
      accountDigest: cardAccountDigest(testCard),
    }),
    ca.issuer,
  );
  const gateway = {
    gatewayId: 'demo-bank',
    name: 'Demo Bank Payment Gateway',
    notBefore: now - day,
    notAfter: now + 365 * day,
  };
  const gatewaySignatureCertificate = await signCertificate(
    gatewaySignatureCertificateTemplate({
      ...gateway,
      serialNumber: Uint8Array.of(0x31, 0x01),
      publicKey: gatewaySigner.publicKey,
    }),
    ca.issuer,
  );
  const gatewayKeys = await envelopeKeyPairFromSeed(gatewayKeySeed);
  const gatewayKeyExchangeCertificate = await signCertificate(
    gatewayKeyExchangeCertificateTemplate({
      ...gateway,
      serialNumber: Uint8Array.of(0x31, 0x02),
      publicKey: gatewayKeys.publicKey,
    }),
    ca.issuer,
  );
  return {
    ca,
    cardholderCertificate,
    gatewaySignatureCertificate,
    gatewayKeyExchangeCertificate,
    gatewayKeys,
    gatewayFingerprint: certificateFingerprint(gatewayKeyExchangeCertificate),
  };
}

export function testOrder(world: SetWorld, overrides: Partial<OrderInformation> = {}) {
  const oi: OrderInformation = {
    transactionId: 'tx-0001',
    merchantId: 'demo-shop',
    gatewayFingerprint: world.gatewayFingerprint,
    amount: amount('EUR', 1250),
    orderDigest: new Uint8Array(32).fill(0x0d),
    nonce: new Uint8Array(32).fill(0x01),
    ...overrides,
  };
  const pi: PaymentInformation = {
    transactionId: oi.transactionId,
    merchantId: oi.merchantId,
    gatewayFingerprint: oi.gatewayFingerprint,
    amount: oi.amount,
    ...testCard,
    nonce: new Uint8Array(32).fill(0x02),
  };
  return { oi, pi };
}

/** OI, PI, their digests, the dual signature and the sealed PI, as a wallet makes them. */
export async function makePurchase(world: SetWorld, oi: OrderInformation, pi: PaymentInformation) {
  const oiDigest = orderInformationDigest(oi);
  const piDigest = paymentInformationDigest(pi);
  const dualSignature = await signDualSignature(cardholderSigner, piDigest, oiDigest);
  const piEnvelope = await sealPaymentEnvelope({
    pi,
    oiDigest,
    gatewayPublicKey: world.gatewayKeys.publicKey,
  });
  return { oiDigest, piDigest, dualSignature, piEnvelope };
}
