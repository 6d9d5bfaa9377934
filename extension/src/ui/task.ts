/**
 * One background call at a time behind a busy mark, its failure kept to show: the pattern of
 * every button that asks the wallet for something. The key says which row is busy, where a
 * page has a button per row (`true` where it has one).
 */
import { type Inputs, useEffect, useState } from 'preact/hooks';
import type { WalletErrorJson } from '../messages/contract.ts';
import { walletErrorOf } from './errors.ts';

export interface Task<K> {
  /** The key of the call under way, if any. */
  readonly busy: K | null;
  readonly error: WalletErrorJson | null;
  run(key: K, work: () => Promise<void>): void;
  /** Shows a failure of a call made outside `run` (a list read on mount). */
  fail(failure: unknown): void;
  clearError(): void;
}

export function useTask<K = true>(): Task<K> {
  const [busy, setBusy] = useState<K | null>(null);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  return {
    busy,
    error,
    run(key, work) {
      setBusy(key);
      setError(null);
      work()
        .catch((failure: unknown) => setError(walletErrorOf(failure)))
        .finally(() => setBusy(null));
    },
    fail: (failure) => setError(walletErrorOf(failure)),
    clearError: () => setError(null),
  };
}

/**
 * `work` behind a busy flag a page keeps itself (one flag for the whole page, not per row):
 * marked until it ends, its failure handed to `failed`, never thrown.
 */
export async function whileBusy(
  setBusy: (busy: boolean) => void,
  work: () => Promise<void>,
  failed: (failure: unknown) => void,
): Promise<void> {
  setBusy(true);
  try {
    await work();
  } catch (failure) {
    failed(failure);
  } finally {
    setBusy(false);
  }
}

/** Rows the background keeps, read once on mount, with the busy-call hook for their buttons. */
export function useRows<T, K = true>(
  read: () => Promise<readonly T[]>,
  inputs: Inputs,
): { readonly rows: readonly T[]; setRows(rows: readonly T[]): void; readonly task: Task<K> } {
  const [rows, setRows] = useState<readonly T[]>([]);
  const task = useTask<K>();
  useEffect(() => {
    read().then(setRows, task.fail);
  }, inputs);
  return { rows, setRows, task };
}

/**
 * Rows with a key each and a button per row (busy by the row's key): `replace` puts the row the
 * background answered with in place of the one with its key.
 */
export function useKeyedRows<T>(
  read: () => Promise<readonly T[]>,
  inputs: Inputs,
  keyOf: (row: T) => string,
): ReturnType<typeof useRows<T, string>> & { replace(updated: T): void } {
  const list = useRows<T, string>(read, inputs);
  const replace = (updated: T) =>
    list.setRows(list.rows.map((row) => (keyOf(row) === keyOf(updated) ? updated : row)));
  return { ...list, replace };
}
