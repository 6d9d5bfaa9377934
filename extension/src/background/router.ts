/**
 * The background's message router: every message is validated once here with the contract's
 * schemas (the envelope, then the action's input), its sender checked against the action's
 * `from` (senders.ts), and answered `{ ok: true, value } | { ok: false, error }`. Content
 * actions get the page from the browser's sender, never from the payload. Each route's answer
 * is checked against the contract's output type at compile time (`Routes`).
 */

import * as v from 'valibot';
import { bankKeys } from '../messages/bank-keys.ts';
import {
  type Action,
  type Answer,
  actions,
  type Routes,
  requestSchema,
} from '../messages/contract.ts';
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
import { listDeliveries, reportFailedPage } from '../wallet/delivery/delivery.ts';
import { requestRefund } from '../wallet/delivery/refund-request.ts';
import { errorJson, WalletFailure } from '../wallet/errors.ts';
import { listReceipts, listRefusals, spendingByDay } from '../wallet/history.ts';
import { listCards, registerCard, removeCard } from '../wallet/instruments/card/cards.ts';
import {
  cardCheckout,
  inquireCardPaymentView,
  listCardPayments,
} from '../wallet/instruments/card/checkout.ts';
import { purseRoutes } from '../wallet/instruments/purse/purse-routes.ts';
import { describeOffer } from '../wallet/pay/pay.ts';
import { provePayment } from '../wallet/proof/payment-proof.ts';
import { recoveryRoutes } from '../wallet/recovery/recovery-routes.ts';
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
import { clickOutcome, payClick } from './pay-click.ts';
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

/** What a route answers with: the wallet and its desks, and who sent the message. */
interface RouteContext extends RouterDeps {
  readonly sender: VerifiedSender;
}

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
    const route = routes[action] as Route;
    return { ok: true, value: await route(input.output, { ...deps, sender: verified }) };
  } catch (error) {
    return { ok: false, error: errorJson(error) };
  }
}

function contentPage(sender: VerifiedSender): string {
  if (sender.kind !== 'content')
    throw new WalletFailure('forbidden_sender', 'Only web pages ask for payments.');
  return sender.pageUrl;
}

function contentTab(sender: VerifiedSender): number {
  if (sender.kind !== 'content')
    throw new WalletFailure('forbidden_sender', 'Only web pages ask for payments.');
  return sender.tabId;
}

/** A route with the action forgotten, once its input has passed that action's schema. */
type Route = (input: unknown, context: RouteContext) => Promise<unknown>;

/**
 * Every action's answer. `Routes` checks each one's result against the output the contract
 * declares for it, at compile time; a missing or extra action does not compile either.
 */
const routes: Routes<Action, RouteContext> = {
  'offer.describe': (input, { wallet, sender }) =>
    describeOffer(wallet, {
      token: input.offer,
      href: input.href,
      pageUrl: contentPage(sender),
      ...(input.prepare === undefined ? {} : { prepare: input.prepare }),
    }),
  'offer.pay': (input, { wallet, sender }) =>
    payClick(wallet, contentTab(sender), {
      token: input.offer,
      href: input.href,
      pageUrl: contentPage(sender),
      seen: input.presentation,
      ...(input.navigation === undefined ? {} : { navigation: input.navigation }),
    }),
  'offer.outcome': (input, { sender }) => clickOutcome(contentTab(sender), input.navigation),
  'refunds.check': (_input, { wallet, sender }) =>
    checkRefundsOnVisit(wallet, new URL(contentPage(sender)).origin),
  'tab.paywall': (_input, { wallet, tabs }) => activePaywall(wallet, tabs),
  'tab.payPaywall': (input, { wallet, tabs }) => payTabPaywall(wallet, tabs, input.tabId),
  'wallet.overview': (_input, { wallet }) => wallet.overview(),
  'bank.inspect': (input, { wallet }) => inspectBank(wallet, input.url),
  'bank.trust': (input, { wallet }) => trustBank(wallet, bankKeys(input)),
  'bank.login': (input, { wallet }) => logIn(wallet, input),
  'bank.logout': (input, { wallet }) => logOut(wallet, input.url),
  'bank.view': async (input, { wallet }) =>
    bankView(wallet, await trustedBank(wallet, bankKey(input.url))),
  'withdraw.start': (input, { wallet }) =>
    wallet.withdraw({ url: input.url, amount: input.amount }),
  'task.list': (input, { wallet }) => listTasks(wallet, input.limit ?? 50),
  'task.retry': async (input, { wallet }) => {
    const task = await wallet.db.get('tasks', input.id);
    if (task === undefined) throw new WalletFailure('invalid_message', 'There is no such task.');
    await wallet.resume();
    return taskView((await wallet.db.get('tasks', task.id)) ?? task);
  },
  'settings.get': async (_input, { wallet }) => settingsView(await loadSettings(wallet.db)),
  'settings.update': (input, { wallet }) => updateSettings(wallet, input),
  'site.list': (_input, { wallet }) => listSites(wallet),
  'site.update': (input, { wallet }) => updateSite(wallet, input),
  'history.list': (input, { wallet }) =>
    listReceipts(wallet, {
      ...(input.limit === undefined ? {} : { limit: input.limit }),
      ...(input.before === undefined ? {} : { before: input.before }),
    }),
  'history.spending': (input, { wallet }) => spendingByDay(wallet, input.days),
  'refusal.list': (input, { wallet }) => listRefusals(wallet, input.limit ?? 50),
  'confirmation.get': async (input, { confirmations }) => confirmations.get(input.id),
  'confirmation.answer': async (input, { confirmations }) =>
    confirmations.answer(input.id, input.accept),
  // SET cards (wallet/instruments/card/)
  'card.checkout': (input, { wallet, sender }) =>
    cardCheckout(wallet, wallet.hooks, { offerText: input.offer, pageUrl: contentPage(sender) }),
  'card.list': (_input, { wallet }) => listCards(wallet),
  'card.register': (input, { wallet }) => registerCard(wallet, input),
  'card.remove': async (input, { wallet }) => {
    await removeCard(wallet, input.id);
    return listCards(wallet);
  },
  'card.payments': (input, { wallet }) => listCardPayments(wallet, input.limit ?? 50),
  'card.inquire': (input, { wallet }) => inquireCardPaymentView(wallet, input.transactionId),
  'backup.export': (input, { wallet }) => exportBackup(wallet, input.passphrase),
  'backup.import': (input, { wallet }) => importBackup(wallet, input.text, input.passphrase),
  ...purseRoutes,
  ...recoveryRoutes,
  'payment.prove': (input, { wallet }) => provePayment(wallet, input.receiptId),
  // Never paying for nothing (wallet/delivery/): the page and its tab from the sender.
  'delivery.failed': (input, { wallet, sender, tabs }) => {
    const page = contentPage(sender);
    const tabId = sender.kind === 'content' ? sender.tabId : -1;
    return reportFailedPage(wallet, page, input.status, () => tabs.navigate(tabId, page));
  },
  'delivery.list': (_input, { wallet }) => listDeliveries(wallet),
  'delivery.requestRefund': (input, { wallet }) => requestRefund(wallet, input.paymentId),
};
