/**
 * The recovery page's states (README "Recovery"): make the phrase and show it once, ask some
 * of its words back, or restore a phrase on a fresh profile; then, with a bank logged in,
 * bring back the lost coins of its last withdrawals or return the e-cash to the account.
 */
import { useEffect, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { Action, ActionInput, BankView, WalletErrorJson } from '../../messages/contract.ts';
import type { LostCoinsView } from '../../messages/recovery.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';

export type RecoveryState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'start';
      readonly error: WalletErrorJson | null;
      create(): void;
      startRestore(): void;
    }
  | { readonly status: 'show'; readonly words: readonly string[]; written(): void }
  | {
      readonly status: 'check';
      readonly positions: readonly number[];
      readonly answers: readonly string[];
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
      setAnswer(index: number, word: string): void;
      confirm(): void;
      back(): void;
    }
  | {
      readonly status: 'restore';
      readonly phrase: string;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
      setPhrase(phrase: string): void;
      restore(): void;
      back(): void;
    }
  | {
      readonly status: 'ready';
      readonly origin: 'created' | 'restored';
      readonly banks: readonly BankView[];
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
      readonly lost: LostCoinsView | null;
      readonly returned: { readonly coins: number; readonly value: number } | null;
      /** PayWord certificates of lost wallets ended, and when their credit comes back. */
      readonly paywordEnded: { readonly ended: number; readonly returnsBy: number | null } | null;
      recoverLostCoins(bankUrl: string): void;
      returnCoins(bankUrl: string): void;
      endPaywordCredit(bankUrl: string): void;
    };

type Step =
  | { step: 'loading' }
  | { step: 'start' }
  | { step: 'show'; words: readonly string[]; check: readonly number[] }
  | { step: 'check'; words: readonly string[]; check: readonly number[] }
  | { step: 'restore' }
  | { step: 'ready'; origin: 'created' | 'restored'; banks: readonly BankView[] };

export function useRecoveryState(platform: Platform): RecoveryState {
  const call = <A extends Action>(action: A, input: ActionInput<A>) =>
    callBackground(platform.transport, action, input);
  const [step, setStep] = useState<Step>({ step: 'loading' });
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const [busy, setBusy] = useState(false);
  const [answers, setAnswers] = useState<string[]>([]);
  const [phrase, setPhrase] = useState('');
  const [lost, setLost] = useState<LostCoinsView | null>(null);
  const [returned, setReturned] = useState<{ coins: number; value: number } | null>(null);
  const [paywordEnded, setPaywordEnded] = useState<{
    ended: number;
    returnsBy: number | null;
  } | null>(null);

  const load = async () => {
    const status = await call('recovery.status', {});
    if (status.status === 'confirmed') {
      const { banks } = await call('wallet.overview', {});
      setStep({ step: 'ready', origin: status.origin, banks });
    } else if (status.status === 'unconfirmed') {
      const shown = await call('recovery.create', {});
      setStep({ step: 'show', ...shown });
    } else {
      setStep({ step: 'start' });
    }
  };
  useEffect(() => {
    load().catch((failure: unknown) => {
      setError(walletErrorOf(failure));
      setStep({ step: 'start' });
    });
  }, []);

  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    work()
      .catch((failure: unknown) => setError(walletErrorOf(failure)))
      .finally(() => setBusy(false));
  };

  switch (step.step) {
    case 'loading':
      return { status: 'loading' };
    case 'start':
      return {
        status: 'start',
        error,
        create: () =>
          run(async () => {
            const shown = await call('recovery.create', {});
            setStep({ step: 'show', ...shown });
          }),
        startRestore: () => {
          setError(null);
          setStep({ step: 'restore' });
        },
      };
    case 'show':
      return {
        status: 'show',
        words: step.words,
        written: () => {
          setAnswers(step.check.map(() => ''));
          setStep({ step: 'check', words: step.words, check: step.check });
        },
      };
    case 'check':
      return {
        status: 'check',
        positions: step.check,
        answers,
        busy,
        error,
        setAnswer: (index, word) =>
          setAnswers((current) => current.map((answer, i) => (i === index ? word : answer))),
        confirm: () =>
          run(async () => {
            await call('recovery.confirm', {
              answers: step.check.map((position, i) => ({ position, word: answers[i] ?? '' })),
            });
            await load();
          }),
        back: () => setStep({ step: 'show', words: step.words, check: step.check }),
      };
    case 'restore':
      return {
        status: 'restore',
        phrase,
        busy,
        error,
        setPhrase,
        restore: () =>
          run(async () => {
            await call('recovery.restore', { phrase });
            setPhrase('');
            await load();
          }),
        back: () => setStep({ step: 'start' }),
      };
    case 'ready':
      return {
        status: 'ready',
        origin: step.origin,
        banks: step.banks,
        busy,
        error,
        lost,
        returned,
        recoverLostCoins: (bankUrl) =>
          run(async () => setLost(await call('recovery.lostCoins', { bankUrl }))),
        returnCoins: (bankUrl) =>
          run(async () => setReturned(await call('recovery.returnCoins', { bankUrl }))),
        paywordEnded,
        endPaywordCredit: (bankUrl) =>
          run(async () => setPaywordEnded(await call('recovery.endPaywordCredit', { bankUrl }))),
      };
  }
}
