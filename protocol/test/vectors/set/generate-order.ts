/**
 * Writes order-vectors.json: the canonical bytes and digest of a fixed card order (three lines,
 * 20 % VAT, shipping), recomputed by protocol/src/set/order.test.ts. Run from the repository
 * root:
 *
 *   npx tsx protocol/test/vectors/set/generate-order.ts
 *
 * The bytes are written out by hand from the layout documented in set/order.ts (tag, version,
 * u32 line count, each line's length-prefixed strings, u16 quantity, amount as 3 currency letters and u64
 * minor units; then u16 VAT rate
 * and three amounts) rather than by calling `cardOrderDigest`, so the vector checks the
 * encoding against its description and not merely against itself.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const order = {
  lines: [
    { item: 'print:harbour-dawn', description: 'Print: Harbour at Dawn', quantity: 2, unitPrice: 'EUR 0.03' },
    { item: 'print:wend-valley', description: 'Print: The Wend Valley in February', quantity: 1, unitPrice: 'EUR 0.02' },
    { item: 'download:tides-q1.csv', description: 'Download: Tide table', quantity: 1, unitPrice: 'EUR 0.04' },
  ],
  vatRate: 2000,
  vat: 'EUR 0.02',
  shipping: 'EUR 1.20',
  total: 'EUR 1.34',
};

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
const bytes = (b: Buffer) => {
  u32(b.length);
  parts.push(b);
};
const text = (s: string) => bytes(Buffer.from(s, 'utf8'));
const money = (s: string) => {
  const [currency, value] = s.split(' ') as [string, string];
  parts.push(Buffer.from(currency, 'ascii'));
  u64(Math.round(Number(value.replace('.', ''))));
};

text('farthing/set/order');
u16(1);
u32(order.lines.length);
for (const line of order.lines) {
  text(line.item);
  text(line.description);
  u16(line.quantity);
  money(line.unitPrice);
}
u16(order.vatRate);
money(order.vat);
money(order.shipping);
money(order.total);
const canonical = Buffer.concat(parts);

writeFileSync(
  new URL('./order-vectors.json', import.meta.url),
  `${JSON.stringify(
    {
      source:
        'Farthing card order vector, produced by protocol/test/vectors/set/generate-order.ts (npx tsx protocol/test/vectors/set/generate-order.ts), bytes laid out by hand; recomputed by protocol/src/set/order.test.ts.',
      order,
      canonicalBytes: canonical.toString('hex'),
      digest: createHash('sha256').update(canonical).digest('hex'),
    },
    null,
    1,
  )}\n`,
);
