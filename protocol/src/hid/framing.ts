/**
 * The reader's HID transport: messages cut into 64-byte reports, CTAPHID-style (FIDO CTAP 2.1
 * §11.2.4), on a vendor-defined usage page because Chrome's WebHID blocks FIDO's (0xF1D0).
 *
 *   initialization packet   CID (4) ‖ CMD | 0x80 (1) ‖ BCNT (2, big-endian) ‖ data (57)
 *   continuation packet     CID (4) ‖ SEQ 0..127 (1) ‖ data (59)
 *
 * A message is at most 57 + 128 · 59 = 7609 bytes on the wire, as in CTAPHID. One difference
 * from CTAPHID: the message body ends with a CRC-32 over the channel, the command and the
 * payload (crc32.ts). USB checks its own packets, but a report stream can also travel over a
 * socket or a bridge, and the framing promises that a corrupted packet is refused, never
 * misread: the CRC catches what the header checks (channel, sequence, length, zero padding)
 * cannot, such as a flipped data byte or a shortened length.
 */
import { assertBytes, assertInteger, FarthingError, isFarthingError } from '../errors.ts';
import { crc32 } from './crc32.ts';

export const hidReportLength = 64;
/** Vendor-defined usage page (HID Usage Tables 1.5 §3: 0xFF00–0xFFFF) and usage. */
export const hidUsagePage = 0xff46;
export const hidUsage = 0x01;
/** CTAP 2.1 §11.2.4: the broadcast channel, used only to allocate a channel with INIT. */
export const hidBroadcastChannel = 0xffffffff;
export const hidInitDataLength = hidReportLength - 7;
export const hidContinuationDataLength = hidReportLength - 5;
export const hidMaxSequence = 127;
export const hidCrcLength = 4;
/** The largest BCNT: what fits in one initialization and 128 continuation packets. */
export const hidMaxBodyLength =
  hidInitDataLength + (hidMaxSequence + 1) * hidContinuationDataLength;
/** The largest payload a message can carry, its CRC taking the last 4 bytes. */
export const hidMaxPayloadLength = hidMaxBodyLength - hidCrcLength;

/** CTAP 2.1 §11.2.9: command codes, high bit set as they appear in the packet. */
export const hidCommands = {
  ping: 0x81,
  msg: 0x83,
  init: 0x86,
  cancel: 0x91,
  keepalive: 0xbb,
  error: 0xbf,
} as const;
export type HidCommandName = keyof typeof hidCommands;
export type HidCommand = (typeof hidCommands)[HidCommandName];

const commandNames = new Map<number, HidCommandName>(
  Object.entries(hidCommands).map(([name, code]) => [code, name as HidCommandName]),
);

export function hidCommandName(command: number): HidCommandName | undefined {
  return commandNames.get(command);
}

export interface HidMessage {
  readonly channel: number;
  readonly command: HidCommand;
  readonly payload: Uint8Array;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function messageCrc(channel: number, command: number, payload: Uint8Array): number {
  return crc32(u32(channel), Uint8Array.of(command), payload);
}

/** Cuts a message into 64-byte reports. */
export function encodeHidMessage(message: HidMessage): Uint8Array[] {
  const { channel, command, payload } = message;
  assertInteger(channel, 'channel', 1, 0xffffffff);
  if (hidCommandName(command) === undefined) {
    throw new FarthingError('invalid_argument', `unknown HID command 0x${command.toString(16)}`, {
      details: { field: 'command' },
    });
  }
  assertBytes(payload, 'payload');
  if (payload.length > hidMaxPayloadLength) {
    throw new FarthingError(
      'invalid_argument',
      `HID payload of ${payload.length} bytes exceeds ${hidMaxPayloadLength}`,
      { details: { field: 'payload', max: hidMaxPayloadLength, got: payload.length } },
    );
  }
  const body = new Uint8Array(payload.length + hidCrcLength);
  body.set(payload);
  new DataView(body.buffer).setUint32(payload.length, messageCrc(channel, command, payload));

  const reports: Uint8Array[] = [];
  const first = new Uint8Array(hidReportLength);
  const view = new DataView(first.buffer);
  view.setUint32(0, channel);
  first[4] = command;
  view.setUint16(5, body.length);
  first.set(body.subarray(0, hidInitDataLength), 7);
  reports.push(first);
  for (let offset = hidInitDataLength, seq = 0; offset < body.length; seq++) {
    const report = new Uint8Array(hidReportLength);
    new DataView(report.buffer).setUint32(0, channel);
    report[4] = seq;
    const chunk = body.subarray(offset, offset + hidContinuationDataLength);
    report.set(chunk, 5);
    offset += chunk.length;
    reports.push(report);
  }
  return reports;
}

// --- reassembly

export interface HidAssemblerOptions {
  /** CTAP 2.1 §11.2.5.3: a message whose next packet is later than this is dropped. */
  readonly timeoutMs?: number;
  /**
   * Which channels may send. The device accepts the channels it allocated (and INIT on the
   * broadcast channel); a host accepts only its own channel and the broadcast channel.
   */
  readonly acceptsChannel: (channel: number) => boolean;
}

export type HidPushResult =
  | { readonly status: 'pending'; readonly channel: number }
  | { readonly status: 'complete'; readonly message: HidMessage };

/** `HidPushResult`, or the refusal `push` would throw and the channel it names, if any. */
export type HidReceiveResult =
  | HidPushResult
  | {
      readonly status: 'refused';
      readonly error: FarthingError;
      readonly channel: number | undefined;
    };

interface Pending {
  readonly channel: number;
  readonly command: HidCommand;
  readonly body: Uint8Array;
  received: number;
  nextSequence: number;
  lastAt: number;
}

export const defaultHidTimeoutMs = 3000;

function frameError(
  code:
    | 'hid_invalid_command'
    | 'hid_invalid_length'
    | 'hid_invalid_sequence'
    | 'hid_timeout'
    | 'hid_channel_busy'
    | 'hid_invalid_channel'
    | 'hid_corrupted',
  message: string,
  channel: number | undefined,
): FarthingError {
  return new FarthingError(code, message, {
    details: channel === undefined ? {} : { channel },
  });
}

/**
 * Puts reports back together into messages, one at a time across all channels (the device
 * serves one transaction at a time, CTAP 2.1 §11.2.5). Every refusal throws a `FarthingError`
 * whose `details.channel` says which channel to answer with an ERROR; the message being
 * assembled is dropped unless the refused packet came from another channel.
 */
export class HidMessageAssembler {
  readonly #timeoutMs: number;
  readonly #acceptsChannel: (channel: number) => boolean;
  #pending: Pending | undefined;

  constructor(options: HidAssemblerOptions) {
    this.#timeoutMs = options.timeoutMs ?? defaultHidTimeoutMs;
    this.#acceptsChannel = options.acceptsChannel;
  }

  /** The channel whose message is half received, if any. */
  get busyChannel(): number | undefined {
    return this.#pending?.channel;
  }

  /**
   * Drops a message whose next packet is overdue and returns its channel, to be answered with
   * ERROR `hid_timeout`; `undefined` when nothing timed out.
   */
  expire(now: number): number | undefined {
    const pending = this.#pending;
    if (pending === undefined || now - pending.lastAt <= this.#timeoutMs) return undefined;
    this.#pending = undefined;
    return pending.channel;
  }

  /**
   * `push`, its refusal returned rather than thrown: what each end of the link does with every
   * report it is handed (the device answers the refused channel with ERROR, the host fails or
   * keeps its exchange).
   */
  receive(report: Uint8Array, now: number): HidReceiveResult {
    try {
      return this.push(report, now);
    } catch (error) {
      if (!isFarthingError(error)) throw error;
      return { status: 'refused', error, channel: error.details.channel as number | undefined };
    }
  }

  push(report: Uint8Array, now: number): HidPushResult {
    assertBytes(report, 'report');
    if (report.length !== hidReportLength) {
      throw frameError(
        'hid_invalid_length',
        `a HID report is ${hidReportLength} bytes, got ${report.length}`,
        report.length >= 4
          ? new DataView(report.buffer, report.byteOffset).getUint32(0)
          : undefined,
      );
    }
    const timedOut = this.expire(now);
    const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
    const channel = view.getUint32(0);
    const type = report[4]!;
    const isInit = (type & 0x80) !== 0;
    if (channel === 0 || !this.#acceptsChannel(channel)) {
      throw frameError('hid_invalid_channel', `channel ${channel} is not allocated`, channel);
    }
    if (channel === hidBroadcastChannel && type !== hidCommands.init) {
      throw frameError(
        'hid_invalid_channel',
        'only INIT may be sent on the broadcast channel',
        channel,
      );
    }
    if (timedOut === channel && !isInit) {
      throw frameError('hid_timeout', 'the message was not completed in time', channel);
    }
    return isInit
      ? this.#initPacket(report, view, channel, type, now)
      : this.#continuation(report, channel, type, now);
  }

  #initPacket(
    report: Uint8Array,
    view: DataView,
    channel: number,
    command: number,
    now: number,
  ): HidPushResult {
    const pending = this.#pending;
    if (pending !== undefined && pending.channel !== channel) {
      throw frameError('hid_channel_busy', 'the device is receiving on another channel', channel);
    }
    if (pending !== undefined) {
      // CTAP 2.1 §11.2.9.1.3: INIT on a channel in the middle of a message resynchronises it;
      // any other initialization packet there means packets were lost or reordered.
      this.#pending = undefined;
      if (command !== hidCommands.init) {
        throw frameError(
          'hid_invalid_sequence',
          'a new message started before the last one was complete',
          channel,
        );
      }
    }
    if (hidCommandName(command) === undefined) {
      throw frameError(
        'hid_invalid_command',
        `unknown HID command 0x${command.toString(16)}`,
        channel,
      );
    }
    const length = view.getUint16(5);
    if (length < hidCrcLength || length > hidMaxBodyLength) {
      throw frameError(
        'hid_invalid_length',
        `a message body is ${hidCrcLength} to ${hidMaxBodyLength} bytes, got ${length}`,
        channel,
      );
    }
    const body = new Uint8Array(length);
    const first = report.subarray(7, 7 + Math.min(length, hidInitDataLength));
    body.set(first);
    const next: Pending = {
      channel,
      command: command as HidCommand,
      body,
      received: first.length,
      nextSequence: 0,
      lastAt: now,
    };
    return this.#progress(next, report, 7 + first.length);
  }

  #continuation(report: Uint8Array, channel: number, sequence: number, now: number): HidPushResult {
    const pending = this.#pending;
    if (pending === undefined || pending.channel !== channel) {
      throw frameError(
        'hid_invalid_sequence',
        'a continuation packet arrived with no message started on its channel',
        channel,
      );
    }
    if (sequence !== pending.nextSequence) {
      this.#pending = undefined;
      throw frameError(
        'hid_invalid_sequence',
        `expected continuation packet ${pending.nextSequence}, got ${sequence}`,
        channel,
      );
    }
    const take = Math.min(pending.body.length - pending.received, hidContinuationDataLength);
    pending.body.set(report.subarray(5, 5 + take), pending.received);
    pending.received += take;
    pending.nextSequence += 1;
    pending.lastAt = now;
    return this.#progress(pending, report, 5 + take);
  }

  #progress(pending: Pending, report: Uint8Array, used: number): HidPushResult {
    const { channel } = pending;
    // Padding after the end of the message must be zero, as encodeHidMessage writes it.
    for (let i = used; i < report.length; i++) {
      if (report[i] !== 0) {
        this.#pending = undefined;
        throw frameError('hid_corrupted', 'the packet carries bytes past the message end', channel);
      }
    }
    if (pending.received < pending.body.length) {
      this.#pending = pending;
      return { status: 'pending', channel };
    }
    this.#pending = undefined;
    const payloadLength = pending.body.length - hidCrcLength;
    const payload = pending.body.slice(0, payloadLength);
    const crc = new DataView(pending.body.buffer).getUint32(payloadLength);
    if (crc !== messageCrc(channel, pending.command, payload)) {
      throw frameError('hid_corrupted', 'the message failed its CRC-32 check', channel);
    }
    return { status: 'complete', message: { channel, command: pending.command, payload } };
  }
}
