/**
 * The one error the wallet core throws: a stable code from the message contract, a sentence
 * for the user, and optionally where to fix it. It crosses the message boundary as plain JSON
 * (`toJSON`), never as a string the caller must parse.
 */
import { isFarthingError } from '@farthing/protocol/errors';
import type { WalletErrorCode, WalletErrorJson } from '../messages/contract.ts';

export type WalletFailureDetail = Readonly<Record<string, string | number | boolean>>;

export class WalletFailure extends Error {
  override readonly name = 'WalletFailure';
  readonly code: WalletErrorCode;
  readonly hint: string | undefined;
  readonly detail: WalletFailureDetail | undefined;

  constructor(
    code: WalletErrorCode,
    message: string,
    options: { hint?: string; detail?: WalletFailureDetail; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
  }

  toJSON(): WalletErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.detail === undefined ? {} : { detail: this.detail }),
    };
  }
}

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
