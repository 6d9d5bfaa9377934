// `npm start`: builds the extension and starts the bank and the demo shop on loopback.
// Until those components exist, it says plainly which are missing instead of pretending.
import { existsSync } from 'node:fs';

const parts = [
  ['bank/', 'the bank server (mint, PayWord broker, certificate authority) on port 8700'],
  ['demo-shop/', 'the demo shop on port 8701'],
  ['extension/', 'the wallet extension build, to load unpacked in Chromium'],
];
const missing = parts.filter(
  ([folder]) => !existsSync(new URL(`../${folder}package.json`, import.meta.url)),
);

if (missing.length > 0) {
  console.log('Farthing cannot start a demo yet. Not built so far:');
  for (const [folder, what] of missing) console.log(`  - ${folder.padEnd(12)} ${what}`);
  console.log('\nWhat exists today is the protocol core (protocol/): run `npm test` for its tests');
  console.log('and `npm run bench` for its benchmarks.');
  process.exit(1);
}
console.log(
  'All components are present, but this start script has not been taught to run them yet.',
);
process.exit(1);
