// `npm start`: the local demo. Starts the bank, waits until it answers, then starts the demo
// shop against it, both on loopback with their data under one folder (./data), and prints
// where everything is, with the bank's fingerprints to compare when the wallet adds the bank.
// Parts not built yet are named plainly instead of started.
// Ctrl-C (or SIGTERM) stops the shop first, then the bank, and waits for both.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const has = (folder) => existsSync(new URL(`../${folder}/package.json`, import.meta.url));

if (!has('bank')) {
  console.log('Nothing to start yet: the bank (bank/) is not built.');
  process.exit(1);
}

const dataDir = process.env.FARTHING_DATA_DIR ?? 'data';
const env = {
  ...process.env,
  FARTHING_DATA_DIR: dataDir,
  FARTHING_SEED_DEMO: process.env.FARTHING_SEED_DEMO ?? '1',
  FARTHING_LOG_LEVEL: process.env.FARTHING_LOG_LEVEL ?? 'warn',
  // The demo runs on loopback: the bank certifies the shop's http://localhost origin, proven
  // by the challenge the shop answers (README "Merchant origins").
  FARTHING_BANK_DEV_MODE: process.env.FARTHING_BANK_DEV_MODE ?? '1',
};

/** Children still running, newest first: stopped in that order. */
const children = [];
let stopping = false;

/**
 * Starts `node --import tsx <script>` and resolves with the first match of `ready` in its
 * output; everything it prints is passed through. Rejects if it exits before.
 */
function start(name, args, childEnv, ready) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.unshift({ name, child });
  child.on('exit', (code, signal) => {
    const index = children.findIndex((entry) => entry.child === child);
    if (index !== -1) children.splice(index, 1);
    if (!stopping) {
      console.error(`\nThe ${name} stopped (${signal ?? `exit code ${code}`}); stopping the demo.`);
      stopAll(code === 0 || code === null ? 1 : code);
    }
  });
  return new Promise((resolveReady, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      const text = chunk.toString();
      process.stdout.write(text);
      seen = (seen + text).slice(-4_000);
      const match = ready.exec(seen);
      if (match) resolveReady(match);
    });
    child.once('exit', () => reject(new Error(`the ${name} exited before it was ready`)));
  });
}

function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const next = () => {
    const entry = children[0];
    if (entry === undefined) process.exit(exitCode);
    entry.child.once('exit', next);
    entry.child.kill('SIGTERM');
  };
  next();
}

// Ctrl-C reaches the children too (same process group); they shut down on their own, and
// this waits for them in order rather than leaving them behind.
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/**
 * Builds the wallet extension (vite) before anything starts, so the folder printed at the end
 * is current. A failed build is reported; the bank and shop still start.
 */
function buildExtension() {
  if (!has('extension')) return Promise.resolve(undefined);
  console.log('Building the wallet extension…');
  return new Promise((resolveBuild) => {
    const build = spawn('npm', ['run', '--silent', 'build', '-w', 'extension'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    build.on('error', (error) => {
      console.error(`The extension build could not run: ${error.message}`);
      resolveBuild(undefined);
    });
    build.on('exit', (code) => {
      if (code !== 0) console.error(`The extension build failed (exit code ${code}).`);
      resolveBuild(code === 0 ? resolve(root, 'extension/dist') : undefined);
    });
  });
}

/**
 * The bank's name and key fingerprints as it publishes them (`GET /v1/bank`), as lines to print:
 * the wallet shows the same three when the user adds the bank and asks them to compare.
 */
async function bankFingerprints(bankUrl) {
  try {
    const response = await fetch(`${bankUrl}/v1/bank`, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const identity = await response.json();
    return {
      name: identity.name,
      lines: [
        ['The bank’s certificate', identity.fingerprints.certificate],
        ['The key that signs its coins', identity.fingerprints.coinKey],
        ['The key that signs PayWord credit', identity.fingerprints.paywordKey],
      ],
    };
  } catch (error) {
    return { name: undefined, lines: [['Fingerprints', `not available (${error.message})`]] };
  }
}

try {
  const extensionDir = await buildExtension();
  const [, bankUrl] = await start(
    'bank',
    ['bank/src/cli.ts', 'start'],
    env,
    /Farthing bank at (\S+)/,
  );
  const lines = [];
  if (has('demo-shop')) {
    const [, shopUrl, dashboard] = await start(
      'demo shop',
      ['demo-shop/src/cli.ts'],
      { ...env, FARTHING_BANK_URL: bankUrl },
      /The Farthing Gazette at (\S+)\nMerchant dashboard: (.+)\n/,
    );
    lines.push(['Demo shop', `${shopUrl}   (The Farthing Gazette)`]);
    lines.push(['Dashboard', dashboard]);
  } else {
    lines.push(['Demo shop', 'not built yet (demo-shop/)']);
  }
  const bank = await bankFingerprints(bankUrl);
  lines.push([
    'Bank',
    `${bankUrl}   (${bank.name ?? 'the bank'}; API description: ${bankUrl}/v1/openapi.json)`,
  ]);
  lines.push([
    'Demo login',
    'name "demo", password "demo-password" (EUR 100.00 when first seeded)',
  ]);
  const demoCard = resolve(root, dataDir, 'demo-card.txt');
  if (existsSync(demoCard)) {
    lines.push(['Demo card', `${readFileSync(demoCard, 'utf8').trim()} (SET card payments)`]);
  }
  lines.push(['Data folder', `${resolve(root, dataDir)} (SQLite files and keys)`]);
  lines.push([
    'Extension',
    extensionDir === undefined
      ? 'not built (see the build output above)'
      : `${extensionDir}   (chrome://extensions → Developer mode → Load unpacked)`,
  ]);
  console.log('\nFarthing demo is running.\n');
  for (const [label, value] of lines) console.log(`  ${label.padEnd(12)} ${value}`);
  console.log(
    `\nWhen the wallet adds the bank, check that it shows these fingerprints (also at ${bankUrl}/fingerprints):\n`,
  );
  for (const [label, value] of bank.lines) console.log(`  ${label}\n    ${value}`);
  console.log('\nCtrl-C stops everything.');
} catch (error) {
  if (!stopping) {
    console.error(`\nThe demo could not start: ${error.message}`);
    stopAll(1);
  }
}
