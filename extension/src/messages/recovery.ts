/**
 * The recovery phrase's part of the message contract (contract.ts spreads `recoveryActions`
 * into its `actions`): the wallet's own pages only. A web page can neither read the phrase nor
 * make the wallet restore, recover or return coins.
 */
import * as v from 'valibot';
import { noInput, output, pageAction } from './output.ts';

const httpUrlSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.url(),
  v.check((value) => /^https?:\/\//.test(value), 'expected an http(s) URL'),
);

export type RecoveryStatusView =
  | { readonly status: 'none' }
  | { readonly status: 'unconfirmed'; readonly createdAt: number }
  | {
      readonly status: 'confirmed';
      readonly origin: 'created' | 'restored';
      readonly confirmedAt: number;
    };

export interface PhraseView {
  readonly words: readonly string[];
  /** 0-based positions of the words to type back. */
  readonly check: readonly number[];
}

export interface LostCoinsView {
  /** Withdrawals of this phrase the bank still keeps. */
  readonly withdrawals: number;
  /** Change the mint made for coins of this phrase. */
  readonly changes: number;
  /** Coins brought back spendable, and their value in minor units. */
  readonly recovered: number;
  readonly value: number;
  /** Coins of those withdrawals already spent (they do not count). */
  readonly spent: number;
  /** Coins the wallet already held. */
  readonly known: number;
}

export const recoveryActions = {
  'recovery.status': pageAction(noInput, output<RecoveryStatusView>()),
  /** Makes the phrase (once) and shows it until it is confirmed; `phrase_exists` after. */
  'recovery.create': pageAction(noInput, output<PhraseView>()),
  'recovery.confirm': pageAction(
    v.strictObject({
      answers: v.pipe(
        v.array(
          v.strictObject({
            position: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(23)),
            word: v.pipe(v.string(), v.maxLength(64)),
          }),
        ),
        v.minLength(1),
        v.maxLength(24),
      ),
    }),
    output<RecoveryStatusView>(),
  ),
  'recovery.restore': pageAction(
    v.strictObject({ phrase: v.pipe(v.string(), v.maxLength(1024)) }),
    output<RecoveryStatusView>(),
  ),
  /** The unspent coins of the account's last withdrawals, from the phrase. */
  'recovery.lostCoins': pageAction(
    v.strictObject({ bankUrl: httpUrlSchema }),
    output<LostCoinsView>(),
  ),
  /**
   * The PayWord credit of lost wallets: ends every live certificate of the account this wallet
   * does not hold; the credit comes back after the vendors' grace (wallet/recovery/).
   */
  'recovery.endPaywordCredit': pageAction(
    v.strictObject({ bankUrl: httpUrlSchema }),
    output<{ readonly ended: number; readonly returnsBy: number | null }>(),
  ),
  /** "Return e-cash to my bank account": every spendable coin of that bank, credited once. */
  'recovery.returnCoins': pageAction(
    v.strictObject({ bankUrl: httpUrlSchema }),
    output<{ readonly coins: number; readonly value: number }>(),
  ),
} as const;
