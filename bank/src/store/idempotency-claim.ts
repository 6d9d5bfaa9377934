/**
 * What a state-changing call claims with its Idempotency-Key: the store keeps the call's result
 * under it in the same transaction as the change, and answers a repeat from there. Its own
 * module, so the per-role store interfaces (card-store.ts) and store.ts can both name it
 * without importing each other.
 */
export interface IdempotencyClaim {
  /** Who may reuse the key: an account, or the public for anonymous calls. */
  readonly scope: string;
  readonly key: string;
  /** SHA-256 of the method, path and body. */
  readonly requestHash: Uint8Array;
}

/**
 * A state-changing call whose answer `render` builds from what it wrote: the store keeps that
 * answer under the claim in the same transaction, and a retry under the same claim gets it back.
 */
export type IdempotentWrite<Params, Written> = <R>(
  params: Params,
  render: (written: Written) => R,
  idempotency?: IdempotencyClaim,
) => Promise<R>;
