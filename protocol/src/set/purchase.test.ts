import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { isFarthingError } from '../errors.ts';
import { luhnCheckDigit, luhnValid } from './card-account.ts';
import {
  cardholderCertificateVerifier,
  verifyCardholderCertificate,
  verifyGatewayCertificates,
} from './certificates.ts';
import { envelopeKeyPairFromSeed } from './hpke.ts';
import {
  openPaymentEnvelope,
  orderInformationDigest,
  paymentInformationDigest,
  verifyDualSignature,
} from './purchase.ts';
import { cardholderSigner, makePurchase, makeSetWorld, now, testOrder } from './set.fixture.ts';

function codeOf(error: unknown): string | undefined {
  return isFarthingError(error) ? error.code : undefined;
}

/** The code of what `run` throws (undefined if it returns). */
function thrownCode(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
}

describe('dual signature', () => {
  it('lets the merchant check it from OI and H(PI), and the gateway from PI and H(OI)', async () => {
    const world = await makeSetWorld();
    const { oi, pi } = testOrder(world);
    const purchase = await makePurchase(world, oi, pi);
    // The merchant: OI in clear, PI only as its digest.
    verifyDualSignature({
      dualSignature: purchase.dualSignature,
      piDigest: purchase.piDigest,
      oiDigest: orderInformationDigest(oi),
      cardholderPublicKey: cardholderSigner.publicKey,
    });
    // The gateway: PI from the envelope, OI only as its digest.
    const opened = await openPaymentEnvelope({
      envelope: purchase.piEnvelope,
      gateway: world.gatewayKeys,
      gatewayFingerprint: world.gatewayFingerprint,
      transactionId: oi.transactionId,
      merchantId: oi.merchantId,
    });
    expect(opened.oiDigest).toEqual(purchase.oiDigest);
    expect(opened.pi.pan).toBe(pi.pan);
    verifyDualSignature({
      dualSignature: purchase.dualSignature,
      piDigest: paymentInformationDigest(opened.pi),
      oiDigest: opened.oiDigest,
      cardholderPublicKey: cardholderSigner.publicKey,
    });
  });

  it('refuses OI of another order or amount, and a forged signature', async () => {
    const world = await makeSetWorld();
    const { oi, pi } = testOrder(world);
    const purchase = await makePurchase(world, oi, pi);
    const forged = purchase.dualSignature.slice();
    forged[10]! ^= 1;
    const attempts = [
      { oi: { ...oi, transactionId: 'tx-0002' }, ds: purchase.dualSignature },
      { oi: { ...oi, amount: amount('EUR', 1) }, ds: purchase.dualSignature },
      { oi: { ...oi, merchantId: 'other-shop' }, ds: purchase.dualSignature },
      { oi, ds: forged },
    ];
    for (const attempt of attempts) {
      const error = thrownCode(() => {
        verifyDualSignature({
          dualSignature: attempt.ds,
          piDigest: purchase.piDigest,
          oiDigest: orderInformationDigest(attempt.oi),
          cardholderPublicKey: cardholderSigner.publicKey,
        });
      });
      expect(error).toBe('set_dual_signature_invalid');
    }
  });

  it('gives H(PI) that changes with the nonce, so a merchant cannot guess the PAN from it', async () => {
    const world = await makeSetWorld();
    const { pi } = testOrder(world);
    const other = { ...pi, nonce: new Uint8Array(32).fill(3) };
    expect(paymentInformationDigest(pi)).not.toEqual(paymentInformationDigest(other));
  });
});

describe('PI envelope', () => {
  it('cannot be opened for another order, merchant or gateway', async () => {
    const world = await makeSetWorld();
    const { oi, pi } = testOrder(world);
    const { piEnvelope } = await makePurchase(world, oi, pi);
    const otherGateway = await envelopeKeyPairFromSeed(new Uint8Array(32).fill(0x77));
    const base = {
      envelope: piEnvelope,
      gateway: world.gatewayKeys,
      gatewayFingerprint: world.gatewayFingerprint,
      transactionId: oi.transactionId,
      merchantId: oi.merchantId,
    };
    for (const change of [
      { transactionId: 'tx-9999' },
      { merchantId: 'other-shop' },
      { gateway: otherGateway },
      { gatewayFingerprint: new Uint8Array(32) },
    ]) {
      const error = await openPaymentEnvelope({ ...base, ...change }).catch((e: unknown) => e);
      expect(codeOf(error)).toBe('set_envelope_invalid');
    }
  });
});

describe('certificates', () => {
  it('reads the cardholder key and account digest, never a card number', async () => {
    const world = await makeSetWorld();
    const verified = verifyCardholderCertificate({
      chain: world.cardholderCertificate,
      trustedRoots: [world.ca.certificate],
      now,
    });
    expect(verified.publicKey).toEqual(cardholderSigner.publicKey);
    expect(Buffer.from(world.cardholderCertificate).includes(Buffer.from('4000001234567899'))).toBe(
      false,
    );
  });

  it('refuses a gateway certificate as a cardholder certificate and an expired one', async () => {
    const world = await makeSetWorld({ cardholderNotAfter: now - 1000 });
    const roots = [world.ca.certificate];
    const wrong = thrownCode(() => {
      verifyCardholderCertificate({
        chain: world.gatewaySignatureCertificate,
        trustedRoots: roots,
        now,
      });
    });
    expect(wrong).toBe('certificate_wrong_purpose');
    const expired = thrownCode(() => {
      verifyCardholderCertificate({
        chain: world.cardholderCertificate,
        trustedRoots: roots,
        now,
      });
    });
    expect(expired).toBe('certificate_expired');
  });

  it('pairs the gateway signature and key-exchange certificates and fingerprints the latter', async () => {
    const world = await makeSetWorld();
    const gateway = verifyGatewayCertificates({
      signatureChain: world.gatewaySignatureCertificate,
      keyExchangeChain: world.gatewayKeyExchangeCertificate,
      trustedRoots: [world.ca.certificate],
      now,
    });
    expect(gateway.gatewayId).toBe('demo-bank');
    expect(gateway.keyExchangePublicKey).toEqual(world.gatewayKeys.publicKey);
    expect(gateway.fingerprint).toEqual(world.gatewayFingerprint);
    const swapped = thrownCode(() => {
      verifyGatewayCertificates({
        signatureChain: world.gatewayKeyExchangeCertificate,
        keyExchangeChain: world.gatewaySignatureCertificate,
        trustedRoots: [world.ca.certificate],
        now,
      });
    });
    expect(swapped).toBe('certificate_wrong_purpose');
  });
});

describe('remembered cardholder chains', () => {
  it('accepts a chain seen before only while it is valid, and never remembers a refusal', async () => {
    const world = await makeSetWorld();
    const verify = cardholderCertificateVerifier({ trustedRoots: [world.ca.certificate] });
    const chain = [world.cardholderCertificate];
    const first = verify(chain, now);
    expect(verify(chain, now + 1000)).toBe(first);
    expect(thrownCode(() => verify(chain, first.notAfter + 1000))).toBe('certificate_expired');
    expect(thrownCode(() => verify([world.gatewaySignatureCertificate], now))).toBe(
      'certificate_wrong_purpose',
    );
    expect(thrownCode(() => verify([world.gatewaySignatureCertificate], now))).toBe(
      'certificate_wrong_purpose',
    );
  });
});

describe('card numbers', () => {
  it('checks and completes the Luhn digit (ISO/IEC 7812-1 Annex B)', () => {
    expect(luhnValid('79927398713')).toBe(true); // the textbook example
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnCheckDigit('7992739871')).toBe('3');
  });
});
