/**
 * The limits form: auto-pay threshold, default site budget, daily budget, first-payment rule,
 * and the PayWord credit the bank sets aside for each PayWord certificate.
 */
import { useState } from 'preact/hooks';
import { callBackground, type Transport } from '../../messages/client.ts';
import type { AmountInput, Settings, WalletErrorJson } from '../../messages/contract.ts';
import { walletErrorOf } from '../../ui/errors.ts';
import { majorUnitsText, parseMajorUnits } from '../../ui/money.ts';

export const limitFields = [
  'autoPayThreshold',
  'defaultSiteBudget',
  'dailyBudget',
  'paywordCredit',
] as const;
export type LimitField = (typeof limitFields)[number];

export interface LimitsForm {
  readonly currency: string;
  readonly values: Readonly<Record<LimitField, string>>;
  readonly confirmFirstPayment: boolean;
  set(field: LimitField, text: string): void;
  setConfirmFirstPayment(value: boolean): void;
  save(): void;
  readonly busy: boolean;
  readonly saved: boolean;
  /** Per field, a sentence about what was typed. */
  readonly fieldErrors: Readonly<Partial<Record<LimitField, string>>>;
  readonly error: WalletErrorJson | null;
}

/** The form's state; applied to the settings once they have loaded (hooks cannot wait). */
export function useLimitsForm(
  transport: Transport,
  onSaved: (settings: Settings) => void,
): (settings: Settings) => LimitsForm {
  const [drafts, setDrafts] = useState<Partial<Record<LimitField, string>>>({});
  const [confirmDraft, setConfirmDraft] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<LimitField, string>>>({});
  const [error, setError] = useState<WalletErrorJson | null>(null);

  return (settings) => {
    const values = {
      autoPayThreshold: drafts.autoPayThreshold ?? majorUnitsText(settings.autoPayThreshold),
      defaultSiteBudget: drafts.defaultSiteBudget ?? majorUnitsText(settings.defaultSiteBudget),
      dailyBudget: drafts.dailyBudget ?? majorUnitsText(settings.dailyBudget),
      paywordCredit: drafts.paywordCredit ?? majorUnitsText(settings.paywordCredit),
    };
    const confirmFirstPayment = confirmDraft ?? settings.confirmFirstPayment;

    return {
      currency: settings.currency,
      values,
      confirmFirstPayment,
      busy,
      saved,
      fieldErrors,
      error,
      set(field, text) {
        setDrafts((current) => ({ ...current, [field]: text }));
        setSaved(false);
      },
      setConfirmFirstPayment(value) {
        setConfirmDraft(value);
        setSaved(false);
      },
      save() {
        const parsed: Partial<Record<LimitField, AmountInput>> = {};
        const problems: Partial<Record<LimitField, string>> = {};
        for (const field of limitFields) {
          // A limit of zero means "never without asking"; a credit of zero would be no credit.
          const result = parseMajorUnits(values[field], settings.currency, {
            allowZero: field !== 'paywordCredit',
          });
          if (result.ok) parsed[field] = result.amount;
          else problems[field] = result.message;
        }
        setFieldErrors(problems);
        if (Object.keys(problems).length > 0) return;
        setBusy(true);
        setError(null);
        callBackground(transport, 'settings.update', { ...parsed, confirmFirstPayment })
          .then(
            (updated) => {
              setDrafts({});
              setConfirmDraft(null);
              setSaved(true);
              onSaved(updated);
            },
            (failure: unknown) => setError(walletErrorOf(failure)),
          )
          .finally(() => setBusy(false));
      },
    };
  };
}
