/** Failures as the pages show them: always a `WalletErrorJson`, whatever was thrown. */

import type { WalletErrorJson } from '../messages/contract.ts';
import { WalletFailure } from '../messages/failure.ts';

export function walletErrorOf(error: unknown): WalletErrorJson {
  if (error instanceof WalletFailure) return error.toJSON();
  return {
    code: 'internal',
    message: 'The wallet did not answer. Close this window and try again.',
  };
}

/** An error for a value the user typed, shown beside the field. */
export function inputError(message: string): WalletErrorJson {
  return { code: 'invalid_message', message };
}
