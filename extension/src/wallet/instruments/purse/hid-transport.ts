/**
 * The WebHID transport to the purse reader (DESIGN.md "Hardware purse over WebHID"): the
 * standard `HIDDevice` API (`open`, `sendReport`, the `inputreport` event) carrying protocol's
 * 64-byte CTAPHID-style reports (protocol/src/hid/, the host side in hid/host-link.ts), with
 * its timeouts (silence from the reader, KEEPALIVEs included), CANCEL, KEEPALIVE status, and
 * reconnection when the reader goes away and comes back (`navigator.hid`'s `disconnect` and
 * `connect` events).
 *
 * Where it lives, and why: in the wallet's extension pages (the pairing tab, the settings
 * page, the trusted confirmation window), not in the service worker. Chrome's extension docs
 * ("Use WebHID", developer.chrome.com/docs/extensions/how-to/web-platform/webhid) say WebHID is
 * available to extension service workers from Chrome 117, except `requestDevice()`, which needs
 * a window and a user gesture; so the worker could hold a device the pairing tab granted. The
 * wallet still keeps the device in pages: a payment reaches the card only from the trusted
 * confirmation window the holder is looking at (nothing the worker does on a web page's behalf
 * can open the reader without that window on screen), a closed window sends CANCEL, and the
 * window hands the card's proof to the background, which journals it (purse-payment.ts). An
 * offscreen document was not chosen: it cannot show the holder anything. The code is written
 * against `HidLike`, so moving it into the worker later changes no protocol code.
 *
 * A page of the extension origin sees the devices the user granted to the extension; a web page
 * sees none of them (Chromium keys HID permissions by origin), and cannot message the purse
 * actions (messages/purse.ts: extension pages only).
 */
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { hidReportLength, hidUsage, hidUsagePage } from '@farthing/protocol/hid/framing';
import { HidHostLink } from '@farthing/protocol/hid/host-link';
import { PurseCardClient } from '@farthing/protocol/purse/card-client';

/** The part of `HIDDevice` the transport uses (WebHID, https://wicg.github.io/webhid/). */
export interface HidDeviceLike extends EventTarget {
  readonly opened: boolean;
  readonly vendorId: number;
  readonly productId: number;
  readonly productName: string;
  readonly collections: readonly { readonly usagePage?: number; readonly usage?: number }[];
  open(): Promise<void>;
  close(): Promise<void>;
  sendReport(reportId: number, data: BufferSource): Promise<void>;
}

/** The part of `navigator.hid` the transport uses. */
export interface HidLike extends EventTarget {
  getDevices(): Promise<HidDeviceLike[]>;
  requestDevice(options: {
    filters: { usagePage?: number; usage?: number }[];
  }): Promise<HidDeviceLike[]>;
}

/** The chooser shows only readers: the vendor usage page, never FIDO's (Chrome blocks it). */
export const readerFilters = [{ usagePage: hidUsagePage, usage: hidUsage }];

export function isReader(device: HidDeviceLike): boolean {
  return device.collections.some((c) => c.usagePage === hidUsagePage && c.usage === hidUsage);
}

/** `navigator.hid`, or `reader_unavailable` where the browser has no WebHID (Firefox, Safari). */
export function webHid(nav: Navigator = navigator): HidLike {
  const hid = (nav as Navigator & { hid?: HidLike }).hid;
  if (hid === undefined) {
    throw new FarthingError(
      'hid_disconnected',
      'This browser has no WebHID: the purse reader works in Chromium-based browsers only.',
      { details: { webHid: false } },
    );
  }
  return hid;
}

export type ReaderLinkState = 'searching' | 'connected' | 'waiting_for_button' | 'disconnected';

export interface ReaderTransportOptions {
  /** Which granted device is the paired reader (vendor and product id); any reader if absent. */
  readonly match?: (device: HidDeviceLike) => boolean;
  /** Longest silence from the reader in one exchange, KEEPALIVEs included. */
  readonly timeoutMs?: number;
  readonly onState?: (state: ReaderLinkState) => void;
}

/** One reader held by one page: connect, exchange APDUs, reconnect, close. */
export class ReaderTransport {
  readonly #hid: HidLike;
  readonly #options: ReaderTransportOptions;
  #device: HidDeviceLike | undefined;
  #link: HidHostLink | undefined;
  #onReport = (event: Event) => {
    const data = (event as Event & { data?: DataView }).data;
    if (data === undefined) return;
    this.#link?.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  #onDisconnect = (event: Event) => {
    const device = (event as Event & { device?: HidDeviceLike }).device;
    if (device === undefined || device !== this.#device) return;
    this.#drop(new FarthingError('hid_disconnected', 'the reader was unplugged'));
  };

  constructor(hid: HidLike, options: ReaderTransportOptions = {}) {
    this.#hid = hid;
    this.#options = options;
    hid.addEventListener('disconnect', this.#onDisconnect);
  }

  get device(): HidDeviceLike | undefined {
    return this.#device;
  }

  #matches(device: HidDeviceLike): boolean {
    return isReader(device) && (this.#options.match?.(device) ?? true);
  }

  #drop(error: FarthingError): void {
    this.#device?.removeEventListener('inputreport', this.#onReport);
    this.#device = undefined;
    const link = this.#link;
    this.#link = undefined;
    link?.abort(error);
    this.#options.onState?.('disconnected');
  }

  /**
   * Opens the reader among the granted devices, waiting up to `waitMs` for it to be plugged in
   * (`connect`), and allocates a channel (INIT). `hid_disconnected` if it does not come.
   */
  async connect(waitMs = 0): Promise<void> {
    if (this.#link !== undefined) return;
    this.#options.onState?.('searching');
    let device = (await this.#hid.getDevices()).find((d) => this.#matches(d));
    if (device === undefined && waitMs > 0) {
      this.#options.onState?.('disconnected');
      device = await this.#waitForDevice(waitMs);
    }
    if (device === undefined) {
      this.#options.onState?.('disconnected');
      throw new FarthingError('hid_disconnected', 'the reader is not connected');
    }
    if (!device.opened) await device.open();
    this.#device = device;
    device.addEventListener('inputreport', this.#onReport);
    const link = new HidHostLink({
      timeoutMs: this.#options.timeoutMs ?? 5_000,
      send: (report) => this.#send(device, report),
      onKeepalive: (status) =>
        this.#options.onState?.(status === 2 ? 'waiting_for_button' : 'connected'),
    });
    this.#link = link;
    try {
      await link.init();
    } catch (error) {
      if (this.#link === link) this.#drop(asFarthing(error));
      throw error;
    }
    this.#options.onState?.('connected');
  }

  #send(device: HidDeviceLike, report: Uint8Array): void {
    if (report.length !== hidReportLength) throw new RangeError('a report is 64 bytes');
    // WebHID: report id 0 for a device without report ids; the data is the whole report.
    device.sendReport(0, new Uint8Array(report)).catch((error: unknown) => {
      if (this.#device === device) {
        this.#drop(
          new FarthingError('hid_disconnected', 'the reader refused a report', { cause: error }),
        );
      }
    });
  }

  #waitForDevice(waitMs: number): Promise<HidDeviceLike | undefined> {
    return new Promise((resolve) => {
      const onConnect = (event: Event) => {
        const device = (event as Event & { device?: HidDeviceLike }).device;
        if (device === undefined || !this.#matches(device)) return;
        finish(device);
      };
      const timer = setTimeout(() => finish(undefined), waitMs);
      let done = false;
      const finish = (device: HidDeviceLike | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#hid.removeEventListener('connect', onConnect);
        resolve(device);
      };
      this.#hid.addEventListener('connect', onConnect);
      // Plugged in between the first look and the listener: look once more.
      void this.#hid.getDevices().then((devices) => {
        const device = devices.find((d) => this.#matches(d));
        if (device !== undefined) finish(device);
      });
    });
  }

  /** The card behind the reader; each command is one exchange on the current link. */
  card(): PurseCardClient {
    return new PurseCardClient((apdu) => {
      const link = this.#link;
      if (link === undefined) {
        return Promise.reject(new FarthingError('hid_disconnected', 'the reader is not connected'));
      }
      return link.transmit(apdu);
    });
  }

  /** CANCEL: the reader gives up the payment waiting for its button (CTAP 2.1 §11.2.9.1.5). */
  cancel(): void {
    this.#link?.cancel();
  }

  /**
   * Runs `work` on the card; when the reader goes away meanwhile, waits up to `waitMs` for it to
   * come back and runs `work` again (the work must be safe to repeat: purse-page.ts starts a
   * payment with PROOF AGAIN, so a card that paid is never asked to pay again).
   */
  async withReconnect<T>(waitMs: number, work: (card: PurseCardClient) => Promise<T>): Promise<T> {
    for (;;) {
      await this.connect(waitMs);
      try {
        return await work(this.card());
      } catch (error) {
        if (!isFarthingError(error) || error.code !== 'hid_disconnected') throw error;
        this.#drop(error);
      }
    }
  }

  async close(): Promise<void> {
    this.#hid.removeEventListener('disconnect', this.#onDisconnect);
    const device = this.#device;
    this.#drop(new FarthingError('hid_disconnected', 'the page let the reader go'));
    await device?.close().catch(() => undefined);
  }
}

function asFarthing(error: unknown): FarthingError {
  return isFarthingError(error)
    ? error
    : new FarthingError('hid_disconnected', 'the reader did not answer', { cause: error });
}
