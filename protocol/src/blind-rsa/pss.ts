/**
 * EMSA-PSS (RFC 8017 §9.1) with SHA-384 and MGF1-SHA-384, the encoding every RFC 9474 §5
 * variant uses. The salt is 48 bytes (PSS) or empty (PSSZERO); it is an input here so the
 * caller decides where randomness comes from.
 */
import { sha384 } from '@noble/hashes/sha2.js';
import { FarthingError } from '../errors.ts';

/** SHA-384 output length in bytes (hLen). */
export const hashLength = 48;

/** RFC 8017 §B.2.1 MGF1 with SHA-384. */
export function mgf1Sha384(seed: Uint8Array, maskLength: number): Uint8Array {
  const out = new Uint8Array(maskLength);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const view = new DataView(input.buffer);
  for (let counter = 0, offset = 0; offset < maskLength; counter++, offset += hashLength) {
    view.setUint32(seed.length, counter);
    const block = sha384(input);
    out.set(block.subarray(0, Math.min(hashLength, maskLength - offset)), offset);
  }
  return out;
}

/** H = Hash(0x00 × 8 ‖ mHash ‖ salt), RFC 8017 §9.1.1 steps 5–6 and §9.1.2 steps 12–13. */
function saltedHash(messageHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const input = new Uint8Array(8 + hashLength + salt.length);
  input.set(messageHash, 8);
  input.set(salt, 8 + hashLength);
  return sha384(input);
}

/**
 * RFC 8017 §9.1.1 EMSA-PSS-ENCODE. `emBits` is modBits − 1 (RFC 8017 §8.1.1 step 1), so the
 * encoded message as an integer is always below the modulus.
 */
export function emsaPssEncode(message: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  // Step 1 ("message too long" beyond SHA-384's 2^125-byte input limit) cannot happen: no
  // Uint8Array is that long.
  const emLength = Math.ceil(emBits / 8);
  // Step 3: the key must leave room for the hash, the salt and two marker bytes.
  if (emLength < hashLength + salt.length + 2) {
    throw new FarthingError(
      'blind_rsa_message_too_long',
      `an RSA key of ${emBits + 1} bits is too short for EMSA-PSS with a ${salt.length}-byte salt`,
      { details: { field: 'publicKey', emBits, saltLength: salt.length } },
    );
  }
  const h = saltedHash(sha384(message), salt);
  const dbLength = emLength - hashLength - 1;
  // Steps 7–8: DB = PS (zeros) ‖ 0x01 ‖ salt.
  const em = new Uint8Array(emLength);
  em[dbLength - salt.length - 1] = 0x01;
  em.set(salt, dbLength - salt.length);
  // Steps 9–10: maskedDB = DB ⊕ MGF1(H, emLen − hLen − 1).
  const mask = mgf1Sha384(h, dbLength);
  for (let i = 0; i < dbLength; i++) em[i]! ^= mask[i]!;
  // Step 11: clear the leftmost 8·emLen − emBits bits.
  em[0]! &= 0xff >>> (8 * emLength - emBits);
  // Step 12: EM = maskedDB ‖ H ‖ 0xbc.
  em.set(h, dbLength);
  em[emLength - 1] = 0xbc;
  return em;
}

/** RFC 8017 §9.1.2 EMSA-PSS-VERIFY: true for "consistent". */
export function emsaPssVerify(
  message: Uint8Array,
  encoded: Uint8Array,
  emBits: number,
  saltLength: number,
): boolean {
  const emLength = Math.ceil(emBits / 8);
  // Step 3.
  if (encoded.length !== emLength || emLength < hashLength + saltLength + 2) return false;
  // Step 4: the trailer field.
  if (encoded[emLength - 1] !== 0xbc) return false;
  const dbLength = emLength - hashLength - 1;
  const h = encoded.subarray(dbLength, dbLength + hashLength);
  // Step 6: the bits that encoding cleared must be zero.
  const topMask = 0xff >>> (8 * emLength - emBits);
  if ((encoded[0]! & ~topMask) !== 0) return false;
  // Steps 7–9: DB = maskedDB ⊕ MGF1(H), then clear the same top bits.
  const db = mgf1Sha384(h, dbLength);
  for (let i = 0; i < dbLength; i++) db[i]! ^= encoded[i]!;
  db[0]! &= topMask;
  // Step 10: DB must be zeros, then 0x01, then exactly saltLength bytes of salt.
  const separator = dbLength - saltLength - 1;
  for (let i = 0; i < separator; i++) if (db[i] !== 0) return false;
  if (db[separator] !== 0x01) return false;
  // Steps 11–14: recompute H' over the recovered salt.
  const expected = saltedHash(sha384(message), db.subarray(dbLength - saltLength));
  let diff = 0;
  for (let i = 0; i < hashLength; i++) diff |= expected[i]! ^ h[i]!;
  return diff === 0;
}
