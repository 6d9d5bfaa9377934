/**
 * The trusted confirmation window: the background opens it (never a page) with `?id=`, it shows
 * what the wallet verified and sends the user's answer. Two guards against being tricked into a
 * click: it does nothing when framed, and Confirm stays disabled for a moment after the window
 * appears, gains focus or becomes visible, so a click aimed at something else cannot land on it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { ConfirmationView, WalletErrorJson } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';

export type ConfirmState =
  /** Inside a frame: nothing actionable is shown. */
  | { readonly status: 'framed' }
  /** Opened without a usable `?id=`. */
  | { readonly status: 'no-request' }
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly error: WalletErrorJson }
  | {
      readonly status: 'ready';
      readonly confirmation: ConfirmationView;
      /** False while the click-jacking delay runs; `accept` does nothing then. */
      readonly armed: boolean;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
      accept(): void;
      decline(): void;
    }
  | { readonly status: 'expired'; readonly confirmation: ConfirmationView }
  | { readonly status: 'answered'; readonly accepted: boolean };

/** What the hook reads from the window it runs in. */
export interface ConfirmEnvironment {
  /** `location.search`. */
  readonly search: string;
  /** `window.top !== window`. */
  readonly framed: boolean;
  readonly window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly document: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
}

export interface ConfirmOptions {
  /** How long Confirm stays disabled after the window appears or regains attention. */
  readonly armDelayMs?: number;
}

export const defaultArmDelayMs = 500;
const idPattern = /^[\w.~-]{1,128}$/;
/** setTimeout holds at most 2^31 − 1 ms. */
const longestTimer = 2 ** 31 - 1;

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: WalletErrorJson }
  | { readonly kind: 'ready'; readonly confirmation: ConfirmationView }
  | { readonly kind: 'expired'; readonly confirmation: ConfirmationView }
  | { readonly kind: 'answered'; readonly accepted: boolean };

export function confirmationIdOf(search: string): string | null {
  const id = new URLSearchParams(search).get('id');
  return id !== null && idPattern.test(id) ? id : null;
}

export function useConfirmState(
  platform: Platform,
  env: ConfirmEnvironment,
  options: ConfirmOptions = {},
): ConfirmState {
  const armDelayMs = options.armDelayMs ?? defaultArmDelayMs;
  const id = env.framed ? null : confirmationIdOf(env.search);
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const armTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** Disarms now; re-arms after the delay unless the window is hidden or unfocused. */
  const rearm = useCallback(
    (restart: boolean) => {
      clearTimeout(armTimer.current);
      setArmed(false);
      if (restart) armTimer.current = setTimeout(() => setArmed(true), armDelayMs);
    },
    [armDelayMs],
  );

  useEffect(() => {
    if (id === null) return;
    let active = true;
    callBackground(platform.transport, 'confirmation.get', { id }).then(
      (confirmation) => {
        if (!active) return;
        setPhase(
          confirmation.expiresAt <= Date.now()
            ? { kind: 'expired', confirmation }
            : { kind: 'ready', confirmation },
        );
      },
      (failure: unknown) => {
        if (active) setPhase({ kind: 'failed', error: walletErrorOf(failure) });
      },
    );
    return () => {
      active = false;
    };
  }, [id, platform]);

  const readyConfirmation = phase.kind === 'ready' ? phase.confirmation : null;
  useEffect(() => {
    if (readyConfirmation === null) return;
    rearm(true);
    const onFocus = () => rearm(true);
    const onBlur = () => rearm(false);
    const onVisibility = () => rearm(env.document.visibilityState === 'visible');
    env.window.addEventListener('focus', onFocus);
    env.window.addEventListener('blur', onBlur);
    env.document.addEventListener('visibilitychange', onVisibility);
    const untilExpiry = readyConfirmation.expiresAt - Date.now();
    const expiry =
      untilExpiry < longestTimer
        ? setTimeout(
            () => setPhase({ kind: 'expired', confirmation: readyConfirmation }),
            untilExpiry,
          )
        : undefined;
    return () => {
      clearTimeout(armTimer.current);
      clearTimeout(expiry);
      env.window.removeEventListener('focus', onFocus);
      env.window.removeEventListener('blur', onBlur);
      env.document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [readyConfirmation, rearm, env]);

  if (env.framed) return { status: 'framed' };
  if (id === null) return { status: 'no-request' };
  switch (phase.kind) {
    case 'loading':
      return { status: 'loading' };
    case 'failed':
      return { status: 'failed', error: phase.error };
    case 'expired':
      return { status: 'expired', confirmation: phase.confirmation };
    case 'answered':
      return { status: 'answered', accepted: phase.accepted };
    case 'ready': {
      const answer = async (accept: boolean): Promise<void> => {
        setBusy(true);
        setError(null);
        try {
          const result = await callBackground(platform.transport, 'confirmation.answer', {
            id,
            accept,
          });
          setPhase({ kind: 'answered', accepted: result.accepted });
          // With more questions waiting, the wallet shows the next one in this window.
          if (result.waiting === 0) platform.closeWindow();
        } catch (failure) {
          setError(walletErrorOf(failure));
        } finally {
          setBusy(false);
        }
      };
      return {
        status: 'ready',
        confirmation: phase.confirmation,
        armed,
        busy,
        error,
        accept: () => {
          if (armed && !busy) void answer(true);
        },
        decline: () => {
          if (!busy) void answer(false);
        },
      };
    }
  }
}
