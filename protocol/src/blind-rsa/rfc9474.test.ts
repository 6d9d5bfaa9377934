import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { blindBatch, finalizeBatch, verifyBatch } from './batch.ts';
import { i2osp, modInverse, modPow } from './bigint.ts';
import { bigintSigner, hex, int, replay, rfc9474, vectorKey } from './blind-rsa.fixture.ts';
import { emsaPssEncode, emsaPssVerify } from './pss.ts';
import { blindRsaPublicKey } from './public-key.ts';
import { blind, blindSign, finalize, prepare, verify } from './rsabssa.ts';

const publicKey = blindRsaPublicKey({ n: vectorKey.n, e: vectorKey.e });
const signer = bigintSigner(vectorKey);

/** The random bytes `blind` draws for a vector: the salt (if any), then r = inv⁻¹ mod n. */
function blindRandomness(v: (typeof rfc9474.vectors)[number]): Uint8Array[] {
  const r = modInverse(int(v.inv), vectorKey.n)!;
  const chunks = [i2osp(r, 512)!];
  return v.salt === '' ? chunks : [hex(v.salt), ...chunks];
}

describe('RFC 9474 Appendix A test vectors', () => {
  it('name their source and carry all four variants with one consistent key', () => {
    expect(rfc9474.source).toContain('RFC 9474');
    expect(rfc9474.source).toContain('https://www.rfc-editor.org/rfc/rfc9474');
    expect(rfc9474.vectors.map((v) => v.section)).toEqual(['A.1', 'A.2', 'A.3', 'A.4']);
    const { n, e, d, p, q } = vectorKey;
    expect(p * q).toBe(n);
    // e·d ≡ 1 (mod λ(n)) shows up as x^(e·d) ≡ x for any x.
    expect(modPow(modPow(12345n, e, n), d, n)).toBe(12345n);
  });

  describe.each(rfc9474.vectors)('$section $name', (v) => {
    it('prepares the message as msg_prefix ‖ msg (RFC 9474 §4.1)', () => {
      expect(v.prepared_msg).toBe(v.msg_prefix + v.msg);
      const random = replay(...(v.msg_prefix === '' ? [] : [hex(v.msg_prefix)]));
      expect(bytesToHex(prepare(v.name, hex(v.msg), { random }))).toBe(v.prepared_msg);
    });

    it('encodes the prepared message with EMSA-PSS into encoded_msg', () => {
      const encoded = emsaPssEncode(hex(v.prepared_msg), 4095, hex(v.salt));
      expect(bytesToHex(encoded)).toBe(v.encoded_msg);
      expect(emsaPssVerify(hex(v.prepared_msg), encoded, 4095, v.salt.length / 2)).toBe(true);
    });

    it('blinds to blinded_msg and inv given the same salt and r', () => {
      const random = replay(...blindRandomness(v));
      const { blindedMsg, inv } = blind(v.name, publicKey, hex(v.prepared_msg), { random });
      expect(bytesToHex(blindedMsg)).toBe(v.blinded_msg);
      expect(bytesToHex(inv)).toBe(v.inv);
    });

    it('blinds identically in a batch', () => {
      const random = replay(...blindRandomness(v), ...blindRandomness(v));
      const results = blindBatch(v.name, publicKey, [hex(v.prepared_msg), hex(v.prepared_msg)], {
        random,
      });
      for (const { blindedMsg, inv } of results) {
        expect(bytesToHex(blindedMsg)).toBe(v.blinded_msg);
        expect(bytesToHex(inv)).toBe(v.inv);
      }
    });

    it('blind-signs blinded_msg into blind_sig', () => {
      expect(bytesToHex(blindSign(signer, hex(v.blinded_msg)))).toBe(v.blind_sig);
    });

    it('finalizes blind_sig into sig, which verifies', async () => {
      const sig = finalize(v.name, publicKey, hex(v.prepared_msg), hex(v.blind_sig), hex(v.inv));
      expect(bytesToHex(sig)).toBe(v.sig);
      expect(() => verify(v.name, publicKey, hex(v.prepared_msg), sig)).not.toThrow();
      const [batched] = await finalizeBatch(v.name, publicKey, [
        { preparedMsg: hex(v.prepared_msg), blindSig: hex(v.blind_sig), inv: hex(v.inv) },
      ]);
      expect(bytesToHex(batched!)).toBe(v.sig);
      await verifyBatch(v.name, publicKey, [{ preparedMsg: hex(v.prepared_msg), signature: sig }]);
    });

    it('does not verify sig on the bare msg when the variant is randomized', () => {
      if (v.msg_prefix === '') return;
      expect(() => verify(v.name, publicKey, hex(v.msg), hex(v.sig))).toThrow(
        expect.objectContaining({ code: 'bad_signature' }),
      );
    });
  });
});
