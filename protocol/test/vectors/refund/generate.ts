/**
 * Writes refund-vectors.json: the canonical signing bytes of a fixed refund (protocol/src/
 * refund.ts) and its Ed25519 signature under a fixed seed (RFC 8032 signing is deterministic),
 * recomputed by protocol/src/refund.test.ts. Run from the repository root:
 *
 *   npx tsx protocol/test/vectors/refund/generate.ts
 *
 * The bytes are written out by hand from the layout the module documents (tag with u32 length,
 * u16 version, then merchantId, receiptId[16], offerHash[32], instrument, payment, paid,
 * amount, refundId as u32-length strings or fixed bytes, amounts as 3 currency letters and u64
 * minor units, refundedAt u64) rather than by calling `refunds.signingBytes`, so the vector
 * checks the encoding against its description. The signature comes from Node's Ed25519.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const refund = {
  merchantId: 'demo-shop',
  receiptId: Buffer.alloc(16, 0x52).toString('base64url'),
  offerHash: Buffer.alloc(32, 0x4f).toString('base64url'),
  instrument: 'ecash',
  payment: 'farthing-deposit-1',
  paid: 'EUR 0.05',
  amount: 'EUR 0.02',
  refundId: 'order-17-return',
  refundedAt: 1_767_225_600_000,
};
const seed = Buffer.alloc(32, 0x4d);

const parts: Buffer[] = [];
const u16 = (n: number) => parts.push(Buffer.from([n >> 8, n & 0xff]));
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  parts.push(b);
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  parts.push(b);
};
const text = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  u32(b.length);
  parts.push(b);
};
const fixed = (b64: string) => parts.push(Buffer.from(b64, 'base64url'));
const money = (s: string, minor: number) => {
  parts.push(Buffer.from(s.slice(0, 3), 'ascii'));
  u64(minor);
};

text('farthing/refund');
u16(1);
text(refund.merchantId);
fixed(refund.receiptId);
fixed(refund.offerHash);
text(refund.instrument);
text(refund.payment);
money(refund.paid, 5);
money(refund.amount, 2);
text(refund.refundId);
u64(refund.refundedAt);
const bytes = Buffer.concat(parts);

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
const key = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
});
const vector = {
  source:
    'Farthing refund vector, produced by protocol/test/vectors/refund/generate.ts (npx tsx protocol/test/vectors/refund/generate.ts), bytes laid out by hand, signed with Node Ed25519; recomputed by protocol/src/refund.test.ts.',
  seed: seed.toString('hex'),
  refund,
  signingBytes: bytes.toString('hex'),
  signature: sign(null, bytes, key).toString('base64url'),
};
writeFileSync(
  new URL('./refund-vectors.json', import.meta.url),
  `${JSON.stringify(vector, null, 1)}\n`,
);
