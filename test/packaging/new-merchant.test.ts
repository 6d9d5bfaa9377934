/**
 * Issue 22's new merchant: the packages as `npm pack` makes them, installed from their
 * tarballs into a project outside this repository, run a small Express site and a small Hono
 * site in plain JavaScript (`node site.mjs`, no TypeScript loader). Each prices a link, answers
 * 402, and takes a PayWord and an e-cash payment from the wallet core (the extension's, on
 * fake-indexeddb) against the real bank on a loopback port. A TypeScript consumer is
 * type-checked against the published types. One install serves every test here.
 */
import 'fake-indexeddb/auto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { type RunningBank, startBank } from '@farthing/bank/server';
import {
  bankEnv,
  freePort,
  httpBank,
  openHttpMerchant,
} from '@farthing/bank/test/http-bank.fixture';
import { inspectBank, logIn, trustBank } from '@farthing/extension/wallet/bank/banks';
import { payOffer } from '@farthing/extension/wallet/pay/pay';
import type { WalletPlatform } from '@farthing/extension/wallet/platform';
import { openWallet, type Wallet } from '@farthing/extension/wallet/wallet';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerFromBytes, offerToken } from '@farthing/protocol/offer-token';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MerchantProject, openMerchantProject, type RunningSite } from './merchant-project.ts';

const demo = { name: 'demo', password: 'demo-password' }; // bank/src/seed.ts
const paid = 'thanks for paying!';

let project: MerchantProject;
let bankDir: string;
let running: RunningBank;
let wallet: Wallet;
/** The grant cookies the pay endpoints set, by origin (the browser's cookie jar). */
const jar = new Map<string, string>();

/** The service worker's fetch: cookies from the pay endpoint land in the jar. */
const platform: WalletPlatform = {
  now: () => Date.now(),
  async fetch(url, init) {
    const response = await fetch(url, init);
    const cookie = response.headers.get('set-cookie');
    if (cookie !== null) jar.set(new URL(url).origin, cookie.split(';')[0]!);
    return response;
  },
};

beforeAll(async () => {
  bankDir = mkdtempSync(join(tmpdir(), 'farthing-packaging-bank-'));
  const env = bankEnv(bankDir, await freePort(), {
    FARTHING_SEED_DEMO: '1',
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01,0.02,0.05,0.10,0.20',
  });
  vi.stubEnv('FARTHING_MINT_VALUES', env.FARTHING_MINT_VALUES!);
  vi.stubEnv('FARTHING_DEPOSIT_THREADS', '1');
  const [opened, bank] = await Promise.all([
    openMerchantProject(),
    startBank(loadConfig(env)).finally(() => vi.unstubAllEnvs()),
  ]);
  project = opened;
  running = bank;
  wallet = await openWallet({ dbName: 'new-merchant', platform, confirm: async () => true });
  const seen = await inspectBank(wallet, running.url);
  await trustBank(wallet, {
    url: seen.url,
    caFingerprint: seen.caFingerprint,
    mintKeyFingerprint: seen.mintKeyFingerprint,
  });
  await logIn(wallet, { url: seen.url, username: demo.name, password: demo.password });
  await wallet.withdraw({ url: running.url, amount: { currency: 'EUR', minor: 100 } });
  expect(await wallet.resume()).toBe(0);
}, 240_000);

afterAll(async () => {
  wallet?.close();
  await running?.stop();
  for (const dir of [project?.dir, bankDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('hold the built JavaScript, its types and source maps, and the license, and no sources, tests or fixtures', async () => {
    for (const workspace of ['protocol', 'server-runtime', 'merchant-sdk'] as const) {
      const files = await project.contents(workspace);
      expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/LICENSE']));
      expect(
        files.filter((f) => !/^package\/(dist\/|package\.json$|README\.md$|LICENSE$)/.test(f)),
      ).toEqual([]);
      expect(files.filter((f) => /\.test\.|\.fixture\.|\.tsbuildinfo$/.test(f))).toEqual([]);
      // The <script> build has no types: it is not imported.
      const script = 'package/dist/browser/farthing.js';
      if (workspace === 'merchant-sdk')
        expect(files).toEqual(expect.arrayContaining([script, `${script}.map`]));
      const modules = files.filter((f) => f.endsWith('.js') && f !== script);
      expect(modules.length).toBeGreaterThan(3);
      for (const js of modules) {
        expect(files).toContain(js.replace(/\.js$/, '.d.ts'));
        expect(files).toContain(`${js}.map`);
      }
    }
  });

  it('install without compiling SQLite or libsodium for a site that keeps its store in memory', async () => {
    expect(
      existsSync(join(project.dir, 'node_modules/@farthing/merchant-sdk/dist/server.js')),
    ).toBe(true);
    expect(existsSync(join(project.dir, 'node_modules/better-sqlite3'))).toBe(false);
    expect(existsSync(join(project.dir, 'node_modules/sodium-native'))).toBe(false);
    expect(existsSync(join(project.dir, 'node_modules/tsx'))).toBe(false);
  });

  it('carry a README that starts with the install line and the plain-JavaScript site run here', () => {
    const readme = readFileSync(
      join(project.dir, 'node_modules/@farthing/merchant-sdk/README.md'),
      'utf8',
    );
    const site = readFileSync(new URL('./site/express-site.mjs', import.meta.url), 'utf8');
    expect(readme).toMatch(
      /^# @farthing\/merchant-sdk\n\n```sh\nnpm install @farthing\/merchant-sdk express\n```\n\n```js\n/,
    );
    expect(readme).toContain(`\`\`\`js\n${site.trimEnd()}\n\`\`\``);
  });

  it('type-check a TypeScript merchant against the published types', async () => {
    const { code, output } = await project.typeCheck();
    expect(output).toBe('');
    expect(code).toBe(0);
  }, 120_000);
});

/** The offer token of `path`'s 402 (what the priced link on the page carries). */
async function challengeAt(site: RunningSite, path: string): Promise<string> {
  const response = await fetch(`${site.origin}${path}`, {
    headers: { accept: 'application/json' },
  });
  expect(response.status).toBe(402);
  expect(response.headers.get('cache-control')).toBe('no-store');
  await response.body?.cancel();
  const challenge = findFarthingChallenge(response.headers.get('www-authenticate') ?? '');
  expect(challenge).toBeDefined();
  return offerToken(offerFromBytes(challenge!.offer));
}

/** A trusted click on the link to `path`, then the page the browser navigates to. */
async function buy(site: RunningSite, path: string, instrument: 'payword' | 'ecash') {
  const token = await challengeAt(site, path);
  const href = `${site.origin}${path}`;
  const outcome = await payOffer(wallet, wallet.hooks, {
    token,
    href,
    pageUrl: `${site.origin}/`,
    seen: { input: 'pointer', hit: true, visibleMs: 5_000, shownMs: 1_000, focusMs: 0 },
  });
  expect(outcome).toMatchObject({ status: 'paid', instrument, navigateTo: href });
  const page = await fetch(href, { headers: { cookie: jar.get(site.origin)! } });
  expect(page.status).toBe(200);
  return page.text();
}

async function balanceOf(name: string): Promise<number> {
  return (await running.ctx.store.getAccountByName(name))!.balance;
}

describe.each([
  ['Express', 'express-site.mjs', 'express-site'],
  ['Hono', 'hono-site.mjs', 'hono-site'],
])('a new merchant’s %s site in plain JavaScript', (_framework, file, merchantId) => {
  let site: RunningSite;

  it('prices its links, answers 402, and takes PayWord and e-cash from the wallet', async () => {
    const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
    const account = await openHttpMerchant(bank, merchantId);
    site = await project.start(file, {
      FARTHING_BANK_URL: running.url,
      FARTHING_API_KEY: account.apiKey,
      FARTHING_MERCHANT_ID: merchantId,
      FARTHING_MERCHANT_NAME: `Merchant ${merchantId}`,
      PORT: String(await freePort()),
    });
    try {
      const front = await (await fetch(`${site.origin}/`)).text();
      expect(front).toMatch(
        /<a href="\/articles\/7" data-farthing-offer="[\w-]+" data-farthing-price="EUR 0.05">/,
      );
      expect(front).toMatch(
        /<a href="\/downloads\/map.pdf" data-farthing-offer="[\w-]+" data-farthing-price="EUR 0.20">/,
      );
      const unpaid = await fetch(`${site.origin}/articles/7`, { headers: { accept: 'text/html' } });
      expect(unpaid.status).toBe(402);
      expect(await unpaid.text()).not.toContain(paid);

      expect(await buy(site, '/articles/7', 'payword')).toBe(`Article 7: ${paid}`);
      const before = await balanceOf(merchantId);
      expect(await buy(site, '/downloads/map.pdf', 'ecash')).toBe(`Download map.pdf: ${paid}`);
      // The e-cash was deposited at the mint before the download was served.
      expect((await balanceOf(merchantId)) - before).toBe(20);
      expect((await running.ctx.store.checkInvariants()).problems).toEqual([]);
      expect(site.errors.join('')).toBe('');
    } finally {
      await site.stop();
    }
  }, 60_000);
});
