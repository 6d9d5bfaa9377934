/**
 * Amounts in the wallet's pages: people type major units (`5.00`), the background speaks integer
 * minor units. Conversion goes through the protocol's decimal parser, so no float ever holds a
 * fractional value (DESIGN.md "Money").
 */
import { formatAmount, parseAmount } from '@farthing/protocol/amount';
import type { AmountInput, AmountView } from '../messages/contract.ts';

export type ParsedAmount =
  | { readonly ok: true; readonly amount: AmountInput }
  | { readonly ok: false; readonly message: string };

export interface ParseMajorUnitsOptions {
  /** A zero amount is a valid answer (a threshold of 0 means "always ask"). */
  readonly allowZero?: boolean;
}

/** `"5.00"`, `"5"`, `"5,5"` in `currency` → integer minor units, or a sentence saying why not. */
export function parseMajorUnits(
  text: string,
  currency: string,
  options: ParseMajorUnitsOptions = {},
): ParsedAmount {
  // A decimal comma is what half of Europe types; nothing else is normalised.
  const value = text.trim().replace(',', '.');
  if (value === '') return { ok: false, message: 'Enter an amount, like 5.00.' };
  let minor: number;
  try {
    minor = parseAmount(`${currency} ${value}`).minor;
  } catch {
    return { ok: false, message: `"${text.trim()}" is not an amount in ${currency}, like 5.00.` };
  }
  if (minor === 0 && options.allowZero !== true) {
    return { ok: false, message: 'Enter an amount above zero.' };
  }
  return { ok: true, amount: { currency, minor } };
}

/** The digits people edit, without the currency: minor 500 in EUR → `"5.00"`. */
export function majorUnitsText(amount: AmountInput): string {
  const text = formatAmount(amount);
  return text.slice(text.indexOf(' ') + 1);
}

/** `EUR 4.95` from minor units. */
export function formatMinor(currency: string, minor: number): string {
  return formatAmount({ currency, minor });
}

/** Sums views of one currency (the wallet has one per bank); other currencies are left out. */
export function sumAmounts(amounts: readonly AmountView[], currency: string): AmountView {
  let minor = 0;
  for (const amount of amounts) if (amount.currency === currency) minor += amount.minor;
  return { currency, minor, text: formatMinor(currency, minor) };
}
