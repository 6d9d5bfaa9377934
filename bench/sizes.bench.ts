/**
 * What a merchant's page downloads (issue 22): the browser part of the SDK as the single-file
 * `<script>` build (`merchant-sdk/dist/browser/farthing.js`, target ≤ 10 KB gzipped) and as the
 * ESM build a bundler imports (`@farthing/merchant-sdk/browser`). Sizes of the files
 * `npm run build -w merchant-sdk` writes (built here first when missing), gzipped at level 9
 * as a server or CDN would send them; a size does not vary, so there is one round.
 *
 * Run alone: npx tsx bench/run.ts sizes
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

type Metrics = Record<string, { value: number; unit: string }>;

const browserDir = fileURLToPath(new URL('../merchant-sdk/dist/browser/', import.meta.url));
const files = {
  script: `${browserDir}farthing.js`,
  esm: `${browserDir}merchant-page.js`,
};

function sizes(path: string): { bytes: number; gzip: number } {
  const content = readFileSync(path);
  return { bytes: content.length, gzip: gzipSync(content, { level: 9 }).length };
}

export async function run(): Promise<Metrics> {
  if (!existsSync(files.script) || !existsSync(files.esm)) {
    execFileSync('npm', ['run', 'build', '-w', 'merchant-sdk'], { stdio: 'ignore' });
  }
  const script = sizes(files.script);
  const esm = sizes(files.esm);
  return {
    'merchant.browser_script_gzip_bytes': { value: script.gzip, unit: 'B' },
    'merchant.browser_script_bytes': { value: script.bytes, unit: 'B' },
    'merchant.browser_esm_gzip_bytes': { value: esm.gzip, unit: 'B' },
    'merchant.browser_esm_bytes': { value: esm.bytes, unit: 'B' },
  };
}
