/**
 * `npm run reader`: the emulated purse reader, by hand. Serves the report stream and the
 * control API on loopback (device/server.ts), shows the reader's display in the terminal, and
 * takes the buttons from the keyboard: y or Enter = confirm, n or Esc = cancel, q = quit.
 *
 *   READER_PORT   port (default 8702)
 *   READER_CARD   the card's state file (default .reader/card.bin); a new blank card is made
 *                 there if it does not exist, and the bank personalises it (README "Reader")
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { manufactureCard, PurseApplet } from './card/applet.ts';
import { CardStorage } from './card/storage.ts';
import { startReaderServer } from './device/server.ts';

const port = Number(process.env.READER_PORT ?? 8702);
const path = resolve(process.env.READER_CARD ?? '.reader/card.bin');

await mkdir(dirname(path), { recursive: true, mode: 0o700 });
const storage = new CardStorage(path);
await manufactureCard(storage);
const applet = await PurseApplet.powerOn(storage);

function draw(lines: readonly string[]): void {
  const width = Math.max(20, ...lines.map((line) => line.length));
  const border = `+${'-'.repeat(width + 2)}+`;
  process.stdout.write(
    `\n${border}\n${lines.map((line) => `| ${line.padEnd(width)} |`).join('\n')}\n${border}\n`,
  );
}

const server = await startReaderServer({ applet, port, onDisplay: draw });
process.stdout.write(
  [
    `Farthing purse reader (emulated), card ${applet.cardId} in ${path}`,
    `  HID reports  ${server.hidUrl}`,
    `  control API  ${server.controlUrl}/display, ${server.controlUrl}/press`,
    '  keys: y/Enter confirm, n/Esc cancel, q quit',
  ].join('\n'),
);

async function quit(): Promise<void> {
  await server.close();
  process.exit(0);
}

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (data: Buffer) => {
  for (const key of data.toString('utf8')) {
    if (key === 'y' || key === '\r') server.firmware.press('confirm');
    else if (key === 'n' || key === '\u001b') server.firmware.press('cancel');
    else if (key === 'q' || key === '\u0003') void quit();
  }
});
process.on('SIGTERM', () => void quit());
