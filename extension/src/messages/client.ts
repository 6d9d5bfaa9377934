/**
 * Calling the background from the content script and the wallet's pages: one typed function
 * over `runtime.sendMessage`, turning `{ ok: false, error }` into a thrown `WalletFailure` (failure.ts).
 */
import type { Action, ActionInput, ActionOutput, Answer } from './contract.ts';
import { WalletFailure } from './failure.ts';

/** How a message reaches the background; the browser's in the extension, a fake in tests. */
export type Transport = (message: { action: Action; input: unknown }) => Promise<unknown>;

export async function callBackground<A extends Action>(
  transport: Transport,
  action: A,
  input: ActionInput<A>,
): Promise<ActionOutput<A>> {
  const answer = (await transport({ action, input })) as Answer<ActionOutput<A>> | undefined;
  if (answer === undefined || answer === null || typeof answer !== 'object') {
    throw new WalletFailure(
      'internal',
      'The wallet did not answer. Reload the page and try again.',
    );
  }
  if (!answer.ok) throw WalletFailure.fromJson(answer.error);
  return answer.value;
}
