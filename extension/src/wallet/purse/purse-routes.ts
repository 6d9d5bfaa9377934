/** The background's answers to the purse actions (messages/purse.ts), validated by the router. */
import type * as v from 'valibot';
import type { purseActions } from '../../messages/purse.ts';
import type { Wallet } from '../wallet.ts';
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

type PurseAction = keyof typeof purseActions;
export type PurseRequest = {
  [A in PurseAction]: {
    readonly action: A;
    readonly input: v.InferOutput<(typeof purseActions)[A]['input']>;
  };
}[PurseAction];

export async function routePurse(wallet: Wallet, request: PurseRequest): Promise<unknown> {
  switch (request.action) {
    case 'purse.status': {
      const reader = await pairedReader(wallet);
      return reader === undefined ? null : readerView(reader);
    }
    case 'purse.pair':
      return pairReader(wallet, request.input.device, request.input.card);
    case 'purse.unpair':
      return unpairReader(wallet);
    case 'purse.update':
      return updateReader(wallet, request.input.card);
    case 'purse.prefer':
      return preferPurse(wallet, request.input.preferred);
    case 'purse.issue':
      return issueCard(wallet, request.input);
    case 'purse.authorizeLoad':
      return authorizeLoad(wallet, request.input.loadRequest);
    case 'purse.challenge':
      return challengeView(wallet, request.input.paymentId);
    case 'purse.proof':
      return storeProof(wallet, request.input.paymentId, request.input.proof, () => {
        void wallet.resume();
      });
    case 'purse.refused':
      return refusePayment(wallet, request.input.paymentId, request.input.code);
    default:
      return request satisfies never;
  }
}
