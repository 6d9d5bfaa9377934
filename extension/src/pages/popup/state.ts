/**
 * The popup's state: onboarding (add a bank, review its keys, log in) until the wallet has a
 * trusted bank and an account, then balances, recent payments, withdraw and the auto-pay limit.
 *
 * Long because the popup is one state machine (onboarding, then the wallet); splitting its
 * hooks would split the transitions between them.
 */
import { useEffect, useState } from 'preact/hooks';
import { bankKeys } from '../../messages/bank-keys.ts';
import { callBackground } from '../../messages/client.ts';
import type {
  AmountInput,
  AmountView,
  BankInspection,
  BankView,
  Settings,
  TaskView,
  WalletErrorJson,
  WalletOverview,
} from '../../messages/contract.ts';
import { inputError, walletErrorOf } from '../../ui/errors.ts';
import { type Pending, useLoader } from '../../ui/load.ts';
import {
  majorUnitsText,
  type ParseMajorUnitsOptions,
  parseMajorUnits,
  sumAmounts,
} from '../../ui/money.ts';
import type { Platform } from '../../ui/platform.ts';
import { whileBusy } from '../../ui/task.ts';

export const defaultBankUrl = 'http://127.0.0.1:8700';

export type WithdrawForm =
  | {
      readonly phase: 'idle';
      readonly amount: string;
      setAmount(text: string): void;
      submit(): void;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
    }
  | { readonly phase: 'running'; readonly task: TaskView }
  | { readonly phase: 'done'; readonly task: TaskView; again(): void }
  | { readonly phase: 'failed'; readonly error: WalletErrorJson; again(): void };

export interface ThresholdForm {
  readonly currency: string;
  readonly value: string;
  setValue(text: string): void;
  save(): void;
  readonly busy: boolean;
  readonly saved: boolean;
  readonly error: WalletErrorJson | null;
}

/** PayWord credit the bank holds from the account for one certificate, as the popup shows it. */
export interface PaywordHold {
  /** What the bank set aside. */
  readonly held: AmountView;
  /** What of it the wallet can still spend. */
  readonly left: AmountView;
  readonly expiresAt: number;
  /** Expired: nothing left to spend, the rest waits for sites to collect. */
  readonly expired: boolean;
  /** When what sites have not collected is back in the account at the latest, if known. */
  readonly returnsBy: number | null;
}

export type PopupState =
  | Pending
  | {
      readonly status: 'add-bank';
      readonly url: string;
      setUrl(url: string): void;
      inspect(): void;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
    }
  | {
      readonly status: 'review-bank';
      readonly inspection: BankInspection;
      trust(): void;
      back(): void;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
    }
  | {
      readonly status: 'login';
      readonly bank: BankView;
      /** What the first PayWord payment will set aside (said before it does). */
      readonly paywordCredit: AmountView;
      readonly username: string;
      readonly password: string;
      setUsername(value: string): void;
      setPassword(value: string): void;
      submit(): void;
      /** Go on without logging in (paying needs no login; withdrawing does). */
      skip(): void;
      readonly busy: boolean;
      readonly error: WalletErrorJson | null;
    }
  | {
      readonly status: 'ready';
      readonly overview: WalletOverview;
      readonly bank: BankView;
      readonly ecash: AmountView;
      readonly payword: AmountView;
      /** The hardware purse's card balance as last read, when a reader is paired. */
      readonly purse: AmountView | null;
      /** Credit the bank holds for PayWord; empty until the first PayWord payment. */
      readonly paywordHolds: readonly PaywordHold[];
      /** What the next PayWord certificate will set aside. */
      readonly paywordCredit: AmountView;
      readonly withdraw: WithdrawForm;
      readonly threshold: ThresholdForm;
      logIn(): void;
      openSettings(): void;
      openHistory(): void;
      /** The recovery phrase, lost coins and "return e-cash to my bank account". */
      openRecovery(): void;
    };

export interface PopupOptions {
  /** How often a running withdrawal's progress is asked for. */
  readonly pollMs?: number;
  /** The clock that says whether held PayWord credit has expired. */
  readonly now?: () => number;
}

interface Loaded {
  readonly overview: WalletOverview;
  readonly settings: Settings;
}

type Withdrawal =
  | { readonly phase: 'idle' }
  | { readonly phase: 'running' | 'done'; readonly task: TaskView }
  | { readonly phase: 'failed'; readonly error: WalletErrorJson };

const runningStatuses: readonly TaskView['status'][] = ['reserved', 'sent'];

export function usePopupState(platform: Platform, options: PopupOptions = {}): PopupState {
  const { transport } = platform;
  const pollMs = options.pollMs ?? 400;
  const now = options.now ?? Date.now;
  const [url, setUrl] = useState(defaultBankUrl);
  const [inspection, setInspection] = useState<BankInspection | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [loginSkipped, setLoginSkipped] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const [withdrawal, setWithdrawal] = useState<Withdrawal>({ phase: 'idle' });
  const [withdrawAmount, setWithdrawAmount] = useState('');
  const [withdrawError, setWithdrawError] = useState<WalletErrorJson | null>(null);
  const [threshold, setThreshold] = useState<string | null>(null);
  const [thresholdError, setThresholdError] = useState<WalletErrorJson | null>(null);
  const [thresholdSaved, setThresholdSaved] = useState(false);

  const {
    loaded,
    reload: refresh,
    update,
  } = useLoader(async (): Promise<Loaded> => {
    const [overview, settings] = await Promise.all([
      callBackground(transport, 'wallet.overview', {}),
      callBackground(transport, 'settings.get', {}),
    ]);
    // A withdrawal started before the popup was opened (or before it closed) goes on showing.
    const running = overview.tasks.find(
      (task) => task.kind === 'withdraw' && runningStatuses.includes(task.status),
    );
    if (running !== undefined) {
      setWithdrawal((current) =>
        current.phase === 'idle' ? { phase: 'running', task: running } : current,
      );
    }
    return { overview, settings };
  }, [transport]);

  const runningTaskId = withdrawal.phase === 'running' ? withdrawal.task.id : null;
  useEffect(() => {
    if (runningTaskId === null) return;
    let active = true;
    const timer = setInterval(async () => {
      let tasks: readonly TaskView[];
      try {
        tasks = await callBackground(transport, 'task.list', { limit: 20 });
      } catch {
        return; // the next tick asks again; the task itself lives on in the background
      }
      const task = tasks.find((candidate) => candidate.id === runningTaskId);
      if (!active || task === undefined) return;
      if (task.status === 'confirmed') {
        setWithdrawal({ phase: 'done', task });
        void refresh();
      } else if (task.status === 'failed') {
        setWithdrawal({
          phase: 'failed',
          error: task.error ?? { code: 'internal', message: 'The withdrawal failed.' },
        });
        void refresh();
      } else {
        setWithdrawal({ phase: 'running', task });
      }
    }, pollMs);
    return () => {
      active = false;
      clearInterval(timer);
    };
  }, [runningTaskId, transport, pollMs, refresh]);

  /** Runs one background call behind the busy flag, reporting a failure with `report`. */
  const attempt = async (
    work: () => Promise<void>,
    report: (error: WalletErrorJson | null) => void = setError,
  ): Promise<void> => {
    report(null);
    await whileBusy(setBusy, work, (failure) => report(walletErrorOf(failure)));
  };
  /** An amount the user typed, sent on by `send` once it parses; either failure shows by its field. */
  const sendAmount = (
    text: string,
    currency: string,
    report: (error: WalletErrorJson | null) => void,
    send: (amount: AmountInput) => Promise<void>,
    options?: ParseMajorUnitsOptions,
  ): void => {
    const parsed = parseMajorUnits(text, currency, options);
    if (!parsed.ok) {
      report(inputError(parsed.message));
      return;
    }
    void attempt(() => send(parsed.amount), report);
  };

  if (loaded.status !== 'loaded') return loaded;
  const { overview, settings } = loaded.value;
  if (overview.banks.length === 0) {
    if (inspection === null) {
      return {
        status: 'add-bank',
        url,
        setUrl,
        busy,
        error,
        inspect: () =>
          void attempt(async () => {
            setInspection(await callBackground(transport, 'bank.inspect', { url: url.trim() }));
          }),
      };
    }
    return {
      status: 'review-bank',
      inspection,
      busy,
      error,
      back: () => {
        setError(null);
        setInspection(null);
      },
      trust: () =>
        void attempt(async () => {
          // The user was shown the broker key too: pin what they saw, not what the bank says next.
          await callBackground(transport, 'bank.trust', bankKeys(inspection));
          setInspection(null);
          await refresh();
        }),
    };
  }

  const bank = overview.banks.find((candidate) => candidate.account !== null) ?? overview.banks[0]!;
  if (bank.account === null && !loginSkipped) {
    return {
      status: 'login',
      bank,
      paywordCredit: settings.paywordCredit,
      username,
      password,
      setUsername,
      setPassword,
      busy,
      error,
      skip: () => {
        setError(null);
        setLoginSkipped(true);
      },
      submit: () =>
        void attempt(async () => {
          await callBackground(transport, 'bank.login', {
            url: bank.url,
            username: username.trim(),
            password,
          });
          setPassword('');
          await refresh();
        }),
    };
  }

  const currency = settings.currency;
  const balancesOf = (instrument: 'ecash' | 'payword') =>
    sumAmounts(
      overview.balances
        .filter((balance) => balance.instrument === instrument)
        .map((b) => b.balance),
      currency,
    );

  const withdraw: WithdrawForm = (() => {
    switch (withdrawal.phase) {
      case 'idle':
        return {
          phase: 'idle',
          amount: withdrawAmount,
          setAmount: setWithdrawAmount,
          busy,
          error: withdrawError,
          submit: () =>
            sendAmount(withdrawAmount, currency, setWithdrawError, async (amount) => {
              const task = await callBackground(transport, 'withdraw.start', {
                url: bank.url,
                amount,
              });
              setWithdrawAmount('');
              setWithdrawal(
                task.status === 'confirmed' ? { phase: 'done', task } : { phase: 'running', task },
              );
              if (task.status === 'confirmed') await refresh();
            }),
        };
      case 'running':
        return { phase: 'running', task: withdrawal.task };
      case 'done':
        return {
          phase: 'done',
          task: withdrawal.task,
          again: () => setWithdrawal({ phase: 'idle' }),
        };
      case 'failed':
        return {
          phase: 'failed',
          error: withdrawal.error,
          again: () => setWithdrawal({ phase: 'idle' }),
        };
    }
  })();

  const thresholdText = threshold ?? majorUnitsText(settings.autoPayThreshold);
  return {
    status: 'ready',
    overview,
    bank,
    ecash: balancesOf('ecash'),
    payword: balancesOf('payword'),
    purse: overview.balances.find((balance) => balance.instrument === 'purse')?.balance ?? null,
    paywordHolds: overview.balances.flatMap((balance) =>
      balance.instrument === 'payword' && balance.held !== undefined && balance.bankUrl === bank.url
        ? [
            {
              held: balance.held.amount,
              left: balance.balance,
              expiresAt: balance.held.expiresAt,
              expired: balance.held.expiresAt <= now(),
              returnsBy: balance.held.returnsBy,
            },
          ]
        : [],
    ),
    paywordCredit: settings.paywordCredit,
    withdraw,
    threshold: {
      currency,
      value: thresholdText,
      setValue: (text) => {
        setThreshold(text);
        setThresholdSaved(false);
      },
      busy,
      saved: thresholdSaved,
      error: thresholdError,
      save: () =>
        sendAmount(
          thresholdText,
          currency,
          setThresholdError,
          async (autoPayThreshold) => {
            const updated = await callBackground(transport, 'settings.update', {
              autoPayThreshold,
            });
            update((current) => ({ ...current, settings: updated }));
            setThreshold(null);
            setThresholdSaved(true);
          },
          { allowZero: true },
        ),
    },
    logIn: () => setLoginSkipped(false),
    openSettings: () => platform.openPage('settings'),
    openHistory: () => platform.openPage('history'),
    openRecovery: () => platform.openPage('recovery'),
  };
}
