import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hidKeepaliveStatus } from '@farthing/protocol/hid/control';
import {
  encodeHidMessage,
  type HidMessage,
  HidMessageAssembler,
  hidBroadcastChannel,
  hidCommands,
} from '@farthing/protocol/hid/framing';
import { encodePurseCommand, purseInstructions } from '@farthing/protocol/purse/apdu';
import { PurseCardClient } from '@farthing/protocol/purse/card-client';
import { encodePayCommand } from '@farthing/protocol/purse/card-commands';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { manufactureCard, PurseApplet } from '../card/applet.ts';
import { CardStorage } from '../card/storage.ts';
import { makeTestIssuer } from '../test-issuer.ts';
import { ReaderFirmware } from './firmware.ts';

let dir: string;
let firmware: ReaderFirmware;
const received: HidMessage[] = [];
const host = new HidMessageAssembler({ acceptsChannel: () => true });
let chain: Uint8Array[];
let challenge: Uint8Array;

function send(channel: number, command: HidMessage['command'], payload: Uint8Array) {
  for (const report of encodeHidMessage({ channel, command, payload })) firmware.receive(report);
}

async function allocate(): Promise<number> {
  const before = received.length;
  send(hidBroadcastChannel, hidCommands.init, new Uint8Array(8).fill(received.length));
  await vi.waitUntil(() => received.length > before);
  return new DataView(received.at(-1)!.payload.buffer).getUint32(8);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purse-firmware-'));
  const issuer = await makeTestIssuer();
  const storage = new CardStorage(join(dir, 'card.bin'));
  await manufactureCard(storage, { cardId: '0102030405060708' });
  const applet = await PurseApplet.powerOn(storage);
  const direct = new PurseCardClient((apdu) =>
    applet.process(apdu, { confirmPayment: async () => false }),
  );
  const info = await direct.select();
  await direct.personalise({
    certificate: await issuer.certifyCard(info.cardId, info.publicKey),
    issuerRoot: issuer.root,
    issuerLoadKey: issuer.loadSigner.publicKey,
    pin: '1234',
    maximum: { currency: 'EUR', minor: 20000 },
  });
  await direct.load(await issuer.authorizeLoad(info.cardId, 0, { currency: 'EUR', minor: 1000 }));
  received.length = 0;
  firmware = new ReaderFirmware({
    applet,
    keepaliveMs: 10,
    send: (report) => {
      const result = host.push(report, Date.now());
      if (result.status === 'complete') received.push(result.message);
    },
  });
  chain = [issuer.merchantCertificate];
  challenge = await issuer.challenge(100, 1);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const payApdu = () =>
  encodePurseCommand({
    ins: purseInstructions.pay,
    data: encodePayCommand({ challenge, merchantChain: chain }),
  });

describe('reader firmware', () => {
  it('allocates distinct channels and answers PING on each', async () => {
    const a = await allocate();
    const b = await allocate();
    expect(a).not.toBe(b);
    send(b, hidCommands.ping, Uint8Array.of(9));
    expect(received.at(-1)).toMatchObject({ channel: b, command: hidCommands.ping });
  });

  it('keeps another channel out while a payment waits, and only its own channel may cancel', async () => {
    const a = await allocate();
    const b = await allocate();
    send(a, hidCommands.msg, payApdu());
    await vi.waitUntil(() => firmware.waitingForButton);
    await vi.waitUntil(() =>
      received.some(
        (m) =>
          m.channel === a &&
          m.command === hidCommands.keepalive &&
          m.payload[0] === hidKeepaliveStatus.userPresenceNeeded,
      ),
    );
    send(b, hidCommands.ping, Uint8Array.of(1));
    expect(received.at(-1)).toMatchObject({
      channel: b,
      command: hidCommands.error,
      payload: Uint8Array.of(0x06),
    });
    send(b, hidCommands.cancel, new Uint8Array(0));
    expect(firmware.waitingForButton).toBe(true);
    firmware.press('confirm');
    await vi.waitUntil(() =>
      received.some((m) => m.channel === a && m.command === hidCommands.msg),
    );
    const answer = received.find((m) => m.channel === a && m.command === hidCommands.msg)!;
    expect(answer.payload.slice(-2)).toEqual(Uint8Array.of(0x90, 0x00));
    expect(firmware.display[0]).toBe('Paid EUR 1.00');
  });

  it('answers a message left half sent with ERR_MSG_TIMEOUT', async () => {
    const a = await allocate();
    const reports = encodeHidMessage({ channel: a, command: hidCommands.msg, payload: payApdu() });
    firmware.receive(reports[0]!);
    await vi.waitUntil(() => received.at(-1)?.command === hidCommands.error, { timeout: 5000 });
    expect(received.at(-1)).toMatchObject({ channel: a, payload: Uint8Array.of(0x05) });
  });
});
