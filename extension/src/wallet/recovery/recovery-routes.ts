/** The background's answers to the recovery actions (messages/recovery.ts), validated by the router. */
import type * as v from 'valibot';
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

type RecoveryAction = keyof typeof recoveryActions;
export type RecoveryRequest = {
  [A in RecoveryAction]: {
    readonly action: A;
    readonly input: v.InferOutput<(typeof recoveryActions)[A]['input']>;
  };
}[RecoveryAction];

export async function routeRecovery(wallet: Wallet, request: RecoveryRequest): Promise<unknown> {
  switch (request.action) {
    case 'recovery.status':
      return recoveryStatus(wallet);
    case 'recovery.create':
      return createRecoveryPhrase(wallet);
    case 'recovery.confirm':
      return confirmRecoveryPhrase(wallet, request.input.answers);
    case 'recovery.restore':
      return restoreFromPhrase(wallet, request.input.phrase);
    case 'recovery.lostCoins':
      return recoverLostCoins(wallet, request.input.bankUrl);
    case 'recovery.returnCoins':
      return returnCoinsToBank(wallet, request.input.bankUrl);
    case 'recovery.endPaywordCredit':
      return endLostPaywordCredit(wallet, request.input.bankUrl);
    default:
      return exhaustive(request);
  }
}

function exhaustive(value: never): never {
  throw new Error(`unhandled recovery action ${JSON.stringify(value)}`);
}
