/**
 * Calling the background from the content script and the wallet's pages: one typed function
 * over `runtime.sendMessage`, turning `{ ok: false, error }` into a thrown `WalletError`.
 */
import type { Action, ActionInput, ActionOutput, Answer, WalletErrorJson } from './contract.ts';

export class WalletError extends Error {
  override readonly name = 'WalletError';
  readonly code: WalletErrorJson['code'];
  readonly hint: string | undefined;
  readonly detail: WalletErrorJson['detail'];

  constructor(error: WalletErrorJson) {
    super(error.message);
    this.code = error.code;
    this.hint = error.hint;
    this.detail = error.detail;
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

/** How a message reaches the background; the browser's in the extension, a fake in tests. */
export type Transport = (message: { action: Action; input: unknown }) => Promise<unknown>;

export async function callBackground<A extends Action>(
  transport: Transport,
  action: A,
  input: ActionInput<A>,
): Promise<ActionOutput<A>> {
  const answer = (await transport({ action, input })) as Answer<ActionOutput<A>> | undefined;
  if (answer === undefined || answer === null || typeof answer !== 'object') {
    throw new WalletError({
      code: 'internal',
      message: 'The wallet did not answer. Reload the page and try again.',
    });
  }
  if (!answer.ok) throw new WalletError(answer.error);
  return answer.value;
}
