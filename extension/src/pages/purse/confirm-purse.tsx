/**
 * The trusted confirmation window for a purse payment (issue 17): the window holds the reader
 * while the holder pays, says "Confirm on your reader", and has the card answer the payment's
 * challenge (wallet/instruments/purse/card-session.ts `proofFor`: a proof the card made already is signed
 * again, never paid again). The reader's own display shows amount and payee and its button is
 * the confirmation: this window has no Pay button of its own. Decline, or closing the window,
 * sends CANCEL to the reader.
 *
 * The proof goes to the background first (`purse.proof`, journaled there), and only then is the
 * window's question answered; the reader going away meanwhile is waited for until the
 * question expires, and the exchange starts again with PROOF AGAIN.
 */
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { ConfirmationView, WalletErrorJson } from '../../messages/contract.ts';
import { Button, ErrorNotice } from '../../ui/components.tsx';
import type { Platform } from '../../ui/platform.ts';
import { proofFor, readCard } from '../../wallet/instruments/purse/card-session.ts';
import {
  type HidLike,
  type ReaderLinkState,
  ReaderTransport,
} from '../../wallet/instruments/purse/hid-transport.ts';
import { cardErrorOf } from './card-errors.ts';

export type PurseConfirmPhase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'working'; readonly link: ReaderLinkState | null }
  | { readonly kind: 'paid' }
  | { readonly kind: 'refused'; readonly error: WalletErrorJson };

export interface PurseConfirmState {
  readonly phase: PurseConfirmPhase;
  decline(): void;
}

export function usePurseConfirm(
  deps: { readonly platform: Platform; readonly hid: () => HidLike },
  confirmation: ConfirmationView | null,
): PurseConfirmState {
  const [phase, setPhase] = useState<PurseConfirmPhase>({ kind: 'idle' });
  const transport = useRef<ReaderTransport | undefined>(undefined);
  const started = useRef<string | undefined>(undefined);
  const paymentId = confirmation?.purse?.paymentId;
  const id = confirmation?.id;
  const expiresAt = confirmation?.expiresAt ?? 0;
  const { platform } = deps;

  useEffect(() => {
    if (paymentId === undefined || id === undefined || started.current === paymentId) return;
    started.current = paymentId;
    const answer = async (accept: boolean) => {
      const result = await callBackground(platform.transport, 'confirmation.answer', {
        id,
        accept,
      }).catch(() => ({ waiting: 0 }));
      if (result.waiting === 0) platform.closeWindow();
    };
    void (async () => {
      setPhase({ kind: 'working', link: null });
      try {
        const view = await callBackground(platform.transport, 'purse.challenge', { paymentId });
        if (view.status !== 'proved') {
          const reader = await callBackground(platform.transport, 'purse.status', {});
          const opened = new ReaderTransport(deps.hid(), {
            ...(reader === null
              ? {}
              : {
                  match: (d) => d.vendorId === reader.vendorId && d.productId === reader.productId,
                }),
            // The holder takes their time over the button: keepalives keep the exchange open.
            timeoutMs: 10_000,
            onState: (link) => setPhase({ kind: 'working', link }),
          });
          transport.current = opened;
          const chain = view.merchantChain.map((der) => fromBase64url(der));
          const proof = await opened.withReconnect(
            Math.max(1_000, expiresAt - Date.now()),
            (card) => proofFor(card, fromBase64url(view.challenge), chain),
          );
          await callBackground(platform.transport, 'purse.proof', {
            paymentId,
            proof: toBase64url(proof),
          });
          // The balance as the card holds it now, for the popup (best effort).
          await readCard(opened.card())
            .then((read) =>
              read.status === 'personalised'
                ? callBackground(platform.transport, 'purse.update', { card: read.reading })
                : undefined,
            )
            .catch(() => undefined);
        }
        setPhase({ kind: 'paid' });
        await answer(true);
      } catch (failure) {
        const error = cardErrorOf(failure);
        setPhase({ kind: 'refused', error });
        const cancelled = isFarthingError(failure) && failure.code === 'purse_cancelled';
        await callBackground(platform.transport, 'purse.refused', {
          paymentId,
          code: cancelled ? 'purse_cancelled' : 'purse_card_refused',
        }).catch(() => undefined);
        await answer(false);
      } finally {
        void transport.current?.close();
      }
    })();
  }, [paymentId, id, expiresAt, platform, deps]);

  useEffect(() => {
    // Closing the window while the reader waits for its button cancels on the reader too.
    const onHide = () => transport.current?.cancel();
    window.addEventListener('pagehide', onHide);
    return () => window.removeEventListener('pagehide', onHide);
  }, []);

  return {
    phase,
    decline: () => {
      if (transport.current?.device !== undefined) transport.current.cancel();
      else if (id !== undefined) {
        void callBackground(platform.transport, 'confirmation.answer', { id, accept: false });
      }
    },
  };
}

const linkText: Readonly<Record<ReaderLinkState, string>> = {
  searching: 'Looking for your reader…',
  connected: 'Talking to the card…',
  waiting_for_button: 'Confirm on your reader: check the amount and payee on its display.',
  disconnected: 'The reader is not connected: plug it in to go on. Nothing is paid twice.',
};

/** Replaces the window's Pay button for a purse payment. */
export function PurseConfirmActions(props: { state: PurseConfirmState }): JSX.Element {
  const { phase } = props.state;
  return (
    <div class="stack" data-testid="purse-confirm">
      <h2>Confirm on your reader</h2>
      <p class="notice" role="status" data-testid="purse-confirm-status">
        {phase.kind === 'working' && phase.link !== null
          ? linkText[phase.link]
          : phase.kind === 'paid'
            ? 'Paid with your purse.'
            : 'Confirm on your reader'}
      </p>
      {phase.kind === 'refused' ? <ErrorNotice error={phase.error} /> : null}
      <div class="actions">
        <Button
          variant="secondary"
          onClick={props.state.decline}
          disabled={phase.kind === 'paid' || phase.kind === 'refused'}
          testId="confirm-decline"
        >
          Decline
        </Button>
      </div>
    </div>
  );
}
