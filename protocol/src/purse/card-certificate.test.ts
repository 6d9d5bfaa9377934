import { describe, expect, it } from 'vitest';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import { ed25519CaSigner, makeCa, otherCaSecretKey } from '../x509/x509.fixture.ts';
import {
  isCardId,
  purseCardCertificateTemplate,
  verifyPurseCardCertificate,
} from './card-certificate.ts';
import { cardId, cardSigner, day, now, purseFixtures } from './purse.fixture.ts';

describe('purse card certificate', () => {
  it('verifies a card certificate under the bank CA and returns the card id and key', async () => {
    const { ca, cardCertificate } = await purseFixtures();
    const verified = verifyPurseCardCertificate({
      chain: [cardCertificate],
      trustedRoots: [ca.certificate],
      now,
      ed25519Verify: nodeEd25519Verify,
    });
    expect(verified.cardId).toBe(cardId);
    expect(verified.cardPublicKey).toEqual(cardSigner.publicKey);
  });

  it('refuses a merchant certificate as a card certificate', async () => {
    const { ca, merchantCertificate } = await purseFixtures();
    expect(() =>
      verifyPurseCardCertificate({
        chain: [merchantCertificate],
        trustedRoots: [ca.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'certificate_wrong_purpose' }));
  });

  it('refuses a card certificate from another bank and an expired one', async () => {
    const { cardCertificate } = await purseFixtures();
    const other = await makeCa({ name: 'Other Bank', signer: ed25519CaSigner(otherCaSecretKey) });
    expect(() =>
      verifyPurseCardCertificate({
        chain: [cardCertificate],
        trustedRoots: [other.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'certificate_untrusted' }));
    const { ca } = await purseFixtures();
    expect(() =>
      verifyPurseCardCertificate({
        chain: [cardCertificate],
        trustedRoots: [ca.certificate],
        now: now + 400 * day,
      }),
    ).toThrow(expect.objectContaining({ code: 'certificate_expired' }));
  });

  it('accepts only 16 lower-case hex digits as a card id', () => {
    expect(isCardId('00112233445566aa')).toBe(true);
    expect(isCardId('00112233445566AA')).toBe(false);
    expect(isCardId('0011')).toBe(false);
    expect(() =>
      purseCardCertificateTemplate({
        cardId: 'nope',
        cardPublicKey: cardSigner.publicKey,
        serialNumber: Uint8Array.of(1),
        notBefore: now,
        notAfter: now + day,
      }),
    ).toThrow(/16 lower-case hex/);
  });
});
