/**
 * What the wallet's pages do with the card once they hold the reader (hid-transport.ts): read
 * it, load it (PIN, the card's signed load request, the bank's authorization, LOAD), and have
 * it answer a payment's challenge without ever paying one challenge twice.
 */
import type { Amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import type { PurseCardClient } from '@farthing/protocol/purse/card-client';
import type { CardInfo } from '@farthing/protocol/purse/card-commands';
import type { CardReading } from '../../../messages/purse.ts';

export type CardRead =
  | { readonly status: 'blank'; readonly cardId: string; readonly publicKey: Uint8Array }
  | { readonly status: 'personalised'; readonly reading: CardReading; readonly info: CardInfo };

/** SELECT, then (for a personalised card) BALANCE and READ LOG. */
export async function readCard(card: PurseCardClient): Promise<CardRead> {
  const info = await card.select();
  if (info.state === 'blank' || info.purse === undefined) {
    return { status: 'blank', cardId: info.cardId, publicKey: info.publicKey };
  }
  // SELECT carries balance and maximum, so a blocked card (which refuses other commands) is
  // still read; its log is read while it is usable.
  const { balance, maximum } = info.purse;
  const log = info.state === 'active' ? await card.readLog() : [];
  return {
    status: 'personalised',
    info,
    reading: {
      cardId: info.cardId,
      state: info.state === 'pin-blocked' ? 'pin-blocked' : 'active',
      certificate: toBase64url(info.purse.certificate),
      balance: { currency: balance.currency, minor: balance.minor },
      maximum: { currency: maximum.currency, minor: maximum.minor },
      log: log.map((entry) =>
        entry.type === 'pay'
          ? {
              type: 'pay' as const,
              amount: { currency: entry.amount.currency, minor: entry.amount.minor },
              at: entry.at,
              sno: entry.sno,
              merchantId: entry.merchantId,
              tno: entry.tno,
            }
          : {
              type: 'load' as const,
              amount: { currency: entry.amount.currency, minor: entry.amount.minor },
              at: entry.at,
            },
      ),
    },
  };
}

/**
 * The card's proof for a payment's challenge: PROOF AGAIN first (the card may have paid it with
 * its answer lost: the reader was unplugged, the window closed), PAY only when the card says it
 * never paid this challenge. PAY shows amount and payee on the reader and waits for its button.
 */
export async function proofFor(
  card: PurseCardClient,
  challenge: Uint8Array,
  merchantChain: readonly Uint8Array[],
): Promise<Uint8Array> {
  try {
    return (await card.proofAgain(challenge)).bytes;
  } catch (error) {
    if (!isFarthingError(error) || error.code !== 'purse_proof_unknown') throw error;
  }
  return (await card.pay(challenge, merchantChain)).bytes;
}

/**
 * LOAD: the PIN to the card, the card's signed request to the bank (through the background,
 * with the user's session), the bank's authorization back to the card. `authorize` is asked for
 * the same request again after a lost answer and gets the same authorization (idempotent).
 */
export async function loadCard(
  card: PurseCardClient,
  value: Amount,
  pin: string,
  authorize: (loadRequest: Uint8Array) => Promise<Uint8Array>,
  progress: (step: 'pin' | 'bank' | 'card') => void = () => undefined,
): Promise<void> {
  progress('pin');
  await card.select(); // a fresh session: the PIN is verified for this load only
  await card.verifyPin(pin);
  const { bytes } = await card.loadRequest(value);
  progress('bank');
  const authorization = await authorize(bytes);
  progress('card');
  await card.load(authorization);
}
