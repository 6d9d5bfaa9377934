import { describe, expect, it } from 'vitest';
import { blind } from '../blind-rsa/rsabssa.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import { type BlindedCoin, changeRequests } from './change-request.ts';
import {
  blindRsaKey,
  eur,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
  nodeBlindRsaVerify,
} from './coin.fixture.ts';
import { preparedCoinMessage } from './coin.ts';
import { denominationCipher, denominationId } from './denomination.ts';
import { deriveCoinBlindingSource, deriveCoinSecrets } from './derivation.ts';
import { refundRefreshes } from './refund-refresh.ts';

const key = generateDenominationKey();
const five = makeDenomination(key, { value: eur(5) });
const otherKey = generateDenominationKey();
const other = makeDenomination(otherKey, { value: eur(5) });
const refunded = issueCoin(key, five, new Uint8Array(32).fill(0x31), 0);
const newSeed = new Uint8Array(32).fill(0x32);
const checks = { rsaVerify: nodeBlindRsaVerify(), ed25519Verify: nodeEd25519Verify };

function blinded(index: number): BlindedCoin {
  const secrets = deriveCoinSecrets(newSeed, index);
  const prepared = preparedCoinMessage(secrets.messagePrefix, secrets.publicKey);
  const { blindedMsg } = blind(denominationCipher, blindRsaKey(five.publicKey), prepared, {
    random: deriveCoinBlindingSource(newSeed, index),
  });
  return { denominationId: denominationId(five), blindedMessage: blindedMsg };
}

const request = () =>
  refundRefreshes.create({
    coin: refunded.coin,
    coinSecretKey: refunded.secretKey,
    issuanceId: 'refresh-0123456789abcdef',
    coins: [blinded(0)],
  });

describe('refund refresh', () => {
  it('is signed by the coin key and checked against the coin’s denomination, after a wire round trip', () => {
    const parsed = refundRefreshes.parse(
      JSON.parse(JSON.stringify(refundRefreshes.toWire(request()))),
    );
    refundRefreshes.verify(parsed, five, checks);
  });

  it('is deterministic, so a wallet asking again after a crash sends the same request', () => {
    expect(refundRefreshes.toWire(request())).toEqual(refundRefreshes.toWire(request()));
  });

  it('signs under its own tag: its bytes are never a change request’s', () => {
    const made = request();
    expect(Buffer.from(refundRefreshes.signingBytes(made))).not.toEqual(
      Buffer.from(changeRequests.signingBytes({ ...made, version: 1 })),
    );
  });

  it('rejects new coins swapped in after signing, and a coin of another denomination', () => {
    const swapped = { ...request(), coins: [blinded(1)] };
    expect(farthingErrorCode(() => refundRefreshes.verify(swapped, five, checks))).toBe(
      'bad_signature',
    );
    expect(farthingErrorCode(() => refundRefreshes.verify(request(), other, checks))).toBe(
      'invalid_argument',
    );
  });

  it('refuses a secret key that is not the coin’s', () => {
    expect(
      farthingErrorCode(() =>
        refundRefreshes.create({
          coin: refunded.coin,
          coinSecretKey: new Uint8Array(32).fill(9),
          issuanceId: 'refresh-0123456789abcdef',
          coins: [blinded(0)],
        }),
      ),
    ).toBe('invalid_argument');
  });
});
