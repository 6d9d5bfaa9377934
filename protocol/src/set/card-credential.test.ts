import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { checkCredentialForOffer, decodeCredential, encodeCredential } from '../credential.ts';
import { equalBytes } from '../encoding.ts';
import { isFarthingError } from '../errors.ts';
import { merchant, now, offerParameters } from '../offer.fixture.ts';
import { offerHash, type SignedOffer, signOffer } from '../offer.ts';
import { cardOfferOrderDigest, checkCardPurchasePaysOffer } from './card-credential.ts';
import { type SetMessage, setMessageSigningBytes, signSetMessage } from './messages.ts';
import { cardholderSigner, makePurchase, makeSetWorld, testOrder } from './set.fixture.ts';

const cardOffer = () => signOffer({ ...offerParameters, instruments: ['card', 'ecash'] }, merchant);

/** The cardholder's purchase request for `offer` (OI overridden by `overrides`). */
async function purchaseFor(
  offer: SignedOffer,
  overrides: Parameters<typeof testOrder>[1] = {},
): Promise<SetMessage<'purchase-request'>> {
  const world = await makeSetWorld();
  const { oi, pi } = testOrder(world, {
    merchantId: offer.merchantId,
    amount: offer.amount,
    orderDigest: cardOfferOrderDigest(offer),
    ...overrides,
  });
  const purchase = await makePurchase(world, oi, pi);
  return signSetMessage(
    'purchase-request',
    {
      ...oi,
      piDigest: purchase.piDigest,
      piEnvelope: purchase.piEnvelope,
      dualSignature: purchase.dualSignature,
      cardholderCertificates: [world.cardholderCertificate, world.ca.certificate],
    },
    cardholderSigner,
  );
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isFarthingError(error) ? error.code : 'not a FarthingError';
  }
}

const check = (credential: Parameters<typeof checkCredentialForOffer>[0]) =>
  checkCredentialForOffer(credential, {
    merchantId: offerParameters.merchantId,
    merchantPublicKey: merchant.publicKey,
    now,
  });

describe('the card credential', () => {
  it('takes the offer hash as the order an offer sells', async () => {
    const offer = await cardOffer();
    expect(equalBytes(cardOfferOrderDigest(offer), offerHash(offer))).toBe(true);
  });

  it('round-trips through its wire form with the purchase request byte for byte', async () => {
    const offer = await cardOffer();
    const purchase = await purchaseFor(offer);
    const decoded = decodeCredential(encodeCredential({ type: 'card', offer, purchase }));
    if (decoded.type !== 'card') throw new Error('expected a card credential');
    expect(decoded.purchase.signature).toEqual(purchase.signature);
    expect(setMessageSigningBytes('purchase-request', decoded.purchase.body)).toEqual(
      setMessageSigningBytes('purchase-request', purchase.body),
    );
    expect(codeOf(() => check(decoded))).toBeUndefined();
  });

  it('refuses a card on an offer that does not list it', async () => {
    const offer = await signOffer(offerParameters, merchant);
    const purchase = await purchaseFor(offer);
    expect(codeOf(() => check({ type: 'card', offer, purchase }))).toBe('instrument_not_accepted');
  });

  it('refuses a purchase request for another offer, amount or merchant', async () => {
    const offer = await cardOffer();
    const other = await signOffer(
      { ...offerParameters, resource: '/articles/8', instruments: ['card'] },
      merchant,
    );
    const forOther = await purchaseFor(other);
    expect(
      codeOf(() => checkCardPurchasePaysOffer({ purchase: forOther }, offer, 'demo-shop')),
    ).toBe('set_order_mismatch');
    const cheaper = await purchaseFor(offer, { amount: amount('EUR', 4) });
    expect(codeOf(() => check({ type: 'card', offer, purchase: cheaper }))).toBe('offer_mismatch');
    const elsewhere = await purchaseFor(offer, { merchantId: 'other-shop' });
    expect(codeOf(() => check({ type: 'card', offer, purchase: elsewhere }))).toBe(
      'merchant_mismatch',
    );
  });

  it('refuses a malformed purchase request at the edge, naming the field', async () => {
    const offer = await cardOffer();
    const purchase = await purchaseFor(offer);
    const wire = JSON.parse(
      new TextDecoder().decode(encodeCredential({ type: 'card', offer, purchase })),
    );
    wire.purchase.body.cardholderCertificates = Array(5).fill(
      wire.purchase.body.cardholderCertificates[0],
    );
    const bytes = new TextEncoder().encode(JSON.stringify(wire));
    expect(codeOf(() => decodeCredential(bytes))).toBe('invalid_message');
    delete wire.purchase;
    expect(codeOf(() => decodeCredential(new TextEncoder().encode(JSON.stringify(wire))))).toBe(
      'invalid_message',
    );
  });
});
