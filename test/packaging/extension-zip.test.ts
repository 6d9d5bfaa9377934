/**
 * Issue 22's packaged extension: `extension/scripts/package.mjs` (`npm run package` after the
 * build) zips `extension/dist` as a store takes it; here the zip is unpacked again and the
 * unpacked copy loaded into Debian's Chromium, whose service worker must start from it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, extensionDir } from '../browser/browser.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../extension/scripts/package.mjs', import.meta.url));

let dir: string;
let printed: string;
let zip: Uint8Array;
let files: Record<string, Uint8Array>;

/** The manifest inside the zip. */
function manifest() {
  return JSON.parse(new TextDecoder().decode(files['manifest.json']));
}

async function packageTo(out: string): Promise<string> {
  return (await run(process.execPath, [script, '--out', out])).stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'farthing-extension-zip-'));
  printed = await packageTo(join(dir, 'wallet.zip'));
  zip = new Uint8Array(readFileSync(join(dir, 'wallet.zip')));
  files = unzipSync(zip);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run package', () => {
  it('zips the built extension with manifest.json at the root, and prints size and permissions', () => {
    const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8'));
    expect(JSON.parse(new TextDecoder().decode(files['manifest.json']))).toEqual(manifest);
    const names = Object.keys(files);
    expect(names.filter((name) => name.startsWith('.') || name.includes('/.'))).toEqual([]);
    for (const name of names) {
      expect([name, Buffer.compare(files[name]!, readFileSync(join(extensionDir, name)))]).toEqual([
        name,
        0,
      ]);
    }
    expect(names).toContain(manifest.background.service_worker);
    expect(printed).toContain(`size: ${zip.length} bytes`);
    expect(printed).toContain(`${names.length} files`);
    expect(printed).toContain(`permissions: ${manifest.permissions.join(', ')}\n`);
    expect(printed).toContain(`host permissions: ${manifest.host_permissions.join(', ')}\n`);
  });

  it('gives the same bytes for the same build', async () => {
    await packageTo(join(dir, 'again.zip'));
    expect(Buffer.compare(readFileSync(join(dir, 'again.zip')), zip)).toBe(0);
  });

  it('unzips into an extension Chromium loads and whose service worker starts', async () => {
    const unpacked = join(dir, 'unpacked');
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(unpacked, name)), { recursive: true });
      writeFileSync(join(unpacked, name), content);
    }
    const profile = join(dir, 'profile');
    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      pipe: true,
      enableExtensions: true,
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const id = await browser.installExtension(unpacked);
      const target = await browser.waitForTarget(
        (t) => t.type() === 'service_worker' && t.url().startsWith(`chrome-extension://${id}/`),
        { timeout: 15_000 },
      );
      expect(target.url()).toBe(`chrome-extension://${id}/${manifest().background.service_worker}`);
      // An extension page of the unpacked copy, reading the manifest Chromium loaded.
      const page = await browser.newPage();
      await page.goto(`chrome-extension://${id}/${manifest().action.default_popup}`);
      const loaded = await page.evaluate(() =>
        (
          globalThis as unknown as { chrome: { runtime: { getManifest(): unknown } } }
        ).chrome.runtime.getManifest(),
      );
      expect(loaded).toMatchObject({ name: manifest().name, version: manifest().version });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
