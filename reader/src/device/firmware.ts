/**
 * The reader's firmware: the HID side (channels, reassembly, KEEPALIVE while the card works or
 * waits, CANCEL, ERROR) and the holder's side (a small text display and two buttons).
 *
 * The reader is the trusted device of the seeds' "Caroline" wallet: the PC only carries
 * messages. A payment shows the amount and the payee the card authenticated, and goes ahead
 * only on a press of the reader's own confirm button; nothing the host sends can press it.
 * With no host busy, the buttons make it a balance reader: confirm shows the balance, cancel
 * steps through the card's log.
 */
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import {
  encodeHidInitResponse,
  hidErrorByte,
  hidInitNonceLength,
  hidKeepaliveStatus,
  hidProtocolVersion,
  isHidErrorCode,
} from '@farthing/protocol/hid/control';
import {
  defaultHidTimeoutMs,
  encodeHidMessage,
  type HidCommand,
  type HidMessage,
  HidMessageAssembler,
  hidBroadcastChannel,
  hidCommands,
} from '@farthing/protocol/hid/framing';
import type { PurseLogEntry } from '@farthing/protocol/purse/card-commands';
import type { PaymentPrompt, PurseApplet } from '../card/applet.ts';

export type ReaderButton = 'confirm' | 'cancel';
export const readerButtons: readonly ReaderButton[] = ['confirm', 'cancel'];

export const deviceVersion = [0, 1, 0] as const;

export interface ReaderFirmwareOptions {
  readonly applet: PurseApplet;
  /** Sends one 64-byte report to the host. */
  readonly send: (report: Uint8Array) => void;
  /** CTAP 2.1 §11.2.9.2.1 asks for a KEEPALIVE at least every 100 ms. */
  readonly keepaliveMs?: number;
  /** A payment nobody confirms is cancelled after this long. */
  readonly confirmTimeoutMs?: number;
  readonly onDisplay?: (lines: readonly string[]) => void;
}

interface Waiting {
  readonly prompt: PaymentPrompt;
  readonly resolve: (confirmed: boolean) => void;
}

const money = (value: Amount) => formatAmount(value);

function logLine(entry: PurseLogEntry): string {
  return entry.type === 'load'
    ? `+${money(entry.amount)} load ${entry.loadCounter}`
    : `-${money(entry.amount)} ${entry.merchantId} #${entry.tno}`;
}

export class ReaderFirmware {
  readonly #applet: PurseApplet;
  readonly #send: (report: Uint8Array) => void;
  readonly #keepaliveMs: number;
  readonly #confirmTimeoutMs: number;
  readonly #onDisplay: ((lines: readonly string[]) => void) | undefined;
  readonly #channels = new Set<number>();
  readonly #assembler: HidMessageAssembler;
  #nextChannel = 1;
  /** The channel whose command the card is working on. */
  #busy: number | undefined;
  #waiting: Waiting | undefined;
  #display: readonly string[] = [];
  #logIndex = -1;
  #assemblyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts hosts: answers to a host that has gone are not sent to the next one. */
  #session = 0;

  constructor(options: ReaderFirmwareOptions) {
    this.#applet = options.applet;
    this.#send = options.send;
    this.#keepaliveMs = options.keepaliveMs ?? 100;
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? 60_000;
    this.#onDisplay = options.onDisplay;
    this.#assembler = new HidMessageAssembler({
      acceptsChannel: (channel) => channel === hidBroadcastChannel || this.#channels.has(channel),
    });
    this.#showIdle();
  }

  get display(): readonly string[] {
    return this.#display;
  }

  /** A payment waits for the holder's button. */
  get waitingForButton(): boolean {
    return this.#waiting !== undefined;
  }

  /** A new host connected: channels of the last one are gone. */
  reset(): void {
    this.#session += 1;
    this.#channels.clear();
    this.#waiting?.resolve(false);
  }

  #show(lines: readonly string[]): void {
    this.#display = Object.freeze([...lines]);
    this.#onDisplay?.(this.#display);
  }

  #showIdle(): void {
    const purse = this.#applet.record.purse;
    this.#show(
      purse === undefined
        ? ['Farthing purse', `Card ${this.#applet.cardId}`, 'not personalised']
        : ['Farthing purse', `Balance ${money(purse.balance)}`],
    );
  }

  // --- the holder's side

  press(button: ReaderButton): void {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting.resolve(button === 'confirm');
      return;
    }
    if (this.#busy !== undefined) return;
    const purse = this.#applet.record.purse;
    if (purse === undefined) {
      this.#showIdle();
      return;
    }
    if (button === 'confirm') {
      this.#logIndex = -1;
      this.#show(['Balance', money(purse.balance), `Maximum ${money(purse.maximum)}`]);
      return;
    }
    this.#logIndex = purse.log.length === 0 ? -1 : (this.#logIndex + 1) % purse.log.length;
    const entry = purse.log[this.#logIndex];
    this.#show(
      entry === undefined
        ? ['Log', 'no transactions']
        : [`Log ${this.#logIndex + 1}/${purse.log.length}`, logLine(entry)],
    );
  }

  #confirmPayment(prompt: PaymentPrompt): Promise<boolean> {
    this.#show([
      `Pay ${money(prompt.amount)}`,
      `to ${prompt.payee}`,
      `Balance ${money(prompt.balance)}`,
      'OK=confirm X=cancel',
    ]);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.press('cancel'), this.#confirmTimeoutMs);
      this.#waiting = {
        prompt,
        resolve: (confirmed) => {
          clearTimeout(timer);
          this.#waiting = undefined;
          this.#show(confirmed ? ['Confirmed', 'signing…'] : ['Cancelled', `to ${prompt.payee}`]);
          resolve(confirmed);
        },
      };
    });
  }

  // --- the HID side

  #reply(channel: number, command: HidCommand, payload: Uint8Array): void {
    for (const report of encodeHidMessage({ channel, command, payload })) this.#send(report);
  }

  #error(channel: number | undefined, code: string): void {
    if (channel === undefined || channel === 0 || !isHidErrorCode(code)) return;
    this.#reply(channel, hidCommands.error, Uint8Array.of(hidErrorByte(code)));
  }

  /** One report from the host. */
  receive(report: Uint8Array): void {
    const result = this.#assembler.receive(report, Date.now());
    if (result.status === 'refused') {
      this.#error(result.channel, result.error.code);
      return;
    }
    clearTimeout(this.#assemblyTimer);
    if (result.status === 'pending') {
      // CTAP 2.1 §11.2.5.3: a message left half sent is answered with ERR_MSG_TIMEOUT.
      this.#assemblyTimer = setTimeout(() => {
        const channel = this.#assembler.expire(Date.now());
        this.#error(channel, 'hid_timeout');
      }, defaultHidTimeoutMs + 10);
      return;
    }
    this.#handle(result.message);
  }

  #handle(message: HidMessage): void {
    const { channel, command, payload } = message;
    if (command === hidCommands.init) {
      this.#init(channel, payload);
    } else if (command === hidCommands.cancel) {
      // CTAP 2.1 §11.2.9.1.5: cancels the channel's pending request; no answer of its own.
      if (channel === this.#busy) this.#waiting?.resolve(false);
    } else if (this.#busy !== undefined) {
      this.#error(channel, 'hid_channel_busy');
    } else if (command === hidCommands.ping) {
      this.#reply(channel, hidCommands.ping, payload);
    } else if (command === hidCommands.msg) {
      void this.#process(channel, payload);
    } else {
      this.#error(channel, 'hid_invalid_command');
    }
  }

  #init(channel: number, payload: Uint8Array): void {
    if (payload.length !== hidInitNonceLength) {
      this.#error(channel, 'hid_invalid_length');
      return;
    }
    let allocated = channel;
    if (channel === hidBroadcastChannel) {
      allocated = this.#nextChannel;
      this.#nextChannel = this.#nextChannel >= 0xfffffffe ? 1 : this.#nextChannel + 1;
      this.#channels.add(allocated);
    }
    this.#reply(
      channel,
      hidCommands.init,
      encodeHidInitResponse({
        nonce: payload,
        channel: allocated,
        protocolVersion: hidProtocolVersion,
        deviceVersion: deviceVersion,
        capabilities: 0,
      }),
    );
  }

  async #process(channel: number, apdu: Uint8Array): Promise<void> {
    this.#busy = channel;
    const session = this.#session;
    const current = () => session === this.#session;
    const keepalive = setInterval(() => {
      if (!current()) return;
      const status = this.#waiting
        ? hidKeepaliveStatus.userPresenceNeeded
        : hidKeepaliveStatus.processing;
      this.#reply(channel, hidCommands.keepalive, Uint8Array.of(status));
    }, this.#keepaliveMs);
    try {
      const response = await this.#applet.process(apdu, {
        confirmPayment: (prompt) => this.#confirmPayment(prompt),
      });
      if (current()) this.#reply(channel, hidCommands.msg, response);
    } finally {
      clearInterval(keepalive);
      this.#busy = undefined;
      if (this.#waiting === undefined && !this.#display[0]?.startsWith('Cancelled')) {
        this.#showAfter();
      }
    }
  }

  #showAfter(): void {
    const purse = this.#applet.record.purse;
    const last = purse?.log[0];
    if (this.#display[0] === 'Confirmed' && last?.type === 'pay' && purse !== undefined) {
      this.#show([
        `Paid ${money(last.amount)}`,
        `to ${last.merchantId}`,
        `Balance ${money(purse.balance)}`,
      ]);
      return;
    }
    this.#showIdle();
  }
}
