import { describe, expect, it } from 'vitest';
import {
  type Credential,
  checkCredentialForOffer,
  credentialToWire,
  decodeCredential,
  encodeCredential,
  parseCredential,
} from '../credential.ts';
import { toBase64url } from '../encoding.ts';
import { catchFarthingError } from '../errors.fixture.ts';
import { merchant, now } from '../offer.fixture.ts';
import { type SignedOffer, signOffer } from '../offer.ts';
import { offerToken } from '../offer-token.ts';
import { purseProofs } from './proof.ts';
import { cardId, cardSigner, eur, purseFixtures } from './purse.fixture.ts';

const merchantId = 'demo-shop';
const check = { merchantId, merchantPublicKey: merchant.publicKey, now };

function offerOf(minor: number, instruments: SignedOffer['instruments'] = ['purse']) {
  return signOffer(
    {
      merchantId,
      merchantOrigin: 'https://shop.example',
      resource: '/articles/7',
      amount: eur(minor),
      createdAt: now - 1_000,
      expiresAt: now + 600_000,
      instruments,
    },
    merchant,
  );
}

async function purseCredential(
  offer: SignedOffer,
  proofOverrides: Partial<Parameters<typeof purseProofs.sign>[0]> = {},
): Promise<Credential & { type: 'purse' }> {
  const proof = await purseProofs.sign(
    {
      cardId,
      sno: 3,
      merchantId,
      tno: 41,
      amount: offer.amount,
      nonce: new Uint8Array(32).fill(7),
      ...proofOverrides,
    },
    cardSigner,
  );
  const { cardCertificate } = await purseFixtures();
  return { type: 'purse', offer, proofBytes: purseProofs.encode(proof), proof, cardCertificate };
}

describe('the purse credential', () => {
  it('travels as wire JSON and back unchanged, the proof byte for byte', async () => {
    const credential = await purseCredential(await offerOf(40));
    const wire = credentialToWire(credential);
    expect(wire).toEqual({
      version: 1,
      type: 'purse',
      offer: offerToken(credential.offer),
      proof: toBase64url(credential.proofBytes),
      cardCertificate: toBase64url(credential.cardCertificate),
    });
    const back = decodeCredential(encodeCredential(credential));
    expect(back.type).toBe('purse');
    if (back.type !== 'purse') return;
    expect(back.proofBytes).toEqual(credential.proofBytes);
    expect(back.proof.sno).toBe(3);
    expect(back.proof.tno).toBe(41);
    expect(back.cardCertificate).toEqual(credential.cardCertificate);
    expect(() => checkCredentialForOffer(back, check)).not.toThrow();
  });

  it('refuses a proof that is not a card proof, an extra field and an empty certificate', async () => {
    const wire = credentialToWire(await purseCredential(await offerOf(40)));
    const refuse = (input: unknown) => catchFarthingError(() => parseCredential(input)).code;
    expect(refuse({ ...wire, proof: toBase64url(new Uint8Array(40).fill(1)) })).toBe(
      'invalid_encoding',
    );
    expect(refuse({ ...wire, proof: toBase64url(new Uint8Array(2000)) })).toBe('invalid_message');
    expect(refuse({ ...wire, challenge: 'x' })).toBe('invalid_message');
    expect(refuse({ ...wire, cardCertificate: '' })).toBe('invalid_message');
  });

  it('refuses a proof for another amount or merchant, and an offer without the purse', async () => {
    const offer = await offerOf(40);
    const cheaper = await purseCredential(offer, { amount: eur(39) });
    expect(catchFarthingError(() => checkCredentialForOffer(cheaper, check)).code).toBe(
      'offer_mismatch',
    );
    const elsewhere = await purseCredential(offer, { merchantId: 'other-shop' });
    expect(catchFarthingError(() => checkCredentialForOffer(elsewhere, check)).code).toBe(
      'merchant_mismatch',
    );
    const noPurse = await purseCredential(await offerOf(40, ['ecash']));
    expect(catchFarthingError(() => checkCredentialForOffer(noPurse, check)).code).toBe(
      'instrument_not_accepted',
    );
  });
});
