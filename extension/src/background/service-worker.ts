/**
 * The wallet's service worker: opens the wallet core, routes every message and every call over
 * a content script's port (router.ts), opens the confirmation window, and resumes open tasks
 * when the worker starts and on an alarm. Listeners are registered synchronously at the top
 * level, as MV3 requires, so a worker woken by a message, a port or an alarm handles it.
 */
import browser from 'webextension-polyfill';
import { paywallQuery } from '../messages/contract.ts';
import { WalletFailure } from '../messages/failure.ts';
import { resumeDeliveries } from '../wallet/delivery/delivery.ts';
import { resumeCards } from '../wallet/instruments/card/resume.ts';
import { globalPlatform } from '../wallet/platform.ts';
import { openWallet, type Wallet } from '../wallet/wallet.ts';
import { ConfirmationDesk } from './confirmations.ts';
import { type Route, serveContentPort } from './content-port.ts';
import type { TabBridge } from './paywall.ts';
import { routeMessage } from './router.ts';

const resumeAlarm = 'farthing-resume-tasks';
const confirmPage = 'extension/src/pages/confirm/index.html';

const confirmations = new ConfirmationDesk(
  {
    async open(id) {
      const window = await browser.windows.create({
        type: 'popup',
        url: browser.runtime.getURL(`${confirmPage}?id=${encodeURIComponent(id)}`),
        width: 420,
        height: 560,
        focused: true,
      });
      return window.id;
    },
    async show(windowId, id) {
      const [tab] = await browser.tabs.query({ windowId });
      if (tab?.id === undefined) {
        throw new WalletFailure('internal', 'The confirmation window closed. Click again.');
      }
      await browser.tabs.update(tab.id, {
        url: browser.runtime.getURL(`${confirmPage}?id=${encodeURIComponent(id)}`),
      });
      await browser.windows.update(windowId, { focused: true });
    },
    async close(windowId) {
      await browser.windows.remove(windowId);
    },
  },
  () => Date.now(),
);

const wallet: Promise<Wallet> = openWallet({
  platform: globalPlatform,
  confirm: (request) => confirmations.confirm(request),
});
const identity = { id: browser.runtime.id, baseUrl: browser.runtime.getURL('') };

const asBrowserTab = (tab: browser.Tabs.Tab | undefined) =>
  tab?.id === undefined || tab.url === undefined ? undefined : { id: tab.id, url: tab.url };

/** The host permissions make `tab.url` readable for http(s) pages without the tabs permission. */
const tabs: TabBridge = {
  async activeTab() {
    // Active tabs of browser windows only: the popup (or a wallet window) is never the page.
    const active = await browser.tabs.query({ active: true, windowType: 'normal' });
    const focused = await browser.windows.getLastFocused().catch(() => undefined);
    const tab = active.find((candidate) => candidate.windowId === focused?.id) ?? active[0];
    return asBrowserTab(tab);
  },
  async tab(id) {
    return asBrowserTab(await browser.tabs.get(id).catch(() => undefined));
  },
  askPaywall: (tabId) => browser.tabs.sendMessage(tabId, paywallQuery, { frameId: 0 }),
  async navigate(tabId, url) {
    await browser.tabs.update(tabId, { url });
  },
};

const route: Route = (message, sender) =>
  wallet.then((opened) =>
    routeMessage({ wallet: opened, identity, confirmations, tabs }, message, sender),
  );

browser.runtime.onMessage.addListener((message: unknown, sender: browser.Runtime.MessageSender) =>
  route(message, sender),
);

// Content scripts call over a port each (messages/port.ts), routed the same way.
browser.runtime.onConnect.addListener((port) => serveContentPort(port, route));

browser.windows.onRemoved.addListener((windowId) => confirmations.windowClosed(windowId));

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === resumeAlarm) {
    void wallet.then((opened) => opened.resume());
    void wallet.then(resumeCards);
    // Paid pages still failing are fetched again; past the deadline they are not delivered.
    void wallet.then(resumeDeliveries);
  }
});

void browser.alarms.get(resumeAlarm).then((existing) => {
  if (existing === undefined) void browser.alarms.create(resumeAlarm, { periodInMinutes: 1 });
});

// A worker that was stopped mid-task finishes it now.
void wallet.then((opened) => opened.resume());
// …and a card registration or purchase whose answer it never got (wallet/instruments/card/).
void wallet.then(resumeCards);
