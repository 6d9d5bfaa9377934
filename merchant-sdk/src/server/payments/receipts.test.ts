import { amount } from '@farthing/protocol/amount';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { type Receipt, receipts, signReceipt } from '@farthing/protocol/receipt';
import { describe, expect, it } from 'vitest';
import {
  signReceiptJson,
  signStoredReceipt,
  unsignedReceiptJson,
  unsignedReceiptJsonTemplate,
} from './receipts.ts';

const signer = nodeEd25519Signer(new Uint8Array(32).fill(0x4d));
const receipt: Receipt = {
  version: receipts.type.version,
  offerHash: new Uint8Array(32).fill(7),
  merchantId: 'demo-shop',
  resource: '/articles/7',
  amount: amount('EUR', 5),
  instrument: 'payword',
  paidAt: 1_700_000_000_000,
  receiptId: new Uint8Array(16).fill(9),
};

describe('stored receipts', () => {
  it('signs to exactly the wire JSON of @farthing/protocol/receipt', async () => {
    const expected = JSON.stringify(receipts.signedToWire(await signReceipt(receipt, signer)));
    const unsigned = unsignedReceiptJson(receipt);
    expect(await signReceiptJson(receipts.signingBytes(receipt), unsigned, signer)).toBe(expected);
    const parsed = receipts.parse(JSON.parse(expected));
    receipts.checkMerchantSignature(parsed, { merchantPublicKey: signer.publicKey });
  });

  it('makes through the template exactly the unsigned JSON', () => {
    const { paidAt, receiptId, ...fields } = receipt;
    const template = unsignedReceiptJsonTemplate(fields);
    expect(template(paidAt, receiptId)).toBe(unsignedReceiptJson(receipt));
    const other = {
      ...receipt,
      resource: '/%C3%A9/b?c=d',
      paidAt: 0,
      receiptId: new Uint8Array(16),
    };
    const { paidAt: p, receiptId: r, ...otherFields } = other;
    expect(unsignedReceiptJsonTemplate(otherFields)(p, r)).toBe(unsignedReceiptJson(other));
  });

  it('signs a stored receipt again to the identical receipt', async () => {
    const unsigned = unsignedReceiptJson(receipt);
    const first = await signReceiptJson(receipts.signingBytes(receipt), unsigned, signer);
    expect(await signStoredReceipt(unsigned, signer)).toBe(first);
  });

  it('serves a receipt stored signed (older stores) as it is', async () => {
    const signed = JSON.stringify(receipts.signedToWire(await signReceipt(receipt, signer)));
    expect(await signStoredReceipt(signed, signer)).toBe(signed);
  });

  it('refuses a stored receipt that is not one (invalid_message)', async () => {
    const broken = unsignedReceiptJson(receipt).replace('"paidAt":', '"paid":');
    await expect(signStoredReceipt(broken, signer)).rejects.toMatchObject({
      code: 'invalid_message',
    });
  });
});
