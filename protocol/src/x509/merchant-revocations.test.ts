import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  maxRevocationListSkew,
  merchantRevocationsToWire,
  signMerchantRevocations,
  verifyMerchantRevocations,
} from './merchant-revocations.ts';
import { now } from './x509.fixture.ts';

const ca = ed25519Signer(new Uint8Array(32).fill(0xca));
const other = ed25519Signer(new Uint8Array(32).fill(0xcb));
const serials = ['7f01', '0a5c3e'];

async function wire(signer = ca, issuedAt = now) {
  return merchantRevocationsToWire(
    await signMerchantRevocations({ bankId: 'demo-bank', issuedAt, serials }, signer),
  );
}

describe('merchant revocation list', () => {
  it('is signed by the CA key, sorted, and verifies with it (noble and native)', async () => {
    const list = await wire();
    expect(list.serials).toEqual(['0a5c3e', '7f01']);
    for (const ed25519Verify of [undefined, nodeEd25519Verify]) {
      const verified = verifyMerchantRevocations(list, {
        caPublicKey: ca.publicKey,
        now: now + 1000,
        ...(ed25519Verify === undefined ? {} : { ed25519Verify }),
      });
      expect(verified.serials).toEqual(['0a5c3e', '7f01']);
    }
  });

  it('refuses a list another key signed, or one a serial was taken out of', async () => {
    const byOther = await wire(other);
    expect(
      farthingErrorCode(() =>
        verifyMerchantRevocations(byOther, { caPublicKey: ca.publicKey, now }),
      ),
    ).toBe('bad_signature');
    const list = await wire();
    const shortened = { ...list, serials: ['7f01'] };
    expect(
      farthingErrorCode(() =>
        verifyMerchantRevocations(shortened, { caPublicKey: ca.publicKey, now }),
      ),
    ).toBe('bad_signature');
  });

  it('refuses a list dated further from the clock than the allowed skew (a replayed old list)', async () => {
    const old = await wire(ca, now - maxRevocationListSkew - 1);
    expect(
      farthingErrorCode(() => verifyMerchantRevocations(old, { caPublicKey: ca.publicKey, now })),
    ).toBe('revocations_stale');
    const ahead = await wire(ca, now + maxRevocationListSkew + 1);
    expect(
      farthingErrorCode(() => verifyMerchantRevocations(ahead, { caPublicKey: ca.publicKey, now })),
    ).toBe('revocations_stale');
    const edge = await wire(ca, now - maxRevocationListSkew);
    expect(verifyMerchantRevocations(edge, { caPublicKey: ca.publicKey, now }).issuedAt).toBe(
      now - maxRevocationListSkew,
    );
  });

  it('refuses malformed lists with the field named', async () => {
    const list = await wire();
    for (const [input, code, field] of [
      [{ ...list, serials: ['7F01'] }, 'invalid_message', 'serials.0'],
      [{ ...list, version: 2 }, 'invalid_message', 'version'],
      [{ ...list, signature: toBase64url(new Uint8Array(63)) }, 'invalid_encoding', 'signature'],
      [{ ...list, extra: 1 }, 'invalid_message', 'extra'],
    ] as const) {
      let caught: unknown;
      try {
        verifyMerchantRevocations(input, { caPublicKey: ca.publicKey, now });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code, details: { field } });
    }
  });
});
