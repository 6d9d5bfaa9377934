import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { hidKeepaliveStatus } from '@farthing/protocol/hid/control';
import { encodeHidMessage, hidCommands } from '@farthing/protocol/hid/framing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { manufactureCard, PurseApplet } from '../card/applet.ts';
import { CardStorage } from '../card/storage.ts';
import { makeTestIssuer, type TestIssuer } from '../test-issuer.ts';
import { pressReaderButton, readerDisplay } from './control-client.ts';
import { type ReaderServer, startReaderServer } from './server.ts';
import { connectReader, type ReaderConnection } from './socket-client.ts';

const eur = (minor: number) => amount('EUR', minor);
const cardId = 'aabbccddeeff0011';

let dir: string;
let issuer: TestIssuer;
let server: ReaderServer;
let reader: ReaderConnection;
const keepalives: number[] = [];

function control(_path: 'display' | 'press', body?: { button: 'confirm' | 'cancel' }) {
  return body === undefined
    ? readerDisplay(server.controlUrl)
    : pressReaderButton(server.controlUrl, body.button);
}

async function pressWhenAsked(button: 'confirm' | 'cancel') {
  await vi.waitUntil(async () => (await control('display')).waitingForButton, {
    timeout: 5000,
    interval: 5,
  });
  return control('press', { button });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purse-reader-'));
  issuer = await makeTestIssuer();
  const storage = new CardStorage(join(dir, 'card.bin'));
  await manufactureCard(storage, { cardId });
  server = await startReaderServer({ applet: await PurseApplet.powerOn(storage), keepaliveMs: 20 });
  keepalives.length = 0;
  reader = await connectReader(server.hidUrl, { onKeepalive: (status) => keepalives.push(status) });
  const info = await reader.card.select();
  await reader.card.personalise({
    certificate: await issuer.certifyCard(cardId, info.publicKey),
    issuerRoot: issuer.root,
    issuerLoadKey: issuer.loadSigner.publicKey,
    pin: '1234',
    maximum: eur(20000),
  });
  await reader.card.verifyPin('1234');
  await reader.card.load(await issuer.authorizeLoad(cardId, 0, eur(2000)));
});

afterEach(async () => {
  await reader.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('emulated reader over its WebSocket', () => {
  it('pays after the confirm button, showing amount and payee, with keepalives while waiting', async () => {
    const paying = reader.card.pay(await issuer.challenge(250, 1), [issuer.merchantCertificate]);
    const asked = await vi.waitUntil(async () => {
      const display = await control('display');
      return display.waitingForButton ? display : undefined;
    });
    expect(asked.lines.slice(0, 2)).toEqual(['Pay EUR 2.50', 'to Demo Shop']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await control('press', { button: 'confirm' });
    const { proof } = await paying;
    expect(proof).toMatchObject({ cardId, sno: 1, tno: 1, amount: eur(250) });
    expect(keepalives).toContain(hidKeepaliveStatus.userPresenceNeeded);
    expect((await control('display')).lines).toEqual([
      'Paid EUR 2.50',
      'to demo-shop',
      'Balance EUR 17.50',
    ]);
  });

  it('refuses the payment when cancel is pressed on the reader or the host sends CANCEL', async () => {
    const first = reader.card.pay(await issuer.challenge(100, 2), [issuer.merchantCertificate]);
    // The card may refuse before the press call returns: handled below, not unhandled meanwhile.
    first.catch(() => undefined);
    await pressWhenAsked('cancel');
    await expect(first).rejects.toMatchObject({ code: 'purse_cancelled' });
    const second = reader.card.pay(await issuer.challenge(100, 3), [issuer.merchantCertificate]);
    await vi.waitUntil(async () => (await control('display')).waitingForButton);
    reader.link.cancel();
    await expect(second).rejects.toMatchObject({ code: 'purse_cancelled' });
    expect((await reader.card.balance()).balance).toEqual(eur(2000));
  });

  it('cancels a payment whose host went away, and the next host is not answered with it', async () => {
    const paying = reader.card.pay(await issuer.challenge(100, 4), [issuer.merchantCertificate]);
    paying.catch(() => undefined);
    await vi.waitUntil(async () => (await control('display')).waitingForButton);
    await reader.close();
    await expect(paying).rejects.toMatchObject({ code: 'hid_disconnected' });
    await vi.waitUntil(async () => !(await control('display')).waitingForButton);
    reader = await connectReader(server.hidUrl);
    expect((await reader.card.balance()).balance).toEqual(eur(2000));
    expect(await reader.link.ping(Uint8Array.of(7))).toEqual(Uint8Array.of(7));
  });

  it('serves one client at a time', async () => {
    const second = new WebSocket(server.hidUrl);
    const closed = await new Promise<number>((resolve) =>
      second.on('close', (code) => resolve(code)),
    );
    expect(closed).toBe(1013);
    expect(await reader.link.ping(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('answers an unallocated channel with an ERROR the host reads as hid_invalid_channel', async () => {
    await reader.close();
    const raw = new WebSocket(server.hidUrl);
    await new Promise((resolve) => raw.on('open', resolve));
    const answer = new Promise<Buffer>((resolve) =>
      raw.on('message', (data: Buffer) => resolve(data)),
    );
    for (const report of encodeHidMessage({
      channel: 0x55,
      command: hidCommands.msg,
      payload: Uint8Array.of(0),
    })) {
      raw.send(report);
    }
    const report = await answer;
    expect(report.readUInt32BE(0)).toBe(0x55);
    expect(report[4]).toBe(hidCommands.error);
    expect(report[7]).toBe(0x0b);
    await new Promise((resolve) => {
      raw.on('close', resolve);
      raw.close();
    });
    await vi.waitUntil(async () => {
      try {
        reader = await connectReader(server.hidUrl);
        return true;
      } catch {
        return false;
      }
    });
  });

  it('works as a balance reader with no host: confirm shows the balance, cancel the log', async () => {
    expect((await control('press', { button: 'confirm' })).lines[1]).toBe('EUR 20.00');
    expect((await control('press', { button: 'cancel' })).lines).toEqual([
      'Log 1/1',
      '+EUR 20.00 load 0',
    ]);
  });

  it('answers no web page: a request or WebSocket with an Origin, a foreign Host, a press not in JSON', async () => {
    const press = (headers: Record<string, string>) =>
      fetch(`${server.controlUrl}/press`, {
        method: 'POST',
        headers,
        body: '{"button":"confirm"}',
      });
    // What a page can send without a preflight: text/plain, with the Origin browsers add.
    const fromPage = await press({ 'content-type': 'text/plain', origin: 'https://shop.example' });
    expect(fromPage.status).toBe(403);
    expect(((await fromPage.json()) as { code: string }).code).toBe('forbidden');
    expect((await press({ 'content-type': 'text/plain' })).status).toBe(415);
    // DNS rebinding: the page's own name pointed at loopback, so no Origin is needed.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${server.controlUrl}/display`,
        { headers: { host: 'rebound.example:80' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
    const socket = new WebSocket(server.hidUrl, { origin: 'https://shop.example' });
    const refused = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => resolve(-1));
    });
    expect(refused).toBe(403);
    // None of it pressed anything: the reader still waits for nothing and shows its idle text.
    expect((await control('display')).waitingForButton).toBe(false);
  });
});
