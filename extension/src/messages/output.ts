/**
 * How an action declares the type of its answer beside its input schema (contract.ts
 * `actions`): `output: output<OfferView>()`. The value is an empty object; only its type
 * matters, and the router's routes are checked against it at compile time (`Routes`).
 */
import * as v from 'valibot';

declare const answerType: unique symbol;

export interface Output<T> {
  readonly [answerType]?: T;
}

export function output<T>(): Output<T> {
  return {};
}

/** The answer type an `output<T>()` declares. */
export type OutputOf<O> = O extends Output<infer T> ? T : never;

/** Who may send an action: a content script on a web page, or one of the wallet's own pages. */
export type Sender = 'content' | 'extension';

/** One action of the contract: who may send it, its input schema, and its answer's type. */
export interface ActionSpec<F extends Sender, I extends v.GenericSchema, T> {
  readonly from: F;
  readonly input: I;
  readonly output: Output<T>;
}

/** An action only the wallet's own pages may send: `pageAction(input, output<Answer>())`. */
export function pageAction<I extends v.GenericSchema, T>(
  input: I,
  answer: Output<T>,
): ActionSpec<'extension', I, T> {
  return { from: 'extension', input, output: answer };
}

/** An action a content script sends for its web page (whose origin the router takes from the sender). */
export function contentAction<I extends v.GenericSchema, T>(
  input: I,
  answer: Output<T>,
): ActionSpec<'content', I, T> {
  return { from: 'content', input, output: answer };
}

/** The input of an action that takes none. */
export const noInput = v.strictObject({});
