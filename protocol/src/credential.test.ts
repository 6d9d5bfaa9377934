import { beforeAll, describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { generateDenominationKey, issueCoin, makeDenomination, now } from './coin/coin.fixture.ts';
import { createDepositPermission } from './coin/deposit-permission.ts';
import { payerCodeHash, randomPayerCode } from './coin/derivation.ts';
import {
  type Credential,
  checkCredentialForOffer,
  credentialToWire,
  decodeCredential,
  encodeCredential,
  parseCredential,
} from './credential.ts';
import { catchFarthingError } from './errors.fixture.ts';
import { nodeEd25519Verify } from './node/ed25519.ts';
import { merchant } from './offer.fixture.ts';
import { offerHash, type SignedOffer, signOffer } from './offer.ts';
import { offerToken } from './offer-token.ts';
import { createPaywordPayment } from './payword/payment.ts';
import { makeCommittedChain, vendorId } from './payword/payword.fixture.ts';

const merchantId = vendorId; // the PayWord fixtures commit chains to this vendor
const check = { merchantId, merchantPublicKey: merchant.publicKey, now };

async function makeOffer(minor: number, overrides: Partial<Parameters<typeof signOffer>[0]> = {}) {
  return signOffer(
    {
      merchantId,
      merchantOrigin: 'https://shop.example',
      resource: '/articles/7',
      amount: amount('EUR', minor),
      createdAt: now - 1_000,
      expiresAt: now + 600_000,
      instruments: ['ecash', 'payword'],
      ...overrides,
    },
    merchant,
  );
}

describe('credentials', () => {
  const key = generateDenominationKey();
  const denomination = makeDenomination(key, { value: amount('EUR', 5) });
  const seed = new Uint8Array(32).fill(3);
  let offer: SignedOffer;
  let ecash: Credential;
  let payword: Credential;

  function coinsFor(target: SignedOffer, count: number, contribution = 5) {
    const codeHash = payerCodeHash(randomPayerCode());
    return Array.from({ length: count }, (_, index) => {
      const { coin, secretKey } = issueCoin(key, denomination, seed, index);
      return createDepositPermission({
        coin,
        coinSecretKey: secretKey,
        offerHash: offerHash(target),
        merchantId: target.merchantId,
        amount: amount('EUR', contribution),
        payerCodeHash: codeHash,
      });
    });
  }

  beforeAll(async () => {
    offer = await makeOffer(10);
    ecash = { type: 'ecash', offer, coins: coinsFor(offer, 2) };
    const { chain, commitment } = await makeCommittedChain();
    payword = {
      type: 'payword',
      offer,
      payment: createPaywordPayment({ chain, commitment, index: 1, firstUse: true }),
    };
  });

  it('round-trips both instruments through wire JSON and header bytes', () => {
    for (const credential of [ecash, payword]) {
      const back = decodeCredential(encodeCredential(credential));
      expect(credentialToWire(back)).toEqual(credentialToWire(credential));
      expect(parseCredential(JSON.parse(JSON.stringify(credentialToWire(credential))))).toEqual(
        back,
      );
    }
  });

  it('accepts a credential that pays this merchant exactly', () => {
    expect(() => checkCredentialForOffer(ecash, check)).not.toThrow();
    expect(() =>
      checkCredentialForOffer(payword, { ...check, ed25519Verify: nodeEd25519Verify }),
    ).not.toThrow();
  });

  it('refuses an offer of another merchant', () => {
    expect(
      catchFarthingError(() => checkCredentialForOffer(ecash, { ...check, merchantId: 'other' }))
        .code,
    ).toBe('merchant_mismatch');
  });

  it('refuses an offer this merchant did not sign (tampered price)', () => {
    const tampered = { ...ecash, offer: { ...offer, amount: amount('EUR', 1) } };
    expect(catchFarthingError(() => checkCredentialForOffer(tampered, check)).code).toBe(
      'bad_signature',
    );
  });

  it('refuses an expired offer', () => {
    expect(
      catchFarthingError(() => checkCredentialForOffer(ecash, { ...check, now: now + 600_000 }))
        .code,
    ).toBe('offer_expired');
  });

  it('refuses an instrument the offer does not accept', async () => {
    const cardOnly = await makeOffer(10, { instruments: ['card'] });
    expect(
      catchFarthingError(() => checkCredentialForOffer({ ...payword, offer: cardOnly }, check))
        .code,
    ).toBe('instrument_not_accepted');
  });

  it('refuses coins made for another offer', async () => {
    const other = await makeOffer(10, { resource: '/articles/8' });
    const replayed: Credential = { type: 'ecash', offer: other, coins: coinsFor(offer, 2) };
    expect(catchFarthingError(() => checkCredentialForOffer(replayed, check)).code).toBe(
      'offer_mismatch',
    );
  });

  it('refuses coins that do not add up to the price', () => {
    const short: Credential = { type: 'ecash', offer, coins: coinsFor(offer, 1) };
    expect(catchFarthingError(() => checkCredentialForOffer(short, check)).code).toBe(
      'coin_amount_mismatch',
    );
  });

  it('refuses a PayWord chain committed to another vendor', async () => {
    const { chain, commitment } = await makeCommittedChain({ fields: { vendorId: 'elsewhere' } });
    const foreign: Credential = {
      type: 'payword',
      offer,
      payment: createPaywordPayment({ chain, commitment, index: 1, firstUse: true }),
    };
    expect(catchFarthingError(() => checkCredentialForOffer(foreign, check)).code).toBe(
      'payword_vendor_mismatch',
    );
  });

  it.each([
    ['not JSON', new TextEncoder().encode('{"type":'), 'invalid_message'],
    ['not UTF-8', Uint8Array.of(0xff, 0xfe), 'invalid_message'],
    ['too large', new Uint8Array(256 * 1024 + 1), 'invalid_message'],
  ])('refuses header bytes that are %s', (_name, bytes, code) => {
    expect(catchFarthingError(() => decodeCredential(bytes)).code).toBe(code);
  });

  it('refuses malformed wire credentials with the right code', () => {
    const wire = credentialToWire(ecash) as unknown as Record<string, unknown>;
    expect(catchFarthingError(() => parseCredential({ ...wire, version: 2 })).code).toBe(
      'unsupported_version',
    );
    expect(catchFarthingError(() => parseCredential({ ...wire, type: 'card' })).code).toBe(
      'invalid_message',
    );
    expect(catchFarthingError(() => parseCredential({ ...wire, coins: [] })).code).toBe(
      'invalid_message',
    );
    expect(catchFarthingError(() => parseCredential({ ...wire, extra: true })).code).toBe(
      'invalid_message',
    );
    expect(
      catchFarthingError(() => parseCredential({ ...wire, offer: `${offerToken(offer)}A` })).code,
    ).toMatch(/^invalid_(encoding|message)$/);
    expect(
      catchFarthingError(() => credentialToWire({ type: 'cash' } as unknown as Credential)).code,
    ).toBe('invalid_argument');
  });
});
