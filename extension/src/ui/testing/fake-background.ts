/**
 * A background for tests of the content script and the pages: answers actions from handlers,
 * validates every input against the contract's schema (as the real background does on arrival),
 * and records what was sent.
 */
import * as v from 'valibot';
import type { Transport } from '../../messages/client.ts';
import {
  type Action,
  type ActionInput,
  type ActionOutput,
  type Answer,
  actions,
  type WalletErrorCode,
  type WalletErrorJson,
} from '../../messages/contract.ts';
import { WalletFailure } from '../../messages/failure.ts';

export type Handlers = {
  [A in Action]?: (input: ActionInput<A>) => ActionOutput<A> | Promise<ActionOutput<A>>;
};

export interface FakeBackground {
  readonly transport: Transport;
  /** Every message, in order. */
  readonly calls: { action: Action; input: unknown }[];
  /** Inputs the contract's schema refused: a test expecting none asserts this is empty. */
  readonly invalid: { action: Action; input: unknown; issues: string[] }[];
  readonly handlers: Handlers;
  callsOf<A extends Action>(action: A): ActionInput<A>[];
}

export function fakeBackground(handlers: Handlers = {}): FakeBackground {
  const calls: FakeBackground['calls'] = [];
  const invalid: FakeBackground['invalid'] = [];
  const transport: Transport = async (message) => {
    calls.push(message);
    const parsed = v.safeParse(actions[message.action].input, message.input);
    if (!parsed.success) {
      invalid.push({ ...message, issues: parsed.issues.map((issue) => issue.message) });
      return answer({
        code: 'invalid_message',
        message: 'The message did not match the contract.',
      });
    }
    const handler = handlers[message.action] as ((input: unknown) => unknown) | undefined;
    if (handler === undefined) {
      return answer({ code: 'unknown_action', message: `no handler for ${message.action}` });
    }
    try {
      return { ok: true, value: await handler(parsed.output) } satisfies Answer<unknown>;
    } catch (error) {
      if (error instanceof WalletFailure) return answer(error.toJSON());
      throw error;
    }
  };
  return {
    transport,
    calls,
    invalid,
    handlers,
    callsOf: <A extends Action>(action: A) =>
      calls.filter((call) => call.action === action).map((call) => call.input as ActionInput<A>),
  };
}

function answer(error: WalletErrorJson): Answer<never> {
  return { ok: false, error };
}

/** What a handler throws to answer `{ ok: false, error }`. */
export function refusal(code: WalletErrorCode, message: string, hint?: string): WalletFailure {
  return new WalletFailure(code, message, hint === undefined ? {} : { hint });
}

/** A promise a test resolves when it chooses, to hold the background mid-call. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
