import { amount } from '@farthing/protocol/amount';
import { encodeHidInitResponse, hidProtocolVersion } from '@farthing/protocol/hid/control';
import {
  encodeHidMessage,
  type HidMessage,
  HidMessageAssembler,
  hidBroadcastChannel,
  hidCommands,
  hidUsage,
  hidUsagePage,
} from '@farthing/protocol/hid/framing';
import { encodePurseResponse, statusOk } from '@farthing/protocol/purse/apdu';
import { balances } from '@farthing/protocol/purse/card-commands';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HidDeviceLike,
  type HidLike,
  type ReaderLinkState,
  ReaderTransport,
} from './hid-transport.ts';

const channel = 7;

function fire(target: EventTarget, type: string, fields: Record<string, unknown>): void {
  const event = new Event(type);
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value });
  target.dispatchEvent(event);
}

/**
 * A reader on the far side of `sendReport`, speaking protocol's framing: answers INIT, and each
 * MSG with `answer` (after `keepalives` KEEPALIVEs), as the emulated reader's firmware does.
 */
class FakeReader extends EventTarget implements HidDeviceLike {
  readonly vendorId = 0x1209;
  readonly productId = 0xf46d;
  readonly productName = 'fake reader';
  readonly collections = [{ usagePage: hidUsagePage, usage: hidUsage }];
  opened = false;
  gone = false;
  readonly reports: { reportId: number; length: number; command: number }[] = [];
  readonly received: HidMessage[] = [];
  answer: Uint8Array | undefined = encodePurseResponse(
    balances.encode({ balance: amount('EUR', 1234), maximum: amount('EUR', 20000) }),
    statusOk,
  );
  keepalives = 0;
  readonly #assembler = new HidMessageAssembler({ acceptsChannel: () => true });

  async open() {
    this.opened = true;
  }
  async close() {
    this.opened = false;
  }
  async sendReport(reportId: number, data: BufferSource) {
    if (!this.opened || this.gone) throw new DOMException('closed', 'InvalidStateError');
    const bytes = new Uint8Array(data as ArrayBuffer);
    this.reports.push({ reportId, length: bytes.length, command: bytes[4]! });
    if (bytes.length !== 64)
      throw new DOMException('Failed to write the report.', 'NotAllowedError');
    const result = this.#assembler.push(bytes, Date.now());
    if (result.status === 'complete') queueMicrotask(() => this.#handle(result.message));
  }
  #reply(command: number, payload: Uint8Array, to = channel) {
    for (const report of encodeHidMessage({ channel: to, command: command as never, payload })) {
      fire(this, 'inputreport', { device: this, reportId: 0, data: new DataView(report.buffer) });
    }
  }
  #handle(message: HidMessage) {
    this.received.push(message);
    if (message.command === hidCommands.init) {
      this.#reply(
        hidCommands.init,
        encodeHidInitResponse({
          nonce: message.payload,
          channel,
          protocolVersion: hidProtocolVersion,
          deviceVersion: [1, 0, 0],
          capabilities: 0,
        }),
        hidBroadcastChannel,
      );
    } else if (message.command === hidCommands.msg) {
      for (let i = 0; i < this.keepalives; i++)
        this.#reply(hidCommands.keepalive, Uint8Array.of(2));
      if (this.answer !== undefined) this.#reply(hidCommands.msg, this.answer);
    }
  }
}

class FakeHid extends EventTarget implements HidLike {
  devices: HidDeviceLike[] = [];
  async getDevices() {
    return this.devices;
  }
  async requestDevice() {
    return this.devices;
  }
  unplug(device: FakeReader) {
    device.gone = true;
    this.devices = [];
    fire(this, 'disconnect', { device });
  }
  plug(device: FakeReader) {
    this.devices = [device];
    fire(this, 'connect', { device });
  }
}

const open: ReaderTransport[] = [];
afterEach(async () => {
  for (const transport of open.splice(0)) await transport.close();
});

function transportOf(hid: FakeHid, options: ConstructorParameters<typeof ReaderTransport>[1] = {}) {
  const transport = new ReaderTransport(hid, options);
  open.push(transport);
  return transport;
}

describe('the WebHID transport', () => {
  it('opens the reader, allocates a channel and exchanges a command in 64-byte reports', async () => {
    const hid = new FakeHid();
    const reader = new FakeReader();
    hid.devices = [reader];
    const transport = transportOf(hid);
    await transport.connect();
    expect(reader.opened).toBe(true);
    const { balance } = await transport.card().balance();
    expect(balance).toEqual(amount('EUR', 1234));
    expect(reader.reports.every((r) => r.reportId === 0 && r.length === 64)).toBe(true);
    expect(reader.received.map((m) => m.command)).toEqual([hidCommands.init, hidCommands.msg]);
    expect(reader.received[1]!.channel).toBe(channel);
  });

  it('reports KEEPALIVE as the reader waiting for its button, and sends CANCEL on its channel', async () => {
    const hid = new FakeHid();
    const reader = new FakeReader();
    reader.keepalives = 2;
    hid.devices = [reader];
    const states: ReaderLinkState[] = [];
    const transport = transportOf(hid, { onState: (state) => states.push(state) });
    await transport.connect();
    await transport.card().balance();
    expect(states).toContain('waiting_for_button');
    transport.cancel();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reader.received.at(-1)).toMatchObject({ command: hidCommands.cancel, channel });
  });

  it('gives up with hid_timeout when the reader falls silent', async () => {
    const hid = new FakeHid();
    const reader = new FakeReader();
    hid.devices = [reader];
    const transport = transportOf(hid, { timeoutMs: 50 });
    await transport.connect();
    reader.answer = undefined;
    await expect(transport.card().balance()).rejects.toMatchObject({ code: 'hid_timeout' });
  });

  it('waits for the reader to be plugged in, and refuses one that does not come', async () => {
    const hid = new FakeHid();
    await expect(transportOf(hid).connect(30)).rejects.toMatchObject({ code: 'hid_disconnected' });
    const transport = transportOf(hid);
    const connecting = transport.connect(5_000);
    hid.plug(new FakeReader());
    await connecting;
    expect((await transport.card().balance()).maximum).toEqual(amount('EUR', 20000));
  });

  it('runs the work again on the reader that comes back when it is unplugged mid-exchange', async () => {
    const hid = new FakeHid();
    const first = new FakeReader();
    first.answer = undefined; // it is pulled before it answers
    hid.devices = [first];
    const states: ReaderLinkState[] = [];
    const transport = transportOf(hid, { onState: (state) => states.push(state) });
    let runs = 0;
    const working = transport.withReconnect(5_000, async (card) => {
      runs += 1;
      if (runs === 1) setTimeout(() => hid.unplug(first), 10);
      return card.balance();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(states.at(-1)).toBe('disconnected');
    const second = new FakeReader();
    hid.plug(second);
    expect((await working).balance).toEqual(amount('EUR', 1234));
    expect(runs).toBe(2);
    expect(second.opened).toBe(true);
  });

  it('is not fooled by a device of another usage page', async () => {
    const hid = new FakeHid();
    const other = new FakeReader();
    Object.defineProperty(other, 'collections', { value: [{ usagePage: 0xf1d0, usage: 1 }] });
    hid.devices = [other];
    await expect(transportOf(hid).connect()).rejects.toMatchObject({ code: 'hid_disconnected' });
  });
});
