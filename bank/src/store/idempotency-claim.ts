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
 * What a state-changing call takes after its parameters: `render` builds its answer from what it
 * wrote, and the store keeps that answer under the claim in the same transaction, so a retry
 * under the same claim gets it back. Named once, so each backend can hand the pair to its one
 * write that applies it (`SqliteArea.reply`, postgres/write.ts) instead of spelling it out per
 * operation.
 */
export type Reply<Written, R> = [
  render: (written: Written) => R,
  idempotency?: IdempotencyClaim | undefined,
];

/** A state-changing call whose answer is its `Reply`'s render of what it wrote. */
export type IdempotentWrite<Params, Written> = <R>(
  params: Params,
  ...reply: Reply<Written, R>
) => Promise<R>;
