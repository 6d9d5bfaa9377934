import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amount } from './amount.ts';
import { ed25519Signer } from './ed25519.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { farthingErrorCode } from './errors.fixture.ts';
import { nodeEd25519Verify } from './node/ed25519.ts';
import { type Refund, refunds, signRefund } from './refund.ts';

const vector = JSON.parse(
  readFileSync(new URL('../test/vectors/refund/refund-vectors.json', import.meta.url), 'utf8'),
) as {
  seed: string;
  refund: Record<string, string | number>;
  signingBytes: string;
  signature: string;
};

const seed = Buffer.from(vector.seed, 'hex');
const signer = ed25519Signer(new Uint8Array(seed));
const fields: Omit<Refund, 'version'> = {
  merchantId: 'demo-shop',
  receiptId: fromBase64url(String(vector.refund.receiptId)),
  offerHash: fromBase64url(String(vector.refund.offerHash)),
  instrument: 'ecash',
  payment: 'farthing-deposit-1',
  paid: amount('EUR', 5),
  amount: amount('EUR', 2),
  refundId: 'order-17-return',
  refundedAt: 1_767_225_600_000,
};

describe('refund', () => {
  it('signs the bytes laid out by hand in the vector, with the vector’s signature', async () => {
    const signed = await signRefund(fields, signer);
    expect(Buffer.from(refunds.signingBytes(signed)).toString('hex')).toBe(vector.signingBytes);
    expect(toBase64url(signed.signature)).toBe(vector.signature);
    expect(refunds.signedToWire(signed)).toEqual({
      version: 1,
      ...vector.refund,
      signature: vector.signature,
    });
  });

  it('verifies a parsed refund with the merchant key, natively and in pure JS', async () => {
    const wire = refunds.signedToWire(await signRefund(fields, signer));
    const parsed = refunds.parse(JSON.parse(JSON.stringify(wire)));
    refunds.checkMerchantSignature(parsed, { merchantPublicKey: signer.publicKey });
    refunds.checkMerchantSignature(parsed, {
      merchantPublicKey: signer.publicKey,
      ed25519Verify: nodeEd25519Verify,
    });
  });

  it('rejects a refund whose amount or refund id was changed after signing', async () => {
    const signed = await signRefund(fields, signer);
    for (const changed of [
      { ...signed, amount: amount('EUR', 3) },
      { ...signed, refundId: 'order-17-return-2' },
      { ...signed, instrument: 'payword' as const },
    ]) {
      expect(
        farthingErrorCode(() =>
          refunds.checkMerchantSignature(changed, { merchantPublicKey: signer.publicKey }),
        ),
      ).toBe('bad_signature');
    }
  });

  it('rejects another merchant’s key', async () => {
    const signed = await signRefund(fields, signer);
    const other = ed25519Signer(new Uint8Array(32).fill(7)).publicKey;
    expect(
      farthingErrorCode(() => refunds.checkMerchantSignature(signed, { merchantPublicKey: other })),
    ).toBe('bad_signature');
  });

  it('refuses to sign or read a refund larger than what was paid, or of nothing', async () => {
    await expect(signRefund({ ...fields, amount: amount('EUR', 6) }, signer)).rejects.toMatchObject(
      {
        code: 'refund_exceeds_payment',
      },
    );
    await expect(signRefund({ ...fields, amount: amount('EUR', 0) }, signer)).rejects.toMatchObject(
      {
        code: 'invalid_argument',
      },
    );
    const wire = { version: 1, ...vector.refund, amount: 'EUR 0.06', signature: vector.signature };
    expect(farthingErrorCode(() => refunds.parse(wire))).toBe('refund_exceeds_payment');
  });

  it('reads only version 1 and the instruments refunds go through the bank for', () => {
    const wire = { version: 1, ...vector.refund, signature: vector.signature };
    expect(farthingErrorCode(() => refunds.parse({ ...wire, version: 2 }))).toBe(
      'unsupported_version',
    );
    expect(farthingErrorCode(() => refunds.parse({ ...wire, instrument: 'card' }))).toBe(
      'invalid_message',
    );
    expect(farthingErrorCode(() => refunds.parse({ ...wire, extra: 1 }))).toBe('invalid_message');
  });

  it('names a PayWord payment by any commitment id, also one whose base64url begins with - or _', async () => {
    for (const first of [0xf8, 0xfc]) {
      const commitmentId = new Uint8Array(32).fill(7);
      commitmentId[0] = first;
      const payment = toBase64url(commitmentId);
      expect('-_').toContain(payment[0]);
      const signed = await signRefund(
        { ...fields, instrument: 'payword', payment, refundId: 'r-1' },
        signer,
      );
      const parsed = refunds.parse(refunds.signedToWire(signed));
      expect(parsed.payment).toBe(payment);
      refunds.checkMerchantSignature(parsed, { merchantPublicKey: signer.publicKey });
    }
    const wire = { version: 1, ...vector.refund, signature: vector.signature };
    expect(farthingErrorCode(() => refunds.parse({ ...wire, payment: '' }))).toBe(
      'invalid_message',
    );
  });
});
