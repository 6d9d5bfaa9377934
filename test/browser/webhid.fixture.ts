/**
 * An emulated `navigator.hid` for the wallet's extension pages in the browser tests (issue 17):
 * there is no HID device on these machines (no `/dev/uhid`), so this stands in for Chromium's
 * WebHID and carries the same 64-byte reports to the emulated reader's loopback WebSocket
 * (reader/src/device/server.ts). Only `navigator.hid` is replaced, and only in the pages given
 * to `attach` (the wallet's own); the wallet's transport, framing and pay flow run unchanged.
 *
 * Like a real device it refuses what Chromium refuses: a report of another size than the
 * device's 64 bytes or with a report id it does not have, a report to a device not opened or
 * unplugged, `requestDevice()` without a user gesture. It does not model Chromium's HID
 * service, the OS driver, USB, or the chooser's UI (README "Hardware purse" says what is left
 * untested).
 *
 * Pages reach Node through one exposed function (so the extension's CSP, which allows no
 * ws: connections, is not loosened); input reports go to every page that opened the device,
 * as HID input reports go to every open handle, and each host keeps to its own channel.
 */
import type { Page } from 'puppeteer-core';
import { WebSocket } from 'ws';

/** The emulated reader as the chooser lists it. */
export const emulatedReader = {
  vendorId: 0x1209,
  productId: 0xf46d,
  productName: 'Farthing purse reader (emulated)',
} as const;

interface PageLink {
  readonly page: Page;
  opened: boolean;
}

/** Installed in each page before its scripts run. */
function shim(reader: typeof emulatedReader): void {
  type Host = (op: string, arg?: unknown) => Promise<unknown>;
  const w = window as unknown as Record<string, unknown>;
  const host = (op: string, arg?: unknown) => (w.__farthingHidHost as Host)(op, arg);
  const collections = [
    {
      usagePage: 0xff46,
      usage: 1,
      type: 1,
      children: [],
      inputReports: [{ reportId: 0, items: [] }],
      outputReports: [{ reportId: 0, items: [] }],
      featureReports: [],
    },
  ];
  class EmulatedHidDevice extends EventTarget {
    readonly vendorId = reader.vendorId;
    readonly productId = reader.productId;
    readonly productName = reader.productName;
    readonly collections = collections;
    opened = false;
    gone = false;
    oninputreport: ((event: Event) => void) | null = null;
    async open(): Promise<void> {
      if (this.gone) throw new DOMException('Failed to open the device.', 'NotFoundError');
      if (this.opened) throw new DOMException('The device is already open.', 'InvalidStateError');
      await host('open');
      this.opened = true;
    }
    async close(): Promise<void> {
      if (!this.opened) return;
      this.opened = false;
      await host('close');
    }
    async forget(): Promise<void> {
      await this.close();
      await host('forget');
    }
    async sendReport(reportId: number, data: BufferSource): Promise<void> {
      if (!this.opened || this.gone) {
        throw new DOMException('The device must be opened first.', 'InvalidStateError');
      }
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      // The device has one output report, without an id, of 64 bytes.
      if (reportId !== 0 || bytes.length !== 64) {
        throw new DOMException('Failed to write the report.', 'NotAllowedError');
      }
      if ((await host('send', Array.from(bytes))) !== true) {
        throw new DOMException('Failed to write the report.', 'NetworkError');
      }
    }
    async sendFeatureReport(): Promise<void> {
      throw new DOMException('Failed to write the feature report.', 'NotAllowedError');
    }
    async receiveFeatureReport(): Promise<DataView> {
      throw new DOMException('Failed to receive the feature report.', 'NotAllowedError');
    }
  }
  let device: EmulatedHidDevice | undefined;
  const hid = new EventTarget() as EventTarget & Record<string, unknown>;
  const current = async () => {
    const state = (await host('state')) as { granted: boolean; plugged: boolean };
    if (!state.plugged) return undefined;
    device ??= new EmulatedHidDevice();
    return state.granted ? device : undefined;
  };
  hid.getDevices = async () => {
    const d = await current();
    return d === undefined ? [] : [d];
  };
  hid.requestDevice = async (options: { filters?: { usagePage?: number }[] }) => {
    if (!navigator.userActivation.isActive) {
      throw new DOMException(
        'Must be handling a user gesture to show a permission request.',
        'SecurityError',
      );
    }
    const wanted = (options?.filters ?? []).some((f) => f.usagePage === 0xff46);
    const state = (await host('state')) as { plugged: boolean };
    if (!wanted || !state.plugged) return [];
    await host('grant');
    return [await current()];
  };
  Object.defineProperty(Navigator.prototype, 'hid', { get: () => hid, configurable: true });
  const fire = (target: EventTarget, type: string, fields: Record<string, unknown>) => {
    const event = new Event(type);
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(event, key, { value });
    }
    target.dispatchEvent(event);
    return event;
  };
  w.__farthingHidDeliver = (bytes: number[]) => {
    if (device === undefined || !device.opened) return;
    const data = new DataView(new Uint8Array(bytes).buffer);
    const event = fire(device, 'inputreport', { device, reportId: 0, data });
    device.oninputreport?.(event);
  };
  w.__farthingHidPlug = (plugged: boolean) => {
    if (plugged) {
      device = new EmulatedHidDevice();
      fire(hid, 'connect', { device });
    } else if (device !== undefined) {
      const gone = device;
      gone.gone = true;
      gone.opened = false;
      device = undefined;
      fire(hid, 'disconnect', { device: gone });
    }
  };
}

export interface EmulatedHid {
  /** Gives `page` the emulated `navigator.hid` from its next document on. */
  attach(page: Page): Promise<void>;
  /** The device goes away (as if unplugged): the reader's socket closes, pages get `disconnect`. */
  unplug(): Promise<void>;
  /** Unplugs as soon as the reader answers a command, dropping that answer. */
  unplugOnNextAnswer(): void;
  /** The device comes back: a new socket to the reader, pages get `connect`. */
  replug(): Promise<void>;
  /** Reports the pages sent, and those the reader sent (64 bytes each, as arrays). */
  readonly sent: number;
  readonly received: number;
  close(): Promise<void>;
}

/** The emulated `navigator.hid` bridged to the reader at `hidUrl` (ws://127.0.0.1:…/hid). */
export async function emulatedHid(hidUrl: string): Promise<EmulatedHid> {
  const pages = new Set<PageLink>();
  let granted = false;
  let socket: WebSocket | undefined;
  let dropNextAnswer = false;
  let sent = 0;
  let received = 0;

  const plugIn = async () => {
    const ws = new WebSocket(hidUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let pulled = false;
    ws.on('message', (data: Buffer) => {
      const bytes = [...data];
      // CTAPHID init packet of a MSG answer (command 0x83): the card has answered. The device
      // is pulled now: this report and every one after it on this socket are lost.
      if (dropNextAnswer && bytes[4] === 0x83) {
        dropNextAnswer = false;
        pulled = true;
        void unplug();
      }
      if (pulled) return;
      received += 1;
      for (const link of pages) {
        if (link.opened) {
          void link.page
            .evaluate((report) => {
              const w = window as unknown as { __farthingHidDeliver?: (r: number[]) => void };
              w.__farthingHidDeliver?.(report);
            }, bytes)
            .catch(() => undefined);
        }
      }
    });
    socket = ws;
  };

  const unplug = async () => {
    const ws = socket;
    socket = undefined;
    if (ws !== undefined) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    }
    for (const link of pages) {
      link.opened = false;
      await link.page
        .evaluate(() => {
          const w = window as unknown as { __farthingHidPlug?: (p: boolean) => void };
          w.__farthingHidPlug?.(false);
        })
        .catch(() => undefined);
    }
  };

  await plugIn();
  return {
    async attach(page) {
      const link: PageLink = { page, opened: false };
      pages.add(link);
      page.once('close', () => pages.delete(link));
      await page.exposeFunction('__farthingHidHost', async (op: string, arg?: unknown) => {
        switch (op) {
          case 'state':
            return { granted, plugged: socket !== undefined };
          case 'grant':
            granted = true;
            return true;
          case 'forget':
            granted = false;
            return true;
          case 'open':
            link.opened = true;
            return true;
          case 'close':
            link.opened = false;
            return true;
          case 'send': {
            const bytes = arg as number[];
            if (socket === undefined || !Array.isArray(bytes) || bytes.length !== 64) return false;
            sent += 1;
            socket.send(Buffer.from(bytes), { binary: true });
            return true;
          }
          default:
            return false;
        }
      });
      // A navigation (a reload, the next question in the window) starts closed.
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) link.opened = false;
      });
      await page.evaluateOnNewDocument(shim, emulatedReader);
    },
    unplug,
    unplugOnNextAnswer() {
      dropNextAnswer = true;
    },
    async replug() {
      if (socket !== undefined) return;
      await plugIn();
      for (const link of pages) {
        await link.page
          .evaluate(() => {
            const w = window as unknown as { __farthingHidPlug?: (p: boolean) => void };
            w.__farthingHidPlug?.(true);
          })
          .catch(() => undefined);
      }
    },
    get sent() {
      return sent;
    },
    get received() {
      return received;
    },
    async close() {
      const ws = socket;
      socket = undefined;
      ws?.close();
    },
  };
}
