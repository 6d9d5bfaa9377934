/**
 * How an action declares the type of its answer beside its input schema (contract.ts
 * `actions`): `output: output<OfferView>()`. The value is an empty object; only its type
 * matters, and the router's routes are checked against it at compile time (`Routes`).
 */
declare const answerType: unique symbol;

export interface Output<T> {
  readonly [answerType]?: T;
}

export function output<T>(): Output<T> {
  return {};
}

/** The answer type an `output<T>()` declares. */
export type OutputOf<O> = O extends Output<infer T> ? T : never;
