/**
 * What a page shows while its first answers from the background are on their way, and after
 * they failed: the two states every page's union begins with, and the one hook that makes them.
 */
import type { Inputs } from 'preact/hooks';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { WalletErrorJson } from '../messages/contract.ts';
import { walletErrorOf } from './errors.ts';

/** Not ready yet: loading, or failed with a way to ask again. */
export type Pending =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly error: WalletErrorJson; retry(): void };

export interface Loader<T> {
  readonly loaded: Pending | { readonly status: 'loaded'; readonly value: T };
  /** Asks again; the page keeps what it shows until the answer comes, or shows the failure. */
  reload(): Promise<void>;
  /** Changes what was loaded, to what a later answer says; nothing while not loaded. */
  update(change: (value: T) => T): void;
}

type Phase<T> =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: WalletErrorJson }
  | { readonly kind: 'loaded'; readonly value: T };

/** Runs `fetch` on mount and again whenever `inputs` (what `fetch` reads) change. */
export function useLoader<T>(fetch: () => Promise<T>, inputs: Inputs): Loader<T> {
  const [phase, setPhase] = useState<Phase<T>>({ kind: 'loading' });
  const reload = useCallback(async (): Promise<void> => {
    try {
      setPhase({ kind: 'loaded', value: await fetch() });
    } catch (failure) {
      setPhase({ kind: 'failed', error: walletErrorOf(failure) });
    }
  }, inputs);
  useEffect(() => {
    void reload();
  }, [reload]);
  const update = (change: (value: T) => T): void =>
    setPhase((current) =>
      current.kind === 'loaded' ? { kind: 'loaded', value: change(current.value) } : current,
    );
  switch (phase.kind) {
    case 'loading':
      return { loaded: { status: 'loading' }, reload, update };
    case 'failed': {
      const retry = () => {
        setPhase({ kind: 'loading' });
        void reload();
      };
      return { loaded: { status: 'failed', error: phase.error, retry }, reload, update };
    }
    case 'loaded':
      return { loaded: { status: 'loaded', value: phase.value }, reload, update };
  }
}
