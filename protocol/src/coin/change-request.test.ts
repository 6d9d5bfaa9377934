import { describe, expect, it } from 'vitest';
import { blind, blindSign, finalize } from '../blind-rsa/rsabssa.ts';
import { nobleEd25519Verify } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import { nodeBlindRsaSigner } from '../node/blind-rsa.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  type BlindedCoin,
  type ChangeRequest,
  changeRequests,
  maxChangeCoins,
  type VerifyChangeRequestParameters,
} from './change-request.ts';
import {
  blindRsaKey,
  day,
  eur,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
  nodeBlindRsaVerify,
  now,
} from './coin.fixture.ts';
import { preparedCoinMessage } from './coin.ts';
import { denominationCipher, denominationId } from './denomination.ts';
import { deriveCoinBlindingSource, deriveCoinSecrets } from './derivation.ts';

const bigKey = generateDenominationKey();
const smallKey = generateDenominationKey();
const euro = makeDenomination(bigKey, { value: eur(100) });
const fifty = makeDenomination(smallKey, { value: eur(50) });
const oldSeed = new Uint8Array(32).fill(0x11);
const newSeed = new Uint8Array(32).fill(0x22);
const issuanceId = 'change-0123456789abcdef';
const checks: VerifyChangeRequestParameters = {
  rsaVerify: nodeBlindRsaVerify(),
  ed25519Verify: nodeEd25519Verify,
  now,
};

/** The wallet's side: coin `index` of `newSeed` blinded for the 0.50 denomination. */
function blindedFifty(index: number) {
  const secrets = deriveCoinSecrets(newSeed, index);
  const prepared = preparedCoinMessage(secrets.messagePrefix, secrets.publicKey);
  const { blindedMsg, inv } = blind(denominationCipher, blindRsaKey(fifty.publicKey), prepared, {
    random: deriveCoinBlindingSource(newSeed, index),
  });
  const coin: BlindedCoin = { denominationId: denominationId(fifty), blindedMessage: blindedMsg };
  return { coin, prepared, inv };
}

// Signed once: a direct RSA-PSS signature is randomized (its salt), unlike the request.
const spent = issueCoin(bigKey, euro, oldSeed, 0);

function request(coins: readonly BlindedCoin[] = [blindedFifty(0).coin, blindedFifty(1).coin]) {
  return changeRequests.create({
    coin: spent.coin,
    coinSecretKey: spent.secretKey,
    issuanceId,
    coins,
  });
}

function flip(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= 0x01;
  return copy;
}

describe('change requests', () => {
  it('are signed by the coin key over the documented fields', () => {
    const change = request();
    const tag = Buffer.from('farthing/change-request');
    const expected = Buffer.concat([
      Buffer.of(0, 0, 0, tag.length),
      tag,
      Buffer.of(0, 1),
      change.coin.coinPublicKey,
      denominationId(euro),
      Buffer.of(0, 0, 0, issuanceId.length),
      Buffer.from(issuanceId),
      Buffer.of(0, 0, 0, 2),
      ...change.coins.flatMap((coin) => [
        coin.denominationId,
        Buffer.of(0, 0, 1, 0),
        coin.blindedMessage,
      ]),
    ]);
    const bytes = changeRequests.signingBytes(change);
    expect(bytes).toEqual(new Uint8Array(expected));
    expect(nobleEd25519Verify(change.signature, bytes, change.coin.coinPublicKey)).toBe(true);
  });

  it('are the same when made again from the same seeds (crash recovery)', () => {
    expect(request()).toEqual(request());
  });

  it('verify with native and pure-JS Ed25519', () => {
    const change = request();
    expect(() => changeRequests.verify(change, euro, checks)).not.toThrow();
    expect(() =>
      changeRequests.verify(change, euro, { ...checks, ed25519Verify: nobleEd25519Verify }),
    ).not.toThrow();
  });

  it('give the wallet coins it can finalize once the mint blind-signs them', () => {
    const signer = nodeBlindRsaSigner(smallKey.privateKey);
    const first = blindedFifty(0);
    const change = request([first.coin]);
    const blindSig = blindSign(signer, change.coins[0]!.blindedMessage);
    const signature = finalize(
      denominationCipher,
      blindRsaKey(fifty.publicKey),
      first.prepared,
      blindSig,
      first.inv,
    );
    expect(signature).toHaveLength(256);
  });

  it('cannot be made with another coin key', () => {
    const { coin } = issueCoin(bigKey, euro, oldSeed, 0);
    const { secretKey } = issueCoin(bigKey, euro, oldSeed, 1);
    expect(
      farthingErrorCode(() =>
        changeRequests.create({
          coin,
          coinSecretKey: secretKey,
          issuanceId,
          coins: [blindedFifty(0).coin],
        }),
      ),
    ).toBe('invalid_argument');
  });

  it.each<[string, (r: ChangeRequest) => ChangeRequest]>([
    ['issuance id', (r) => ({ ...r, issuanceId: `${issuanceId}x` })],
    ['signature', (r) => ({ ...r, signature: flip(r.signature, 9) })],
    [
      'blinded message',
      (r) => ({
        ...r,
        coins: [{ ...r.coins[0]!, blindedMessage: flip(r.coins[0]!.blindedMessage, 40) }],
      }),
    ],
    ['list of coins', (r) => ({ ...r, coins: r.coins.slice(1) })],
    ['order of coins', (r) => ({ ...r, coins: [...r.coins].reverse() })],
    [
      'denomination signature',
      (r) => ({
        ...r,
        coin: { ...r.coin, denominationSignature: flip(r.coin.denominationSignature, 100) },
      }),
    ],
  ])('fail with bad_signature once the %s changes', (_, change) => {
    expect(farthingErrorCode(() => changeRequests.verify(change(request()), euro, checks))).toBe(
      'bad_signature',
    );
  });

  it('say which signature failed', () => {
    const forged = request();
    const badCoin = {
      ...forged,
      coin: { ...forged.coin, denominationSignature: flip(forged.coin.denominationSignature) },
    };
    const error = (() => {
      try {
        changeRequests.verify(badCoin, euro, checks);
      } catch (caught) {
        return caught as { details: { field: string } };
      }
      throw new Error('expected a failure');
    })();
    expect(error.details.field).toBe('coin.denominationSignature');
  });

  it('honour the coin’s deposit window', () => {
    const change = request();
    expect(
      farthingErrorCode(() =>
        changeRequests.verify(change, euro, { ...checks, now: euro.depositUntil }),
      ),
    ).toBe('denomination_expired');
    expect(() =>
      changeRequests.verify(change, euro, { ...checks, now: euro.withdrawUntil + day }),
    ).not.toThrow();
  });

  it('refuse a denomination other than the one the coin names', () => {
    expect(farthingErrorCode(() => changeRequests.verify(request(), fifty, checks))).toBe(
      'invalid_argument',
    );
  });

  it('need between one and the maximum number of coins and a well-formed issuance id', () => {
    const { coin, secretKey } = issueCoin(bigKey, euro, oldSeed, 0);
    const make =
      (coins: readonly BlindedCoin[], id = issuanceId) =>
      () =>
        changeRequests.create({ coin, coinSecretKey: secretKey, issuanceId: id, coins });
    const one = blindedFifty(0).coin;
    expect(farthingErrorCode(make([]))).toBe('invalid_argument');
    expect(farthingErrorCode(make(Array(maxChangeCoins + 1).fill(one)))).toBe('invalid_argument');
    expect(farthingErrorCode(make([one], 'short'))).toBe('invalid_argument');
    expect(farthingErrorCode(make([one], 'has spaces in the middle'))).toBe('invalid_argument');
    expect(farthingErrorCode(make(Array(maxChangeCoins).fill(one)))).toBeUndefined();
  });
});

describe('change request wire form', () => {
  it('round-trips through JSON and still verifies', () => {
    const change = request();
    const wire = changeRequests.toWire(change);
    expect(wire.issuanceId).toBe(issuanceId);
    expect(wire.coins[0]!.blindedMessage).toBe(toBase64url(change.coins[0]!.blindedMessage));
    const parsed = changeRequests.parse(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(change);
    expect(() => changeRequests.verify(parsed, euro, checks)).not.toThrow();
  });

  it.each<[string, (w: Record<string, unknown>) => void, string]>([
    [
      'version 2',
      (w) => {
        w.version = 2;
      },
      'unsupported_version',
    ],
    [
      'no coins',
      (w) => {
        w.coins = [];
      },
      'invalid_message',
    ],
    [
      'a blinded message of the wrong size',
      (w) => {
        w.coins = [{ denominationId: toBase64url(denominationId(fifty)), blindedMessage: 'AAAA' }];
      },
      'invalid_encoding',
    ],
    [
      'an unknown member',
      (w) => {
        w.total = 'EUR 1.00';
      },
      'invalid_message',
    ],
    [
      'a bad issuance id',
      (w) => {
        w.issuanceId = 'no/slashes/allowed/here';
      },
      'invalid_message',
    ],
  ])('refuses %s', (_, change, code) => {
    const wire: Record<string, unknown> = { ...changeRequests.toWire(request()) };
    change(wire);
    expect(farthingErrorCode(() => changeRequests.parse(wire))).toBe(code);
  });
});
