/**
 * The background's answers to the purse actions (messages/purse.ts), validated by the router;
 * each answer is checked against the action's declared output at compile time.
 */
import type { Routes } from '../../../messages/contract.ts';
import type { purseActions } from '../../../messages/purse.ts';
import type { Wallet } from '../../wallet.ts';
import { challengeView, refusePayment, storeProof } from './purse-payment.ts';
import {
  authorizeLoad,
  issueCard,
  pairedReader,
  pairReader,
  preferPurse,
  readerView,
  unpairReader,
  updateReader,
} from './reader.ts';

export const purseRoutes: Routes<keyof typeof purseActions, { readonly wallet: Wallet }> = {
  'purse.status': async (_input, { wallet }) => {
    const reader = await pairedReader(wallet);
    return reader === undefined ? null : readerView(reader);
  },
  'purse.pair': (input, { wallet }) => pairReader(wallet, input.device, input.card),
  'purse.unpair': (_input, { wallet }) => unpairReader(wallet),
  'purse.update': (input, { wallet }) => updateReader(wallet, input.card),
  'purse.prefer': (input, { wallet }) => preferPurse(wallet, input.preferred),
  'purse.issue': (input, { wallet }) => issueCard(wallet, input),
  'purse.authorizeLoad': (input, { wallet }) => authorizeLoad(wallet, input.loadRequest),
  'purse.challenge': (input, { wallet }) => challengeView(wallet, input.paymentId),
  'purse.proof': (input, { wallet }) =>
    storeProof(wallet, input.paymentId, input.proof, () => {
      void wallet.resume();
    }),
  'purse.refused': (input, { wallet }) => refusePayment(wallet, input.paymentId, input.code),
};
