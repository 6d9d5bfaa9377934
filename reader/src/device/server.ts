/**
 * The emulated reader as a device (DESIGN.md "Hardware purse"; like Ledger's Speculos): the
 * 64-byte report stream on a loopback WebSocket, one client at a time, and a control API for
 * what a person would do with the reader in hand.
 *
 *   ws://127.0.0.1:<port>/hid          each binary WebSocket message is exactly one report,
 *                                      either way; a second client is closed with 1013
 *                                      (try again later) while one is connected
 *   GET  /control/display              { lines: string[], waitingForButton: boolean }
 *   POST /control/press                { "button": "confirm" | "cancel" } → the display after
 *   GET  /control/card                 { cardId, state, balance?, sno?, loadCounter? }
 *
 * Loopback only: the control API presses the buttons, so it must never face a network. Any
 * local program can press them, as with any emulator; the real reader's buttons are physical.
 * Web pages cannot: a request or WebSocket upgrade that carries an `Origin` header (browsers
 * always send one on a POST, a fetch with a body and a WebSocket; the wallet's bridge and Node
 * clients send none) is refused with 403, a `Host` other than a loopback name (DNS rebinding)
 * too, and a press must be `application/json` (a body no page can send without a preflight).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAmount } from '@farthing/protocol/amount';
import { hidReportLength } from '@farthing/protocol/hid/framing';
import { type WebSocket, WebSocketServer } from 'ws';
import type { PurseApplet } from '../card/applet.ts';
import { type ReaderButton, ReaderFirmware, readerButtons } from './firmware.ts';

export interface ReaderServerOptions {
  readonly applet: PurseApplet;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly keepaliveMs?: number;
  readonly confirmTimeoutMs?: number;
  readonly onDisplay?: (lines: readonly string[]) => void;
}

export interface ReaderServer {
  readonly port: number;
  /** ws://127.0.0.1:<port>/hid */
  readonly hidUrl: string;
  /** http://127.0.0.1:<port>/control */
  readonly controlUrl: string;
  readonly firmware: ReaderFirmware;
  close(): Promise<void>;
}

const maxControlBody = 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxControlBody) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseButton(text: string | undefined): ReaderButton | undefined {
  try {
    const body = JSON.parse(text ?? '') as unknown;
    const button = (body as { button?: unknown } | null)?.button;
    return readerButtons.find((name) => name === button);
  } catch {
    return undefined;
  }
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a request may not reach the reader, or undefined when it comes from a local program. */
function refusal(req: IncomingMessage): string | undefined {
  if (req.headers.origin !== undefined) return 'the reader does not answer web pages';
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  if (!loopbackHosts.has(name ?? '')) return 'the reader answers loopback names only';
  return undefined;
}

export async function startReaderServer(options: ReaderServerOptions): Promise<ReaderServer> {
  let client: WebSocket | undefined;
  const firmware = new ReaderFirmware({
    applet: options.applet,
    send: (report) => client?.send(report, { binary: true }),
    ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
    ...(options.confirmTimeoutMs === undefined
      ? {}
      : { confirmTimeoutMs: options.confirmTimeoutMs }),
    ...(options.onDisplay === undefined ? {} : { onDisplay: options.onDisplay }),
  });

  const control = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req);
    if (refused !== undefined) return json(res, 403, { code: 'forbidden', detail: refused });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/control/display') {
      return json(res, 200, {
        lines: firmware.display,
        waitingForButton: firmware.waitingForButton,
      });
    }
    if (req.method === 'POST' && url.pathname === '/control/press') {
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        return json(res, 415, {
          code: 'unsupported_media_type',
          detail: 'send the button as application/json',
        });
      }
      const button = parseButton(await readSmallBody(req));
      if (button === undefined) {
        return json(res, 400, {
          code: 'invalid_message',
          detail: 'send {"button":"confirm"} or {"button":"cancel"}',
        });
      }
      firmware.press(button);
      return json(res, 200, {
        lines: firmware.display,
        waitingForButton: firmware.waitingForButton,
      });
    }
    if (req.method === 'GET' && url.pathname === '/control/card') {
      const { cardId, purse } = options.applet.record;
      return json(res, 200, {
        cardId,
        state: options.applet.info().state,
        ...(purse === undefined
          ? {}
          : {
              balance: formatAmount(purse.balance),
              sno: purse.sno,
              loadCounter: purse.loadCounter,
            }),
      });
    }
    return json(res, 404, { code: 'not_found' });
  };

  const http = createServer((req, res) => {
    control(req, res).catch(() => json(res, 500, { code: 'internal' }));
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: hidReportLength });
  http.on('upgrade', (req, socket, head) => {
    if (
      refusal(req) !== undefined ||
      new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/hid'
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      if (client !== undefined) {
        ws.close(1013, 'the reader is in use by another client');
        return;
      }
      client = ws;
      firmware.reset();
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          ws.close(1003, 'reports are binary');
          return;
        }
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        firmware.receive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      });
      ws.on('close', () => {
        if (client === ws) {
          client = undefined;
          firmware.reset();
        }
      });
    });
  });

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    port,
    hidUrl: `ws://127.0.0.1:${port}/hid`,
    controlUrl: `http://127.0.0.1:${port}/control`,
    firmware,
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      firmware.reset();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
