/** Amounts as the contract shows them: integer minor units and the text people read. */
import { amount, formatAmount } from '@farthing/protocol/amount';
import type { AmountView } from '../messages/contract.ts';

export interface Money {
  readonly currency: string;
  readonly minor: number;
}

export function amountView(currency: string, minor: number): AmountView {
  return { currency, minor, text: formatAmount(amount(currency, Math.max(0, minor))) };
}

export function moneyView(money: Money): AmountView {
  return amountView(money.currency, money.minor);
}

/** Start of the UTC day of `at`, the key spending is counted under. */
export function dayOf(at: number): number {
  return at - (at % 86_400_000);
}
