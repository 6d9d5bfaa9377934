import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../ed25519.ts';
import {
  catchFarthingError,
  farthingErrorCode,
  rejectsWithFarthingError,
} from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import { day, eur, generateDenominationKey, makeDenomination, now } from './coin.fixture.ts';
import { denominationId } from './denomination.ts';
import {
  findDenomination,
  findUsableDenomination,
  type MintKeySet,
  mintKeySets,
  type SignedMintKeySet,
  signMintKeySet,
  verifyMintKeySet,
} from './mint-key-set.ts';

const master = ed25519Signer(new Uint8Array(32).fill(0x6d));
const impostor = ed25519Signer(new Uint8Array(32).fill(0x69));
const keys = [generateDenominationKey(), generateDenominationKey()];
const cent = makeDenomination(keys[0]!, { value: eur(1) });
const euro = makeDenomination(keys[1]!, { value: eur(100), validFrom: now + day });
const keySet = await signMintKeySet({ issuedAt: now, denominations: [cent, euro] }, master);

describe('mint key sets', () => {
  it('are signed by the master key and verify with it', () => {
    expect(keySet.masterPublicKey).toEqual(master.publicKey);
    expect(() => verifyMintKeySet(keySet, { masterPublicKey: master.publicKey })).not.toThrow();
    expect(() =>
      verifyMintKeySet(keySet, {
        masterPublicKey: master.publicKey,
        ed25519Verify: nodeEd25519Verify,
      }),
    ).not.toThrow();
  });

  it('do not verify under a master key the caller does not trust', async () => {
    const forged = await signMintKeySet({ issuedAt: now, denominations: [cent] }, impostor);
    expect(
      farthingErrorCode(() => verifyMintKeySet(forged, { masterPublicKey: master.publicKey })),
    ).toBe('bad_signature');
    const relabelled = { ...forged, masterPublicKey: master.publicKey };
    expect(
      farthingErrorCode(() => verifyMintKeySet(relabelled, { masterPublicKey: master.publicKey })),
    ).toBe('bad_signature');
  });

  it.each<[string, (k: SignedMintKeySet) => SignedMintKeySet]>([
    ['issuedAt', (k) => ({ ...k, issuedAt: k.issuedAt + 1 })],
    ['a dropped denomination', (k) => ({ ...k, denominations: [cent] })],
    ['the order of denominations', (k) => ({ ...k, denominations: [euro, cent] })],
    ['a denomination value', (k) => ({ ...k, denominations: [{ ...cent, value: eur(2) }, euro] })],
    [
      'a deposit window',
      (k) => ({ ...k, denominations: [cent, { ...euro, depositUntil: euro.depositUntil + 1 }] }),
    ],
    ['a key', (k) => ({ ...k, denominations: [{ ...cent, publicKey: keys[1]!.publicKey }, euro] })],
  ])('fail to verify once %s changes', (_, change) => {
    expect(
      farthingErrorCode(() =>
        verifyMintKeySet(change(keySet), { masterPublicKey: master.publicKey }),
      ),
    ).toBe('bad_signature');
  });

  it.each<[string, Partial<MintKeySet>]>([
    ['no denominations', { denominations: [] }],
    ['a repeated denomination', { denominations: [cent, { ...cent }] }],
    ['a bad issue time', { issuedAt: -5 }],
  ])('cannot be signed with %s', async (_, change) => {
    const error = await rejectsWithFarthingError(
      signMintKeySet({ issuedAt: now, denominations: [cent], ...change }, master),
    );
    expect(error.code).toBe('invalid_argument');
  });

  it('find a denomination by id, or answer unknown_denomination', () => {
    expect(findDenomination(keySet, denominationId(euro))).toBe(euro);
    expect(farthingErrorCode(() => findDenomination(keySet, new Uint8Array(32)))).toBe(
      'unknown_denomination',
    );
    expect(farthingErrorCode(() => findDenomination(keySet, new Uint8Array(31)))).toBe(
      'invalid_argument',
    );
  });

  it('find only usable denominations when asked', () => {
    expect(findUsableDenomination(keySet, denominationId(cent), 'withdraw', now)).toBe(cent);
    expect(
      farthingErrorCode(() =>
        findUsableDenomination(keySet, denominationId(euro), 'withdraw', now),
      ),
    ).toBe('denomination_not_yet_valid');
    expect(
      farthingErrorCode(() =>
        findUsableDenomination(keySet, denominationId(cent), 'withdraw', cent.withdrawUntil),
      ),
    ).toBe('denomination_expired');
  });
});

describe('mint key set wire form', () => {
  it('round-trips through JSON and still verifies', () => {
    const parsed = mintKeySets.parse(JSON.parse(JSON.stringify(mintKeySets.signedToWire(keySet))));
    expect(parsed).toEqual(keySet);
    expect(() => verifyMintKeySet(parsed, { masterPublicKey: master.publicKey })).not.toThrow();
  });

  it.each<[string, (wire: Record<string, unknown>) => void, string]>([
    [
      'version 2',
      (w) => {
        w.version = 2;
      },
      'unsupported_version',
    ],
    [
      'no denominations',
      (w) => {
        w.denominations = [];
      },
      'invalid_message',
    ],
    [
      'a repeated denomination',
      (w) => {
        const list = w.denominations as unknown[];
        w.denominations = [list[0], list[0]];
      },
      'invalid_message',
    ],
    [
      'a bad denomination',
      (w) => {
        const list = w.denominations as Record<string, unknown>[];
        w.denominations = [{ ...list[0], cipher: 'RSA' }];
      },
      'invalid_message',
    ],
    [
      'a short master key',
      (w) => {
        w.masterPublicKey = 'AAAA';
      },
      'invalid_encoding',
    ],
    [
      'an unknown member',
      (w) => {
        w.extra = true;
      },
      'invalid_message',
    ],
  ])('refuses %s', (_, change, code) => {
    const wire: Record<string, unknown> = { ...mintKeySets.signedToWire(keySet) };
    change(wire);
    expect(farthingErrorCode(() => mintKeySets.parse(wire))).toBe(code);
  });

  it('names the denomination that is wrong', () => {
    const wire = mintKeySets.signedToWire(keySet);
    const bad = {
      ...wire,
      denominations: [wire.denominations[0], { ...wire.denominations[1], value: 'EUR 0' }],
    };
    expect(catchFarthingError(() => mintKeySets.parse(bad)).details.field).toBe(
      'denominations.1.value',
    );
  });
});
