// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { WalletFailure } from '../messages/failure.ts';
import { useLoader } from './load.ts';

describe('useLoader', () => {
  it('is loading until the answer, then loaded with it', async () => {
    let answer: (value: number) => void = () => {};
    const hook = renderHook(() =>
      useLoader(() => new Promise<number>((resolve) => (answer = resolve)), []),
    );
    expect(hook.result.current.loaded).toEqual({ status: 'loading' });
    answer(7);
    await waitFor(() => expect(hook.result.current.loaded).toEqual({ status: 'loaded', value: 7 }));
  });

  it('shows a failure with its code, and retry loads again through loading', async () => {
    let calls = 0;
    const hook = renderHook(() =>
      useLoader(async () => {
        calls += 1;
        if (calls === 1) throw new WalletFailure('bank_unreachable', 'The bank did not answer.');
        return 'second';
      }, []),
    );
    await waitFor(() => expect(hook.result.current.loaded.status).toBe('failed'));
    const failed = hook.result.current.loaded;
    if (failed.status !== 'failed') throw new Error('expected failed');
    expect(failed.error.code).toBe('bank_unreachable');
    act(() => failed.retry());
    expect(hook.result.current.loaded.status).toBe('loading');
    await waitFor(() =>
      expect(hook.result.current.loaded).toEqual({ status: 'loaded', value: 'second' }),
    );
  });

  it('updates what was loaded, and leaves a page that is not loaded alone', async () => {
    const hook = renderHook(() => useLoader(async () => ({ count: 1 }), []));
    act(() => hook.result.current.update((value) => ({ count: value.count + 1 })));
    expect(hook.result.current.loaded.status).toBe('loading');
    await waitFor(() => expect(hook.result.current.loaded.status).toBe('loaded'));
    act(() => hook.result.current.update((value) => ({ count: value.count + 1 })));
    expect(hook.result.current.loaded).toEqual({ status: 'loaded', value: { count: 2 } });
  });

  it('loads again when its inputs change', async () => {
    const hook = renderHook(({ days }) => useLoader(async () => days * 2, [days]), {
      initialProps: { days: 7 },
    });
    await waitFor(() =>
      expect(hook.result.current.loaded).toEqual({ status: 'loaded', value: 14 }),
    );
    hook.rerender({ days: 30 });
    await waitFor(() =>
      expect(hook.result.current.loaded).toEqual({ status: 'loaded', value: 60 }),
    );
  });
});
