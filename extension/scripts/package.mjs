/**
 * `npm run package`: the built extension (`extension/dist`, `npm run build -w extension`) as
 * the zip a browser store takes (Chrome Web Store, Edge Add-ons): `manifest.json` at the root
 * of the archive, every other file at its path below it, no dotfiles, entries in a fixed order
 * with a fixed date so the same build gives the same bytes. Prints the zip's path and size and
 * what the manifest asks for (permissions, host permissions, content script matches), which a
 * store shows the user and reviews.
 *
 *   node extension/scripts/package.mjs [--out <file.zip>]   (default: dist/farthing-wallet-<version>.zip)
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';

const root = fileURLToPath(new URL('../../', import.meta.url));
const distDir = join(root, 'extension/dist');
// 1980-01-01, the earliest date a zip entry can carry: no build time leaks into the archive.
const mtime = new Date(1980, 0, 1);

function filesUnder(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue; // .vite/ and the like: build bookkeeping, not the extension
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...filesUnder(path));
    else files.push(path);
  }
  return files;
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(join(distDir, 'manifest.json'), 'utf8'));
  } catch {
    throw new Error('extension/dist has no manifest.json: run `npm run build -w extension` first');
  }
}

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const manifest = readManifest();
const out = values.out ?? join(root, 'dist', `farthing-wallet-${manifest.version}.zip`);

const entries = {};
for (const file of filesUnder(distDir)) {
  const name = relative(distDir, file).split(sep).join('/');
  entries[name] = [new Uint8Array(readFileSync(file)), { mtime }];
}
const zip = zipSync(entries, { level: 9 });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip);

const list = (values) => (values && values.length > 0 ? values.join(', ') : 'none');
const matches = (manifest.content_scripts ?? []).flatMap((script) => script.matches ?? []);
console.log(`packaged ${relative(process.cwd(), out) || out}`);
console.log(
  `size: ${zip.length} bytes (${(zip.length / 1024).toFixed(1)} KiB), ${Object.keys(entries).length} files`,
);
console.log(`permissions: ${list(manifest.permissions)}`);
console.log(`optional permissions: ${list(manifest.optional_permissions)}`);
console.log(`host permissions: ${list(manifest.host_permissions)}`);
console.log(`content scripts on: ${list([...new Set(matches)])}`);
