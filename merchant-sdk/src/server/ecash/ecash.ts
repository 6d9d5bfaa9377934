/**
 * E-cash (DESIGN.md "E-cash", deposit): the merchant forwards the payer's coins to the mint
 * before serving. The mint checks both signatures of every coin, marks the coins spent and
 * credits the merchant in one transaction, and answers a second spend with
 * `coin_already_spent` — the merchant keeps no coin state of its own.
 *
 * The deposit's id and `Idempotency-Key` are derived from the credential, and the coins are
 * sent in a fixed order, so a retry of the same credential (after a lost answer, a crash, or a
 * payer clicking twice) sends the same bytes under the same key and is credited once.
 */
import { type Amount, equalAmounts, formatAmount } from '@farthing/protocol/amount';
import {
  type DepositPermission,
  depositPermissions,
} from '@farthing/protocol/coin/deposit-permission';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { depositAnswer, readBankAnswer } from '../bank/bank-answers.ts';
import type { BankClient } from '../bank/bank-client.ts';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The coins by coin public key: the one order every spelling of a credential agrees on. */
export function sortedCoins(coins: readonly DepositPermission[]): DepositPermission[] {
  return [...coins].sort((a, b) => compareBytes(a.coin.coinPublicKey, b.coin.coinPublicKey));
}

/** One e-cash payment to deposit. */
export interface DepositParameters {
  readonly coins: readonly DepositPermission[];
  readonly credentialId: Uint8Array;
  readonly price: Amount;
}

/** `POST /v1/mint/deposits`; throws the mint's coin codes, or `bank_unavailable`. */
export async function depositCoins(bank: BankClient, parameters: DepositParameters): Promise<void> {
  const depositId = `farthing-${toBase64url(parameters.credentialId)}`;
  const body = JSON.stringify({
    depositId,
    coins: sortedCoins(parameters.coins).map(depositPermissions.signedToWire),
  });
  const answer = readBankAnswer(
    depositAnswer,
    await bank.post('/v1/mint/deposits', body, { idempotencyKey: depositId, pass: 'payer' }),
    'the deposit',
  );
  if (!equalAmounts(answer.total, parameters.price)) {
    // The mint credited something other than the price: serve nothing and let a person look.
    throw new FarthingError('bank_unavailable', 'the mint credited an unexpected total', {
      details: { expected: formatAmount(parameters.price), got: formatAmount(answer.total) },
    });
  }
}
