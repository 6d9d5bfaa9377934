/**
 * CRC-32 (ISO-HDLC: polynomial 0x04C11DB7 reflected as 0xEDB88320, initial value and final
 * XOR 0xFFFFFFFF), the checksum of Ethernet, zlib and PNG. The HID framing appends it to every
 * message so that a corrupted packet is refused instead of misread: it detects every burst
 * error of up to 32 bits, so any single corrupted byte, and 2^-32 of everything else slips by.
 * Check value (the catalogue's "123456789") in test/vectors/crc32.
 */
import { assertBytes } from '../errors.ts';

const table = (() => {
  const out = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    out[n] = c >>> 0;
  }
  return out;
})();

/** CRC-32 of the concatenation of `parts`. */
export function crc32(...parts: readonly Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    assertBytes(part, 'data');
    for (let i = 0; i < part.length; i++) crc = table[(crc ^ part[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
