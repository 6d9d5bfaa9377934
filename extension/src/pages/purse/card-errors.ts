/**
 * What the reader and card said, in the words of the pages: `WalletErrorJson` with the wallet's
 * codes, saying what to do. The card's stable codes (protocol/src/errors.ts) decide, never text.
 */
import { isFarthingError } from '@farthing/protocol/errors';
import type { WalletErrorJson } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';

export const blockedCardAdvice =
  'The card is blocked after three wrong PINs and can no longer pay or load. Its money is safe: ' +
  'your bank keeps it in the card’s shadow account. Report the card at your bank (block it); ' +
  'what merchants have not cleared returns to your account when the refund window closes.';

export function cardErrorOf(error: unknown): WalletErrorJson {
  if (!isFarthingError(error)) return walletErrorOf(error);
  switch (error.code) {
    case 'purse_pin_wrong': {
      const left = Number(error.details.triesLeft ?? 0);
      return {
        code: 'purse_pin_wrong',
        message: `Wrong PIN: ${left} ${left === 1 ? 'try' : 'tries'} left before the card blocks.`,
        detail: { triesLeft: left },
      };
    }
    case 'purse_pin_blocked':
      return { code: 'purse_pin_blocked', message: blockedCardAdvice };
    case 'purse_cancelled':
      return { code: 'purse_cancelled', message: 'Cancelled on the reader; nothing was paid.' };
    case 'purse_insufficient_balance':
      return {
        code: 'insufficient_funds',
        message: 'The card holds less than the price: load it in the wallet’s settings.',
      };
    case 'purse_over_maximum':
      return {
        code: 'purse_card_refused',
        message: 'A card holds at most its maximum: load a smaller amount.',
      };
    case 'hid_disconnected':
      if (error.details.webHid === false) {
        return {
          code: 'reader_unavailable',
          message:
            'This browser has no WebHID: the purse reader works in Chromium-based browsers only.',
        };
      }
      return {
        code: 'reader_unavailable',
        message: 'The reader is not answering: plug it in (or in again) and try again.',
      };
    case 'hid_timeout':
    case 'hid_channel_busy':
      return {
        code: 'reader_unavailable',
        message: 'The reader is not answering: plug it in (or in again) and try again.',
      };
    default:
      return {
        code: 'purse_card_refused',
        message: `The card refused (${error.code}).`,
        detail: { cause: error.code },
      };
  }
}
