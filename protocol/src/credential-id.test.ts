import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { generateDenominationKey, issueCoin, makeDenomination, now } from './coin/coin.fixture.ts';
import { createDepositPermission } from './coin/deposit-permission.ts';
import { payerCodeHash, randomPayerCode } from './coin/derivation.ts';
import type { Credential } from './credential.ts';
import { credentialIdOf } from './credential-id.ts';
import { merchant } from './offer.fixture.ts';
import { offerHash, signOffer } from './offer.ts';
import { createPaywordPayment } from './payword/payment.ts';
import { makeCommittedChain, vendorId } from './payword/payword.fixture.ts';

async function credentials() {
  const offer = await signOffer(
    {
      merchantId: vendorId,
      merchantOrigin: 'https://shop.example',
      resource: '/articles/7',
      amount: amount('EUR', 10),
      createdAt: now - 1_000,
      expiresAt: now + 600_000,
      instruments: ['ecash', 'payword'],
    },
    merchant,
  );
  const { chain, commitment } = await makeCommittedChain();
  const payword: Credential = {
    type: 'payword',
    offer,
    payment: createPaywordPayment({ chain, commitment, index: 3, firstUse: true }),
  };
  const key = generateDenominationKey();
  const denomination = makeDenomination(key, { value: amount('EUR', 5) });
  const codeHash = payerCodeHash(randomPayerCode());
  const coins = [0, 1, 2].map((index) => {
    const { coin, secretKey } = issueCoin(key, denomination, new Uint8Array(32).fill(3), index);
    return createDepositPermission({
      coin,
      coinSecretKey: secretKey,
      offerHash: offerHash(offer),
      merchantId: vendorId,
      amount: amount('EUR', 5),
      payerCodeHash: codeHash,
    });
  });
  const ecash: Credential = { type: 'ecash', offer, coins };
  return { offer, payword, ecash, coins };
}

describe('credential id', () => {
  it('is SHA-256 over the label, the offer hash and what a PayWord payment spends', async () => {
    const { offer, payword } = await credentials();
    if (payword.type !== 'payword') throw new Error('unreachable');
    const { payment } = payword;
    const index = Buffer.alloc(4);
    index.writeUInt32BE(payment.index);
    // Restated byte by byte, independently of the module.
    const expected = createHash('sha256')
      .update('farthing-merchant-sdk/credential/payword\0')
      .update(offerHash(offer))
      .update(payment.commitmentId)
      .update(index)
      .update(payment.word)
      .digest();
    expect(Buffer.from(credentialIdOf(payword, offerHash(offer))).equals(expected)).toBe(true);
  });

  it('is the same with Node’s SHA-256 as with the portable one, for every instrument', async () => {
    const { offer, payword, ecash } = await credentials();
    for (const credential of [payword, ecash]) {
      const portable = credentialIdOf(credential, offerHash(offer));
      const node = credentialIdOf(credential, offerHash(offer), createHash('sha256'));
      expect(portable).toEqual(node);
      expect(portable).toHaveLength(32);
    }
  });

  it('does not depend on the order the coins were sent in', async () => {
    const { offer, ecash, coins } = await credentials();
    const reversed: Credential = { type: 'ecash', offer, coins: [...coins].reverse() };
    expect(credentialIdOf(reversed, offerHash(offer))).toEqual(
      credentialIdOf(ecash, offerHash(offer)),
    );
  });

  it('differs for another word or another offer', async () => {
    const { offer, payword } = await credentials();
    if (payword.type !== 'payword') throw new Error('unreachable');
    const other: Credential = {
      ...payword,
      payment: { ...payword.payment, index: payword.payment.index + 1 },
    };
    const id = credentialIdOf(payword, offerHash(offer));
    expect(credentialIdOf(other, offerHash(offer))).not.toEqual(id);
    expect(credentialIdOf(payword, new Uint8Array(32))).not.toEqual(id);
  });
});
