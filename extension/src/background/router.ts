/**
 * The background's message router: every message is validated once here with the contract's
 * schemas (the envelope, then the action's input), its sender checked against the action's
 * `from` (senders.ts), and answered `{ ok: true, value } | { ok: false, error }`. Content
 * actions get the page from the browser's sender, never from the payload.
 */

import * as v from 'valibot';
import { type Action, type Answer, actions, requestSchema } from '../messages/contract.ts';
import { exportBackup, importBackup } from '../wallet/backup.ts';
import {
  bankKey,
  bankView,
  inspectBank,
  logIn,
  logOut,
  trustBank,
  trustedBank,
} from '../wallet/bank/banks.ts';
import { listCards, registerCard, removeCard } from '../wallet/card/cards.ts';
import { cardCheckout, inquireCardPaymentView, listCardPayments } from '../wallet/card/checkout.ts';
import { listDeliveries, reportFailedPage } from '../wallet/delivery/delivery.ts';
import { requestRefund } from '../wallet/delivery/refund-request.ts';
import { errorJson, WalletFailure } from '../wallet/errors.ts';
import { listReceipts, listRefusals, spendingByDay } from '../wallet/history.ts';
import { describeOffer, payOffer } from '../wallet/pay/pay.ts';
import { provePayment } from '../wallet/proof/payment-proof.ts';
import { routePurse } from '../wallet/purse/purse-routes.ts';
import { routeRecovery } from '../wallet/recovery/recovery-routes.ts';
import { checkRefundsOnVisit } from '../wallet/refunds/visit.ts';
import {
  listSites,
  loadSettings,
  settingsView,
  updateSettings,
  updateSite,
} from '../wallet/settings.ts';
import { listTasks, taskView } from '../wallet/tasks.ts';
import type { Wallet } from '../wallet/wallet.ts';
import type { ConfirmationDesk } from './confirmations.ts';
import { activePaywall, payTabPaywall, type TabBridge } from './paywall.ts';
import {
  type ExtensionIdentity,
  type MessageSenderLike,
  type VerifiedSender,
  verifySender,
} from './senders.ts';

export interface RouterDeps {
  readonly wallet: Wallet;
  readonly identity: ExtensionIdentity;
  readonly confirmations: ConfirmationDesk;
  readonly tabs: TabBridge;
}

/** A validated request: the action and its input as the schema outputs it. */
type ValidRequest = {
  [A in Action]: {
    readonly action: A;
    readonly input: v.InferOutput<(typeof actions)[A]['input']>;
  };
}[Action];

export async function routeMessage(
  deps: RouterDeps,
  message: unknown,
  sender: MessageSenderLike,
): Promise<Answer<unknown>> {
  try {
    const envelope = v.safeParse(requestSchema, message);
    if (!envelope.success) {
      throw new WalletFailure(
        'invalid_message',
        'The wallet received a message it does not understand.',
      );
    }
    const { action } = envelope.output;
    const spec = actions[action];
    const verified = verifySender(sender, deps.identity, spec.from);
    const input = v.safeParse(spec.input as v.GenericSchema, envelope.output.input);
    if (!input.success) {
      const field = input.issues[0]?.path?.map((item) => String(item.key)).join('.') ?? '';
      throw new WalletFailure(
        'invalid_message',
        `The wallet received an invalid ${action} message.`,
        {
          detail: { field },
        },
      );
    }
    // The cast joins the action to the input its own schema just validated.
    const request = { action, input: input.output } as ValidRequest;
    return { ok: true, value: await dispatch(deps, verified, request) };
  } catch (error) {
    return { ok: false, error: errorJson(error) };
  }
}

function contentPage(sender: VerifiedSender): string {
  if (sender.kind !== 'content')
    throw new WalletFailure('forbidden_sender', 'Only web pages ask for payments.');
  return sender.pageUrl;
}

async function dispatch(
  deps: RouterDeps,
  sender: VerifiedSender,
  request: ValidRequest,
): Promise<unknown> {
  const { wallet, confirmations } = deps;
  switch (request.action) {
    case 'offer.describe':
      return describeOffer(wallet, {
        token: request.input.offer,
        href: request.input.href,
        pageUrl: contentPage(sender),
      });
    case 'offer.pay':
      return payOffer(wallet, wallet.hooks, {
        token: request.input.offer,
        href: request.input.href,
        pageUrl: contentPage(sender),
        seen: request.input.presentation,
      });
    case 'refunds.check':
      return checkRefundsOnVisit(wallet, new URL(contentPage(sender)).origin);
    case 'tab.paywall':
      return activePaywall(wallet, deps.tabs);
    case 'tab.payPaywall':
      return payTabPaywall(wallet, deps.tabs, request.input.tabId);
    case 'wallet.overview':
      return wallet.overview();
    case 'bank.inspect':
      return inspectBank(wallet, request.input.url);
    case 'bank.trust':
      return trustBank(wallet, {
        url: request.input.url,
        caFingerprint: request.input.caFingerprint,
        mintKeyFingerprint: request.input.mintKeyFingerprint,
        ...(request.input.brokerKeyFingerprint === undefined
          ? {}
          : { brokerKeyFingerprint: request.input.brokerKeyFingerprint }),
      });
    case 'bank.login':
      return logIn(wallet, request.input);
    case 'bank.logout':
      return logOut(wallet, request.input.url);
    case 'bank.view':
      return bankView(wallet, await trustedBank(wallet, bankKey(request.input.url)));
    case 'withdraw.start':
      return wallet.withdraw({ url: request.input.url, amount: request.input.amount });
    case 'task.list':
      return listTasks(wallet, request.input.limit ?? 50);
    case 'task.retry': {
      const task = await wallet.db.get('tasks', request.input.id);
      if (task === undefined) throw new WalletFailure('invalid_message', 'There is no such task.');
      await wallet.resume();
      return taskView((await wallet.db.get('tasks', task.id)) ?? task);
    }
    case 'settings.get':
      return settingsView(await loadSettings(wallet.db));
    case 'settings.update':
      return updateSettings(wallet, request.input);
    case 'site.list':
      return listSites(wallet);
    case 'site.update':
      return updateSite(wallet, request.input);
    case 'history.list':
      return listReceipts(wallet, {
        ...(request.input.limit === undefined ? {} : { limit: request.input.limit }),
        ...(request.input.before === undefined ? {} : { before: request.input.before }),
      });
    case 'history.spending':
      return spendingByDay(wallet, request.input.days);
    case 'refusal.list':
      return listRefusals(wallet, request.input.limit ?? 50);
    case 'confirmation.get':
      return confirmations.get(request.input.id);
    case 'confirmation.answer':
      return confirmations.answer(request.input.id, request.input.accept);
    // SET cards (wallet/card/)
    case 'card.checkout':
      return cardCheckout(wallet, wallet.hooks, {
        offerText: request.input.offer,
        pageUrl: contentPage(sender),
      });
    case 'card.list':
      return listCards(wallet);
    case 'card.register':
      return registerCard(wallet, request.input);
    case 'card.remove':
      await removeCard(wallet, request.input.id);
      return listCards(wallet);
    case 'card.payments':
      return listCardPayments(wallet, request.input.limit ?? 50);
    case 'card.inquire':
      return inquireCardPaymentView(wallet, request.input.transactionId);
    case 'backup.export':
      return exportBackup(wallet, request.input.passphrase);
    case 'backup.import':
      return importBackup(wallet, request.input.text, request.input.passphrase);
    case 'purse.status':
    case 'purse.pair':
    case 'purse.unpair':
    case 'purse.update':
    case 'purse.prefer':
    case 'purse.issue':
    case 'purse.authorizeLoad':
    case 'purse.challenge':
    case 'purse.proof':
    case 'purse.refused':
      return routePurse(wallet, request);
    case 'recovery.status':
    case 'recovery.create':
    case 'recovery.confirm':
    case 'recovery.restore':
    case 'recovery.lostCoins':
    case 'recovery.returnCoins':
    case 'recovery.endPaywordCredit':
      return routeRecovery(wallet, request);
    case 'payment.prove':
      return provePayment(wallet, request.input.receiptId);
    // Never paying for nothing (wallet/delivery/): the page and its tab from the sender.
    case 'delivery.failed': {
      const page = contentPage(sender);
      const tabId = sender.kind === 'content' ? sender.tabId : -1;
      return reportFailedPage(wallet, page, request.input.status, () =>
        deps.tabs.navigate(tabId, page),
      );
    }
    case 'delivery.list':
      return listDeliveries(wallet);
    case 'delivery.requestRefund':
      return requestRefund(wallet, request.input.paymentId);
    default:
      return exhaustive(request);
  }
}

function exhaustive(value: never): never {
  throw new WalletFailure('unknown_action', `The wallet has no action ${JSON.stringify(value)}.`);
}
