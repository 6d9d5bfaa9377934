// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { WalletFailure } from '../messages/failure.ts';
import { useKeyedRows, useRows, useTask, whileBusy } from './task.ts';

describe('useTask', () => {
  it('marks the key busy while the call runs and clears it after', async () => {
    let finish: () => void = () => {};
    const hook = renderHook(() => useTask<string>());
    act(() =>
      hook.result.current.run('r1', () => new Promise<void>((resolve) => (finish = resolve))),
    );
    expect(hook.result.current.busy).toBe('r1');
    await act(async () => finish());
    await waitFor(() => expect(hook.result.current.busy).toBeNull());
    expect(hook.result.current.error).toBeNull();
  });

  it('keeps a failure with its code, and the next call clears it', async () => {
    const hook = renderHook(() => useTask());
    act(() =>
      hook.result.current.run(true, async () => {
        throw new WalletFailure('bank_unreachable', 'The bank did not answer.');
      }),
    );
    await waitFor(() => expect(hook.result.current.error?.code).toBe('bank_unreachable'));
    act(() => hook.result.current.run(true, () => new Promise<void>(() => {})));
    expect(hook.result.current.error).toBeNull();
  });
});

describe('useRows', () => {
  it('reads the rows on mount, or shows why it could not', async () => {
    const ok = renderHook(() => useRows(async () => ['a', 'b'], []));
    await waitFor(() => expect(ok.result.current.rows).toEqual(['a', 'b']));
    const failing = renderHook(() =>
      useRows(async (): Promise<readonly string[]> => {
        throw new WalletFailure('bank_unreachable', 'The bank did not answer.');
      }, []),
    );
    await waitFor(() => expect(failing.result.current.task.error?.code).toBe('bank_unreachable'));
    expect(failing.result.current.rows).toEqual([]);
  });
});

describe('useKeyedRows', () => {
  it('puts an updated row in place of the one with its key and leaves the others', async () => {
    const hook = renderHook(() =>
      useKeyedRows(
        async () => [
          { id: 'a', status: 'sent' },
          { id: 'b', status: 'sent' },
        ],
        [],
        (row) => row.id,
      ),
    );
    await waitFor(() => expect(hook.result.current.rows).toHaveLength(2));
    act(() => hook.result.current.replace({ id: 'b', status: 'captured' }));
    expect(hook.result.current.rows).toEqual([
      { id: 'a', status: 'sent' },
      { id: 'b', status: 'captured' },
    ]);
  });
});

describe('whileBusy', () => {
  it('marks busy until the work ends and hands its failure over instead of throwing', async () => {
    const marks: boolean[] = [];
    const failures: unknown[] = [];
    const refusal = new WalletFailure('bank_error', 'The bank refused.');
    await whileBusy(
      (busy) => marks.push(busy),
      async () => {
        expect(marks).toEqual([true]);
        throw refusal;
      },
      (failure) => failures.push(failure),
    );
    expect(marks).toEqual([true, false]);
    expect(failures).toEqual([refusal]);
  });
});
