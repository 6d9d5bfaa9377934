/**
 * The wallet's side of an issuance (a withdrawal or change): every coin derived from one seed
 * (DESIGN.md "E-cash", withdraw), blinded with the seed's blinding stream, so that after a
 * crash the very same request can be made again and the mint's stored signatures unblinded.
 */
import { blind } from '@farthing/protocol/blind-rsa';
import { finalizeBatch } from '@farthing/protocol/blind-rsa/batch';
import { type BlindRsaPublicKey, publicKeyFromJwk } from '@farthing/protocol/blind-rsa/public-key';
import { type BlindedCoin, blindedCoinToWire } from '@farthing/protocol/coin/change-request';
import { type Coin, preparedCoinMessage } from '@farthing/protocol/coin/coin';
import {
  type Denomination,
  denominationCipher,
  denominationId,
} from '@farthing/protocol/coin/denomination';
import {
  type CoinSecrets,
  deriveCoinBlindingSource,
  deriveCoinSecrets,
} from '@farthing/protocol/coin/derivation';
import { findDenomination, type MintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { concatBytes, fromBase64url, toBase64url, utf8Bytes } from '@farthing/protocol/encoding';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CoinRecord, PlannedCoinRecord, WithdrawalRecord } from '../../db/schema.ts';
import { unacceptableAnswer } from '../../http.ts';
import { remembered } from '../../memo.ts';

/** The mint's name for the issuance: a hash of the seed, so a crashed wallet can ask again. */
export function issuanceIdOf(seed: Uint8Array): string {
  return toBase64url(sha256(concatBytes(utf8Bytes('farthing-wallet/issuance/v1\0'), seed)));
}

const blindKeys = new Map<string, BlindRsaPublicKey>();

function blindKey(denomination: Denomination): BlindRsaPublicKey {
  return remembered(blindKeys, toBase64url(denominationId(denomination)), () =>
    publicKeyFromJwk({
      kty: 'RSA',
      n: toBase64url(denomination.publicKey.n),
      e: toBase64url(denomination.publicKey.e),
    }),
  );
}

export interface PlannedCoin {
  readonly denomination: Denomination;
  readonly secrets: CoinSecrets;
  readonly prepared: Uint8Array;
  readonly inv: Uint8Array;
  readonly blinded: BlindedCoin;
}

/** The newest key of each value that signs at `now`, by value. */
export function signingDenominations(keySet: MintKeySet, currency: string, now: number) {
  const byValue = new Map<number, Denomination>();
  for (const d of keySet.denominations) {
    if (d.value.currency !== currency || d.validFrom > now || now >= d.withdrawUntil) continue;
    const known = byValue.get(d.value.minor);
    if (known === undefined || known.validFrom < d.validFrom) byValue.set(d.value.minor, d);
  }
  return byValue;
}

/** RFC 9474 §4.2 Blind for each planned coin, with the seed's deterministic stream. */
export function blindIssuance(
  seed: Uint8Array,
  keySet: MintKeySet,
  coins: readonly PlannedCoinRecord[],
): PlannedCoin[] {
  return coins.map((planned) => {
    let denomination: Denomination;
    try {
      denomination = findDenomination(keySet, fromBase64url(planned.denominationId));
    } catch (cause) {
      throw unacceptableAnswer(
        'bank_error',
        'The bank no longer lists a coin key this operation used.',
        cause,
      );
    }
    const secrets = deriveCoinSecrets(seed, planned.index);
    const prepared = preparedCoinMessage(secrets.messagePrefix, secrets.publicKey);
    const { blindedMsg, inv } = blind(denominationCipher, blindKey(denomination), prepared, {
      random: deriveCoinBlindingSource(seed, planned.index),
    });
    return {
      denomination,
      secrets,
      prepared,
      inv,
      blinded: { denominationId: denominationId(denomination), blindedMessage: blindedMsg },
    };
  });
}

export function blindedWire(planned: readonly PlannedCoin[]) {
  return planned.map((coin) => blindedCoinToWire(coin.blinded));
}

/**
 * RFC 9474 §4.4 Finalize for every coin, verifying each signature (grouped per key, so
 * WebCrypto checks them together); the coins as the wallet stores them.
 */
export async function finalizeIssuance(
  withdrawal: WithdrawalRecord,
  planned: readonly PlannedCoin[],
  signatures: readonly string[],
  now: number,
): Promise<CoinRecord[]> {
  if (signatures.length !== planned.length) {
    throw unacceptableAnswer(
      'bank_error',
      'The bank signed a different number of coins than asked.',
    );
  }
  const groups = new Map<string, number[]>();
  planned.forEach((coin, index) => {
    const id = toBase64url(coin.blinded.denominationId);
    groups.set(id, [...(groups.get(id) ?? []), index]);
  });
  const unblinded = new Array<Uint8Array>(planned.length);
  try {
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const first = planned[indexes[0]!]!;
        const finals = await finalizeBatch(
          denominationCipher,
          blindKey(first.denomination),
          indexes.map((index) => ({
            preparedMsg: planned[index]!.prepared,
            blindSig: fromBase64url(signatures[index], 'signature'),
            inv: planned[index]!.inv,
          })),
        );
        indexes.forEach((index, position) => {
          unblinded[index] = finals[position]!;
        });
      }),
    );
  } catch (cause) {
    throw unacceptableAnswer('bank_error', 'The bank’s coin signatures do not verify.', cause);
  }
  return planned.map((coin, position) => ({
    coinPub: toBase64url(coin.secrets.publicKey),
    bankUrl: withdrawal.bankUrl,
    currency: coin.denomination.value.currency,
    minor: coin.denomination.value.minor,
    denominationId: toBase64url(coin.blinded.denominationId),
    source: withdrawal.id,
    index: coin.secrets.index,
    messagePrefix: coin.secrets.messagePrefix,
    signature: unblinded[position]!,
    status: 'spendable',
    reservedBy: null,
    updatedAt: now,
  }));
}

/** The protocol's coin of a stored record. */
export function coinOf(record: CoinRecord): Coin {
  return {
    denominationId: fromBase64url(record.denominationId),
    coinPublicKey: fromBase64url(record.coinPub),
    messagePrefix: record.messagePrefix,
    denominationSignature: record.signature,
  };
}
