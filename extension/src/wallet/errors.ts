/**
 * The wallet core's errors: the one error class (`WalletFailure`, ../messages/failure.ts, which
 * the pages throw too) and how any thrown value becomes contract JSON.
 */
import { isFarthingError } from '@farthing/protocol/errors';
import type { WalletErrorJson } from '../messages/contract.ts';
import { WalletFailure } from '../messages/failure.ts';

export { WalletFailure, type WalletFailureDetail } from '../messages/failure.ts';

export function isWalletFailure(error: unknown): error is WalletFailure {
  return error instanceof WalletFailure;
}

/** Any thrown value as contract JSON; unknown errors become `internal` without their text. */
export function errorJson(error: unknown): WalletErrorJson {
  if (error instanceof WalletFailure) return error.toJSON();
  if (isFarthingError(error)) {
    return {
      code: 'internal',
      message:
        'The wallet could not finish this. Try again; if it keeps failing, reload the wallet.',
      detail: { cause: error.code },
    };
  }
  return {
    code: 'internal',
    message: 'The wallet could not finish this. Try again; if it keeps failing, reload the wallet.',
  };
}
