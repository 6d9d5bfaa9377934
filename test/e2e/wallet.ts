/**
 * Driving the installed wallet from a test: its background actions through one of its own
 * pages (the message contract, exactly as the popup and settings pages call it), its IndexedDB
 * read as data, and a reader's clicks on the shop's priced links.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Action,
  ActionInput,
  ActionOutput,
  Answer,
  TaskView,
} from '@farthing/extension/messages/contract';
import type { Page, Target } from 'puppeteer-core';
import { expect } from 'vitest';
import { shadowText, type WalletBrowser } from '../browser/browser.ts';
import type { PricedItem } from '../shop/catalog.ts';
import { demo } from './world.ts';

export const byTestId = (id: string) => `[data-testid="${id}"]`;

/** Where the tests leave their screenshots (gitignored; docs/screenshots keeps the chosen ones). */
export const artifactsDir = fileURLToPath(new URL('./artifacts/', import.meta.url));

export function artifact(name: string): `${string}.png` {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, `${name}.png`) as `${string}.png`;
}

/** An error the wallet answered with, its code kept for assertions. */
export class WalletAnswerError extends Error {
  override readonly name = 'WalletAnswerError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The one extension API the tests call from a wallet page. */
interface ExtensionGlobal {
  readonly chrome: { readonly runtime: { sendMessage(message: unknown): Promise<unknown> } };
}

/** Sends one action from a wallet page (an extension page) and unwraps the answer. */
export async function call<A extends Action>(
  page: Page,
  action: A,
  input: ActionInput<A>,
): Promise<ActionOutput<A>> {
  const answer = (await page.evaluate(
    (request) => (globalThis as unknown as ExtensionGlobal).chrome.runtime.sendMessage(request),
    { action, input } as { action: string; input: unknown },
  )) as Answer<ActionOutput<A>>;
  if (!answer.ok) throw new WalletAnswerError(answer.error.code, answer.error.message);
  return answer.value;
}

/** Polls `task.list` until the task is confirmed (or fails the test when it failed). */
export async function taskDone(page: Page, id: string, timeoutMs = 60_000): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = (await call(page, 'task.list', { limit: 500 })).find((t) => t.id === id);
    if (task?.status === 'confirmed') return task;
    if (task?.status === 'failed') throw new Error(`task ${id} failed: ${task.error?.message}`);
    if (Date.now() > deadline)
      throw new Error(`task ${id} still ${task?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The bank added (its keys pinned as the bank shows them), the demo customer logged in and
 * `minor` withdrawn, through the same actions the popup sends.
 */
export async function onboard(page: Page, bankUrl: string, minor: number): Promise<void> {
  const bank = await call(page, 'bank.inspect', { url: bankUrl });
  await call(page, 'bank.trust', {
    url: bankUrl,
    caFingerprint: bank.caFingerprint,
    mintKeyFingerprint: bank.mintKeyFingerprint,
    ...(bank.brokerKeyFingerprint === undefined
      ? {}
      : { brokerKeyFingerprint: bank.brokerKeyFingerprint }),
  });
  await call(page, 'bank.login', { url: bankUrl, username: demo.name, password: demo.password });
  const task = await call(page, 'withdraw.start', {
    url: bankUrl,
    amount: { currency: 'EUR', minor },
  });
  await taskDone(page, task.id);
}

/** The wallet's stores as plain data (no keys), read from an extension page. */
export interface WalletState {
  readonly coins: readonly { coinPub: string; minor: number; status: string }[];
  readonly payments: readonly {
    id: string;
    status: string;
    instrument: string;
    minor: number;
    resource: string;
    receiptId: string | null;
  }[];
  readonly receipts: readonly { receiptId: string; minor: number; instrument: string }[];
  readonly tasks: readonly { id: string; kind: string; status: string }[];
  readonly withdrawals: readonly { id: string; status: string; total: number }[];
}

export async function walletState(page: Page): Promise<WalletState> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('farthing-wallet');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = (store: string) =>
      new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result as Record<string, unknown>[]);
        request.onerror = () => reject(request.error);
      });
    const minorOf = (money: unknown) => (money as { minor: number }).minor;
    const state = {
      coins: (await all('coins')).map((c) => ({
        coinPub: c.coinPub as string,
        minor: c.minor as number,
        status: c.status as string,
      })),
      payments: (await all('payments')).map((p) => ({
        id: p.id as string,
        status: p.status as string,
        instrument: p.instrument as string,
        minor: minorOf(p.price),
        resource: p.resource as string,
        receiptId: (p.receiptId as string | undefined) ?? null,
      })),
      receipts: (await all('receipts')).map((r) => ({
        receiptId: r.receiptId as string,
        minor: minorOf(r.price),
        instrument: r.instrument as string,
      })),
      tasks: (await all('tasks')).map((t) => ({
        id: t.id as string,
        kind: t.kind as string,
        status: t.status as string,
      })),
      withdrawals: (await all('withdrawals')).map((w) => ({
        id: w.id as string,
        status: w.status as string,
        total: w.total as number,
      })),
    };
    db.close();
    return state;
  });
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Value of the coins in one status. */
export const coinValue = (state: WalletState, ...statuses: string[]) =>
  sum(state.coins.filter((coin) => statuses.includes(coin.status)).map((coin) => coin.minor));

/** The next confirmation window the wallet opens, as a page. */
export function nextConfirmation(wallet: WalletBrowser, timeout = 15_000): Promise<Target> {
  return wallet.browser.waitForTarget((target) => target.url().includes('/pages/confirm/'), {
    timeout,
  });
}

/** Whether `page` is closed now or closes within a few seconds. */
function closes(page: Page): Promise<boolean> {
  if (page.isClosed()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(page.isClosed()), 5_000);
    page.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Confirms in the wallet's window once its Confirm button is armed. The window is brought to
 * the front first, as a user looks at the window before clicking in it: the button arms only
 * while its window is focused and visible (pages/confirm/state.ts), and focus can still be
 * moving to the page the test clicked in when the window opens.
 */
export async function accept(target: Target): Promise<Page> {
  const page = (await target.asPage())!;
  await page.bringToFront();
  const armed = `${byTestId('confirm-accept')}:not([disabled])`;
  try {
    const button = await page.waitForSelector(armed, { timeout: 15_000 });
    await button!.click();
  } catch (error) {
    // The window closes as the click confirms: a click whose window went away while the mouse
    // event was still being dispatched is a click made (the test checks the payment itself).
    // Puppeteer may report the closed target before it marks the page closed, so wait for that.
    if (error instanceof Error && error.name === 'TargetCloseError' && (await closes(page))) {
      return page;
    }
    const seen = await page
      .evaluate(() => ({
        focused: document.hasFocus(),
        visibility: document.visibilityState,
        button: document.querySelector('[data-testid="confirm-accept"]')?.outerHTML ?? null,
      }))
      .catch((reason: unknown) => String(reason));
    throw new Error(`could not confirm in the wallet's window: ${JSON.stringify(seen)}`, {
      cause: error,
    });
  }
  return page;
}

/** The shop's own signed offer for `path`, as its front page carries it. */
export async function shopOffer(shopUrl: string, path: string): Promise<string> {
  const html = await (await fetch(shopUrl)).text();
  const anchor = new RegExp(`<a[^>]*href="${path}"[^>]*>`).exec(html)?.[0] ?? '';
  const token = /data-farthing-offer="([^"]+)"/.exec(anchor)?.[1];
  if (token === undefined) throw new Error(`no offer for ${path} on the front page`);
  return token;
}

/** A trusted click (through the DevTools input domain) on the priced link to `path`. */
export async function clickPriced(page: Page, path: string): Promise<void> {
  await page.click(`a[href="${path}"][data-farthing-offer]`);
}

/** Waits until the tab shows the paid content of `item`; says what the tab shows otherwise. */
export async function contentShown(page: Page, item: PricedItem, timeout = 20_000) {
  try {
    await page.waitForFunction(
      (path, secret) =>
        location.pathname === path && (document.body.textContent ?? '').includes(secret),
      { timeout, polling: 50 },
      item.path,
      item.secret,
    );
  } catch (error) {
    const tooltip = await shadowText(page, '[data-farthing-tooltip]').catch(() => '?');
    throw new Error(`${item.path} not shown; the tab is at ${page.url()}, tooltip: ${tooltip}`, {
      cause: error,
    });
  }
}

export function expectNoProblems(problems: readonly string[]): void {
  expect(problems).toEqual([]);
}

/**
 * The centre of the first `<button>` inside the shadow root (open or closed) of the element
 * carrying `hostAttribute`, in page coordinates, read through the DevTools protocol.
 */
export async function shadowButtonCenter(
  page: Page,
  hostAttribute: string,
): Promise<{ x: number; y: number }> {
  const session = await page.createCDPSession();
  try {
    type Node = {
      backendNodeId: number;
      localName?: string;
      attributes?: string[];
      children?: Node[];
      shadowRoots?: Node[];
    };
    const { root } = (await session.send('DOM.getDocument', { depth: -1, pierce: true })) as {
      root: Node;
    };
    const find = (node: Node, test: (node: Node) => boolean): Node | undefined => {
      if (test(node)) return node;
      for (const child of [...(node.shadowRoots ?? []), ...(node.children ?? [])]) {
        const found = find(child, test);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const host = find(root, (node) => node.attributes?.includes(hostAttribute) ?? false);
    const button = (host?.shadowRoots ?? [])
      .map((shadow) => find(shadow, (node) => node.localName === 'button'))
      .find((node) => node !== undefined);
    if (button === undefined) throw new Error(`no button in the shadow of [${hostAttribute}]`);
    const { model } = (await session.send('DOM.getBoxModel', {
      backendNodeId: button.backendNodeId,
    })) as { model: { content: number[] } };
    const [x1, y1, , , x3, y3] = model.content as [number, number, number, number, number, number];
    return { x: (x1 + x3) / 2, y: (y1 + y3) / 2 };
  } finally {
    await session.detach();
  }
}
