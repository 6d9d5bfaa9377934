import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { ed25519Signer, nobleEd25519Verify, randomSecretKey } from '../ed25519.ts';
import {
  paymentStatements,
  signPaymentStatement,
  verifyPaymentStatement,
} from './payment-statement.ts';

const mint = ed25519Signer(randomSecretKey());
const unsigned = {
  version: 1 as const,
  merchantId: 'demo-shop',
  offerHash: new Uint8Array(32).fill(1),
  payerCodeHash: new Uint8Array(32).fill(2),
  coins: [new Uint8Array(32).fill(9), new Uint8Array(32).fill(3)],
  total: amount('EUR', 12),
  depositedAt: 1_000,
  issuedAt: 2_000,
};

describe('the payment statement', () => {
  it('is one statement whatever order the coins are listed in', () => {
    const reversed = { ...unsigned, coins: [...unsigned.coins].reverse() };
    expect(paymentStatements.signingBytes(reversed)).toEqual(
      paymentStatements.signingBytes(unsigned),
    );
  });

  it('verifies under the mint key after a round trip through its wire form, and not otherwise', async () => {
    const signed = await signPaymentStatement(unsigned, mint);
    const again = v.parse(paymentStatements.schema, paymentStatements.signedToWire(signed));
    verifyPaymentStatement(again, mint.publicKey, nobleEd25519Verify);
    for (const changed of [
      { ...again, total: amount('EUR', 13) },
      { ...again, depositedAt: 1_001 },
      { ...again, coins: again.coins.slice(1) },
    ]) {
      expect(() => verifyPaymentStatement(changed, mint.publicKey, nobleEd25519Verify)).toThrow(
        expect.objectContaining({ code: 'bad_signature' }),
      );
    }
    const stranger = ed25519Signer(randomSecretKey());
    expect(() => verifyPaymentStatement(again, stranger.publicKey, nobleEd25519Verify)).toThrow();
  });

  it('names at least one coin', () => {
    expect(() => paymentStatements.signingBytes({ ...unsigned, coins: [] })).toThrow(
      /1 to 256 coins/,
    );
  });
});
