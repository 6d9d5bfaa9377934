/**
 * The background's answers to the recovery actions (messages/recovery.ts), validated by the
 * router; each answer is checked against the action's declared output at compile time.
 */
import type { Routes } from '../../messages/contract.ts';
import type { recoveryActions } from '../../messages/recovery.ts';
import type { Wallet } from '../wallet.ts';
import { recoverLostCoins } from './lost-coins.ts';
import {
  confirmRecoveryPhrase,
  createRecoveryPhrase,
  recoveryStatus,
  restoreFromPhrase,
} from './master.ts';
import { endLostPaywordCredit } from './payword-release.ts';
import { returnCoinsToBank } from './return-to-bank.ts';

export const recoveryRoutes: Routes<keyof typeof recoveryActions, { readonly wallet: Wallet }> = {
  'recovery.status': (_input, { wallet }) => recoveryStatus(wallet),
  'recovery.create': (_input, { wallet }) => createRecoveryPhrase(wallet),
  'recovery.confirm': (input, { wallet }) => confirmRecoveryPhrase(wallet, input.answers),
  'recovery.restore': (input, { wallet }) => restoreFromPhrase(wallet, input.phrase),
  'recovery.lostCoins': (input, { wallet }) => recoverLostCoins(wallet, input.bankUrl),
  'recovery.returnCoins': (input, { wallet }) => returnCoinsToBank(wallet, input.bankUrl),
  'recovery.endPaywordCredit': (input, { wallet }) => endLostPaywordCredit(wallet, input.bankUrl),
};
