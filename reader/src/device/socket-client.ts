/**
 * A host connected to the emulated reader's WebSocket (server.ts): the HID link over it, and
 * the card client on top. For tests, the bench and tools; the extension bridges WebHID instead.
 */
import { FarthingError } from '@farthing/protocol/errors';
import { HidHostLink, type HidHostLinkOptions } from '@farthing/protocol/hid/host-link';
import { PurseCardClient } from '@farthing/protocol/purse/card-client';
import { WebSocket } from 'ws';

export interface ReaderConnection {
  readonly link: HidHostLink;
  readonly card: PurseCardClient;
  close(): Promise<void>;
}

export async function connectReader(
  hidUrl: string,
  options: Omit<HidHostLinkOptions, 'send'> = {},
): Promise<ReaderConnection> {
  const ws = new WebSocket(hidUrl);
  ws.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const link = new HidHostLink({ ...options, send: (report) => ws.send(report) });
  ws.on('message', (data: Buffer) => {
    link.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  ws.on('close', (code, reason) => {
    link.abort(
      new FarthingError('hid_disconnected', `the reader closed the connection: ${code} ${reason}`),
    );
  });
  await link.init();
  return {
    link,
    card: new PurseCardClient((apdu) => link.transmit(apdu)),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
