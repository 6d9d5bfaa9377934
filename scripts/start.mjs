// `npm start`: the local demo. Starts every component that exists on loopback with its data
// under ./data, and says plainly which parts are not built yet.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const has = (folder) => existsSync(new URL(`${folder}/package.json`, root));

const missing = [
  ['demo-shop', 'the demo shop on port 8701'],
  ['extension', 'the wallet extension build, to load unpacked in Chromium'],
].filter(([folder]) => !has(folder));

if (!has('bank')) {
  console.log('Nothing to start yet: the bank (bank/) is not built.');
  process.exit(1);
}

const env = {
  ...process.env,
  FARTHING_DATA_DIR: process.env.FARTHING_DATA_DIR ?? 'data',
  FARTHING_SEED_DEMO: process.env.FARTHING_SEED_DEMO ?? '1',
  FARTHING_LOG_LEVEL: process.env.FARTHING_LOG_LEVEL ?? 'warn',
};
const bank = spawn(process.execPath, ['--import', 'tsx', 'bank/src/cli.ts', 'start'], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});

bank.stdout.on('data', (chunk) => {
  const text = chunk.toString();
  process.stdout.write(text);
  if (text.includes('Farthing bank at')) {
    console.log('\nDemo customer: name "demo", password "demo-password" (EUR 100.00)');
    console.log(`Demo shop merchant API key: ${env.FARTHING_DATA_DIR}/demo-shop.api-key`);
    console.log('Bank API description: <bank URL>/v1/openapi.json');
    if (missing.length > 0) {
      console.log('\nNot built yet, so not started:');
      for (const [folder, what] of missing) console.log(`  - ${`${folder}/`.padEnd(12)} ${what}`);
    }
    console.log('\nCtrl-C stops everything.');
  }
});

const stop = () => bank.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
bank.on('exit', (code) => process.exit(code ?? 0));
