/**
 * Debian's Chromium under puppeteer with the built wallet extension installed, headless.
 * The browser comes from the machine (`/usr/bin/chromium`, or `FARTHING_CHROMIUM`); puppeteer
 * never downloads one. Without a browser or a built extension the tests fail saying how to get
 * them, rather than being skipped.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page, type WebWorker } from 'puppeteer-core';

export const extensionDir = fileURLToPath(new URL('../../extension/dist', import.meta.url));

export function chromiumPath(): string {
  const path = process.env.FARTHING_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `No Chromium at ${path}. Install Debian's (apt-get install chromium) or point ` +
        'FARTHING_CHROMIUM at a Chromium 120 or later; .ci/run installs it.',
    );
  }
  return path;
}

function builtManifest(): { background: { service_worker: string } } {
  const manifest = join(extensionDir, 'manifest.json');
  if (!existsSync(manifest)) {
    throw new Error(
      'The extension is not built: run `npm run build -w extension` (npm test does it first).',
    );
  }
  return JSON.parse(readFileSync(manifest, 'utf8'));
}

export interface WalletBrowser {
  readonly browser: Browser;
  readonly extensionId: string;
  readonly extensionOrigin: string;
  /** The wallet's service worker, as it runs now (it may be restarted). */
  serviceWorker(): Promise<WebWorker>;
  /** A new tab on one of the wallet's pages (`popup`, `settings`, `history`, `confirm`). */
  openWalletPage(page: 'popup' | 'settings' | 'history', query?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchWalletBrowser(): Promise<WalletBrowser> {
  builtManifest();
  const profile = mkdtempSync(join(tmpdir(), 'farthing-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    pipe: true,
    enableExtensions: true,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Third-party cookies blocked, as the design requires the wallet to work without them.
      '--test-third-party-cookie-phaseout',
    ],
  });
  let extensionId: string;
  try {
    extensionId = await browser.installExtension(extensionDir);
  } catch (error) {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const extensionOrigin = `chrome-extension://${extensionId}`;
  return {
    browser,
    extensionId,
    extensionOrigin,
    async serviceWorker() {
      const target = await browser.waitForTarget(
        (candidate) =>
          candidate.type() === 'service_worker' && candidate.url().startsWith(extensionOrigin),
        { timeout: 10_000 },
      );
      const worker = await target.worker();
      if (worker === null) throw new Error('the wallet service worker has no worker handle');
      return worker;
    },
    async openWalletPage(name, query = '') {
      const page = await browser.newPage();
      await page.goto(`${extensionOrigin}/extension/src/pages/${name}/index.html${query}`);
      return page;
    },
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The text inside every shadow root (open or closed) of the page, through the DevTools protocol. */
export async function shadowText(page: Page, hostSelector: string): Promise<string> {
  const session = await page.createCDPSession();
  try {
    const { root } = await session.send('DOM.getDocument', { depth: -1, pierce: true });
    type Node = {
      nodeType: number;
      nodeValue?: string;
      localName?: string;
      attributes?: string[];
      children?: Node[];
      shadowRoots?: Node[];
    };
    const attribute = hostSelector.replace(/^\[|\]$/g, '');
    const texts: string[] = [];
    const collect = (node: Node, inside: boolean): void => {
      if (inside && node.nodeType === 3 && node.nodeValue) texts.push(node.nodeValue);
      const isHost = node.attributes?.includes(attribute) ?? false;
      for (const shadow of node.shadowRoots ?? []) collect(shadow, inside || isHost);
      for (const child of node.children ?? []) collect(child, inside);
    };
    collect(root as Node, false);
    return texts.join(' ').replace(/\s+/g, ' ').trim();
  } finally {
    await session.detach();
  }
}

/**
 * How long a user rests on a link before a deliberate click, as the tests do: longer than the
 * wallet's defaults ask (the link on screen 800 ms, the tooltip's price shown 400 ms), so the
 * click auto-pays where the limits allow (README "Auto-pay only what you saw").
 */
export const readingMs = 1_200;

/**
 * Hovers a priced link of `page` until the wallet's tooltip shows `state` (or one of them), then rests on it for
 * `dwellMs` (default `readingMs`), as a user reading the price does.
 */
export async function hoverPriced(
  page: Page,
  path: string,
  state: string | readonly string[] = 'payable',
  dwellMs = readingMs,
): Promise<void> {
  const link = `a[href="${path}"][data-farthing-offer]`;
  // Input reaches only the tab in front (a wallet page opened later may be there).
  await page.bringToFront();
  await page.waitForSelector(link, { timeout: 15_000 });
  // From outside the link, so the pointer really enters it (the pointer stays where the last
  // page left it). Again while the tooltip does not come: the content script starts at
  // document_idle, and a pointer that entered the link before it listened sends no new event.
  const states = typeof state === 'string' ? [state] : state;
  const shown = states.map((one) => `[data-farthing-tooltip][data-state="${one}"]`).join(', ');
  const deadline = Date.now() + 20_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    await page.mouse.move(1, 1);
    await page.hover(link);
    try {
      await page.waitForSelector(shown, { timeout: 2_000 });
      await new Promise((resolve) => setTimeout(resolve, dwellMs));
      return;
    } catch (error) {
      lastError = error;
    }
  }
  const tooltip = await shadowText(page, '[data-farthing-tooltip]').catch(() => '?');
  throw new Error(`the tooltip on ${path} is not ${states.join(' or ')}: ${tooltip}`, {
    cause: lastError,
  });
}
