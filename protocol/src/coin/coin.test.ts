import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blind, blindSign, finalize } from '../blind-rsa/rsabssa.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import { nodeBlindRsaSigner } from '../node/blind-rsa.ts';
import {
  bigintBlindRsaVerify,
  blindRsaKey,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
  nodeBlindRsaVerify,
  plainNodeRsaVerify,
} from './coin.fixture.ts';
import {
  type Coin,
  coinMessage,
  coinToWire,
  parseCoin,
  preparedCoinMessage,
  verifyCoin,
} from './coin.ts';
import { denominationCipher, denominationId } from './denomination.ts';
import { deriveCoinBlindingSource, deriveCoinSecrets } from './derivation.ts';

const key = generateDenominationKey();
const otherKey = generateDenominationKey();
const denomination = makeDenomination(key);
const other = makeDenomination(otherKey);
const seed = new Uint8Array(32).fill(0x5e);
const verifiers = [
  ['native (node/blind-rsa)', nodeBlindRsaVerify()],
  ['BigInt (blind-rsa)', bigintBlindRsaVerify()],
  ['node:crypto', plainNodeRsaVerify],
] as const;

/** The withdrawal as the wallet and mint run it, with secrets derived from the seed. */
function withdrawBlindly(index: number): { coin: Coin; blindedMsg: Uint8Array } {
  const secrets = deriveCoinSecrets(seed, index);
  const publicKey = blindRsaKey(denomination.publicKey);
  const prepared = preparedCoinMessage(secrets.messagePrefix, secrets.publicKey);
  const { blindedMsg, inv } = blind(denominationCipher, publicKey, prepared, {
    random: deriveCoinBlindingSource(seed, index),
  });
  const blindSig = blindSign(nodeBlindRsaSigner(key.privateKey), blindedMsg);
  const signature = finalize(denominationCipher, publicKey, prepared, blindSig, inv);
  return {
    blindedMsg,
    coin: {
      denominationId: denominationId(denomination),
      coinPublicKey: secrets.publicKey,
      messagePrefix: secrets.messagePrefix,
      denominationSignature: signature,
    },
  };
}

describe('coin message', () => {
  it('is the tagged coin public key, prefixed as RFC 9474 §4.1 prepares it', () => {
    const coinPublicKey = new Uint8Array(32).fill(1);
    const tag = Buffer.from('farthing/coin-public-key');
    expect(coinMessage(coinPublicKey)).toEqual(
      new Uint8Array(
        Buffer.concat([Buffer.of(0, 0, 0, tag.length), tag, Buffer.of(0, 1), coinPublicKey]),
      ),
    );
    const prefix = new Uint8Array(32).fill(2);
    expect(preparedCoinMessage(prefix, coinPublicKey)).toEqual(
      new Uint8Array(Buffer.concat([prefix, coinMessage(coinPublicKey)])),
    );
  });

  it('refuses keys and prefixes of the wrong size', () => {
    expect(farthingErrorCode(() => coinMessage(new Uint8Array(33)))).toBe('invalid_argument');
    expect(
      farthingErrorCode(() => preparedCoinMessage(new Uint8Array(31), new Uint8Array(32))),
    ).toBe('invalid_argument');
  });
});

describe('verifyCoin', () => {
  it('accepts a coin withdrawn through blind RSA, with every verifier', () => {
    const { coin } = withdrawBlindly(0);
    for (const [, rsaVerify] of verifiers) {
      expect(() => verifyCoin(coin, denomination, rsaVerify)).not.toThrow();
    }
  });

  it('lets a wallet that crashed re-derive the same blinded message and coin', () => {
    const first = withdrawBlindly(4);
    const again = withdrawBlindly(4);
    expect(again.blindedMsg).toEqual(first.blindedMsg);
    expect(again.coin.coinPublicKey).toEqual(first.coin.coinPublicKey);
    expect(withdrawBlindly(5).blindedMsg).not.toEqual(first.blindedMsg);
  });

  it('accepts a coin signed directly with RSA-PSS, as the fixtures make them', () => {
    const { coin } = issueCoin(key, denomination, seed, 1);
    for (const [, rsaVerify] of verifiers) {
      expect(() => verifyCoin(coin, denomination, rsaVerify)).not.toThrow();
    }
  });

  it.each(verifiers)('refuses any changed field with bad_signature (%s)', (_, rsaVerify) => {
    const { coin } = issueCoin(key, denomination, seed, 2);
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 0x10;
      return copy;
    };
    for (const changed of [
      { ...coin, coinPublicKey: flip(coin.coinPublicKey, 31) },
      { ...coin, messagePrefix: flip(coin.messagePrefix, 0) },
      { ...coin, denominationSignature: flip(coin.denominationSignature, 100) },
      {
        ...coin,
        denominationSignature: issueCoin(key, denomination, seed, 3).coin.denominationSignature,
      },
    ]) {
      expect(farthingErrorCode(() => verifyCoin(changed, denomination, rsaVerify))).toBe(
        'bad_signature',
      );
    }
  });

  it('refuses a coin signed by another denomination key', () => {
    const { coin } = issueCoin(otherKey, other, seed, 0);
    const relabelled = { ...coin, denominationId: denominationId(denomination) };
    expect(farthingErrorCode(() => verifyCoin(relabelled, denomination, plainNodeRsaVerify))).toBe(
      'bad_signature',
    );
  });

  it('refuses a denomination other than the one the coin names', () => {
    const { coin } = issueCoin(key, denomination, seed, 0);
    expect(farthingErrorCode(() => verifyCoin(coin, other, plainNodeRsaVerify))).toBe(
      'invalid_argument',
    );
  });

  it('checks its arguments', () => {
    const { coin } = issueCoin(key, denomination, seed, 0);
    expect(
      farthingErrorCode(() =>
        verifyCoin(
          { ...coin, denominationSignature: new Uint8Array(255) },
          denomination,
          plainNodeRsaVerify,
        ),
      ),
    ).toBe('invalid_argument');
    expect(farthingErrorCode(() => verifyCoin(coin, denomination, undefined as never))).toBe(
      'invalid_argument',
    );
    expect(
      farthingErrorCode(() => verifyCoin(null as never, denomination, plainNodeRsaVerify)),
    ).toBe('invalid_argument');
  });
});

describe('coin wire form', () => {
  const { coin } = issueCoin(key, denomination, seed, 0);

  it('round-trips through JSON', () => {
    const wire = coinToWire(coin);
    expect(Object.keys(wire)).toEqual([
      'denominationId',
      'coinPublicKey',
      'messagePrefix',
      'denominationSignature',
    ]);
    expect(parseCoin(JSON.parse(JSON.stringify(wire)))).toEqual(coin);
  });

  it('round-trips any bytes of the right sizes', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    fc.assert(
      fc.property(bytes(32), bytes(32), bytes(32), bytes(256), (a, b, c, d) => {
        const value: Coin = {
          denominationId: a,
          coinPublicKey: b,
          messagePrefix: c,
          denominationSignature: d,
        };
        expect(parseCoin(coinToWire(value))).toEqual(value);
      }),
      { numRuns: 50 },
    );
  });

  it.each<[string, (w: Record<string, unknown>) => void, string]>([
    [
      'a short signature',
      (w) => {
        w.denominationSignature = 'AAAA';
      },
      'invalid_encoding',
    ],
    [
      'a missing prefix',
      (w) => {
        delete w.messagePrefix;
      },
      'invalid_message',
    ],
    [
      'an unknown member',
      (w) => {
        w.value = 'EUR 1';
      },
      'invalid_message',
    ],
  ])('refuses %s', (_, change, code) => {
    const wire: Record<string, unknown> = { ...coinToWire(coin) };
    change(wire);
    expect(farthingErrorCode(() => parseCoin(wire))).toBe(code);
  });
});
