/**
 * The one error of the wallet, on both sides of the message boundary: the background throws it
 * with a stable code from the contract (contract.ts `WalletErrorCode`), a sentence for the user
 * and optionally where to fix it; it crosses to the pages as plain JSON (`toJSON`), and the
 * pages' client (client.ts) throws it again from that JSON (`fromJson`), never as a string the
 * caller must parse.
 */
import type { WalletErrorCode, WalletErrorJson } from './contract.ts';

export type WalletFailureDetail = Readonly<Record<string, string | number | boolean>>;

export interface WalletFailureOptions {
  readonly hint?: string;
  readonly detail?: WalletFailureDetail;
  readonly cause?: unknown;
}

export class WalletFailure extends Error {
  override readonly name = 'WalletFailure';
  readonly code: WalletErrorCode;
  readonly hint: string | undefined;
  readonly detail: WalletFailureDetail | undefined;

  constructor(code: WalletErrorCode, message: string, options: WalletFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
  }

  /** The failure a contract answer `{ ok: false, error }` carried. */
  static fromJson(error: WalletErrorJson): WalletFailure {
    return new WalletFailure(error.code, error.message, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.detail === undefined ? {} : { detail: error.detail }),
    });
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

/** The end of an exhaustive switch: a value the types say cannot be there was. */
export function unreachable(value: never): never {
  throw new WalletFailure('internal', 'The wallet met a value it does not know. Reload it.', {
    detail: { value: String(value) },
  });
}

/** A record the wallet wrote earlier and needs now is not in its database. */
export function recordMissing(what: string, key: string): WalletFailure {
  return new WalletFailure(
    'record_missing',
    `The wallet's ${what} is missing from its database; nothing was paid with it.`,
    { detail: { record: what, key } },
  );
}
