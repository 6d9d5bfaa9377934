import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFarthingError } from '../errors.ts';
import {
  encodeHidMessage,
  type HidCommand,
  HidMessageAssembler,
  type HidPushResult,
  hidBroadcastChannel,
  hidCommands,
  hidMaxPayloadLength,
  hidReportLength,
} from './framing.ts';

const channel = 0x01020304;
const device = () =>
  new HidMessageAssembler({ acceptsChannel: (c) => c === channel || c === hidBroadcastChannel });

/** Feeds every report; returns the last result, or the code of the first refusal. */
function feed(assembler: HidMessageAssembler, reports: readonly Uint8Array[], now = 0) {
  let last: HidPushResult | undefined;
  for (const report of reports) {
    try {
      last = assembler.push(report, now);
    } catch (error) {
      if (isFarthingError(error)) return error.code;
      throw error;
    }
  }
  return last;
}

const commands = fc.constantFrom<HidCommand>(hidCommands.msg, hidCommands.ping, hidCommands.cancel);
const payloads = fc.uint8Array({ maxLength: 700 });

describe('HID framing', () => {
  it('fits a message into one 64-byte report when it is short', () => {
    const reports = encodeHidMessage({
      channel,
      command: hidCommands.ping,
      payload: Uint8Array.of(1, 2, 3),
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]!.length).toBe(hidReportLength);
    expect(Array.from(reports[0]!.subarray(0, 7))).toEqual([1, 2, 3, 4, 0x81, 0, 7]);
  });

  it('carries the largest payload in 129 reports and refuses a byte more', () => {
    const payload = new Uint8Array(hidMaxPayloadLength).fill(7);
    const reports = encodeHidMessage({ channel, command: hidCommands.msg, payload });
    expect(reports).toHaveLength(129);
    expect(reports.at(-1)![4]).toBe(127);
    const result = feed(device(), reports);
    expect(result).toMatchObject({ status: 'complete' });
    expect(() =>
      encodeHidMessage({
        channel,
        command: hidCommands.msg,
        payload: new Uint8Array(hidMaxPayloadLength + 1),
      }),
    ).toThrow(/exceeds/);
  });

  it('reassembles any message it split, unchanged (property)', () => {
    fc.assert(
      fc.property(commands, payloads, (command, payload) => {
        const result = feed(device(), encodeHidMessage({ channel, command, payload }));
        expect(result).toEqual({ status: 'complete', message: { channel, command, payload } });
      }),
    );
  });

  it('refuses any message with one corrupted byte, never misreads it (property)', () => {
    fc.assert(
      fc.property(
        commands,
        payloads,
        fc.nat(),
        fc.nat(hidReportLength - 1),
        fc.integer({ min: 1, max: 255 }),
        (command, payload, which, at, flip) => {
          const reports = encodeHidMessage({ channel, command, payload });
          const index = which % reports.length;
          const corrupted = reports.map((r) => r.slice());
          corrupted[index]![at]! ^= flip;
          const result = feed(device(), corrupted);
          // A shortened length can leave the message incomplete (waiting for packets that
          // never come, then timing out); it is never delivered.
          if (typeof result === 'string') expect(result).toMatch(/^hid_/);
          else expect(result?.status).toBe('pending');
        },
      ),
    );
  });

  it('refuses reordered, repeated or missing continuation packets (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 60, maxLength: 1200 }),
        fc.nat(),
        fc.nat(),
        (payload, a, b) => {
          const reports = encodeHidMessage({ channel, command: hidCommands.msg, payload });
          const i = 1 + (a % (reports.length - 1));
          const j = 1 + (b % (reports.length - 1));
          const shuffled = reports.slice();
          if (i === j)
            shuffled.splice(i, 1); // dropped
          else [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          const result = feed(device(), shuffled);
          if (i === j && i === reports.length - 1)
            expect(result).toEqual({ status: 'pending', channel });
          else expect(result).toBe('hid_invalid_sequence');
        },
      ),
    );
  });

  it('refuses a packet from an unallocated channel and non-INIT on the broadcast channel', () => {
    const stranger = encodeHidMessage({
      channel: 99,
      command: hidCommands.ping,
      payload: new Uint8Array(1),
    });
    expect(feed(device(), stranger)).toBe('hid_invalid_channel');
    const broadcast = encodeHidMessage({
      channel: hidBroadcastChannel,
      command: hidCommands.msg,
      payload: new Uint8Array(1),
    });
    expect(feed(device(), broadcast)).toBe('hid_invalid_channel');
    const init = encodeHidMessage({
      channel: hidBroadcastChannel,
      command: hidCommands.init,
      payload: new Uint8Array(8),
    });
    expect(feed(device(), init)).toMatchObject({ status: 'complete' });
  });

  it('answers another channel with busy while a message is half received', () => {
    const other = 0x0a0b0c0d;
    const assembler = new HidMessageAssembler({ acceptsChannel: () => true });
    const long = encodeHidMessage({
      channel,
      command: hidCommands.msg,
      payload: new Uint8Array(200),
    });
    expect(assembler.push(long[0]!, 0)).toEqual({ status: 'pending', channel });
    const short = encodeHidMessage({
      channel: other,
      command: hidCommands.ping,
      payload: new Uint8Array(1),
    });
    expect(feed(assembler, short)).toBe('hid_channel_busy');
    // The first message is not disturbed.
    expect(feed(assembler, long.slice(1))).toMatchObject({ status: 'complete' });
  });

  it('returns a refusal with the channel to answer instead of throwing, when asked to receive', () => {
    const assembler = device();
    const [stranger] = encodeHidMessage({
      channel: 0x55,
      command: hidCommands.ping,
      payload: new Uint8Array(1),
    });
    const refused = assembler.receive(stranger!, 0);
    expect(refused).toMatchObject({ status: 'refused', channel: 0x55 });
    expect(refused.status === 'refused' && refused.error.code).toBe('hid_invalid_channel');
    expect(assembler.receive(new Uint8Array(3), 0)).toMatchObject({
      status: 'refused',
      channel: undefined,
    });
    const [ping] = encodeHidMessage({
      channel,
      command: hidCommands.ping,
      payload: Uint8Array.of(7),
    });
    expect(assembler.receive(ping!, 0)).toMatchObject({
      status: 'complete',
      message: { channel, payload: Uint8Array.of(7) },
    });
  });

  it('drops a message whose next packet is overdue, and reports the timeout', () => {
    const assembler = device();
    const reports = encodeHidMessage({
      channel,
      command: hidCommands.msg,
      payload: new Uint8Array(100),
    });
    assembler.push(reports[0]!, 0);
    expect(assembler.expire(1000)).toBeUndefined();
    expect(feed(assembler, reports.slice(1), 5000)).toBe('hid_timeout');
    expect(assembler.busyChannel).toBeUndefined();
  });

  it('refuses a length beyond the maximum and a report that is not 64 bytes', () => {
    const report = encodeHidMessage({
      channel,
      command: hidCommands.msg,
      payload: new Uint8Array(1),
    })[0]!;
    report[5] = 0xff;
    report[6] = 0xff;
    expect(feed(device(), [report])).toBe('hid_invalid_length');
    expect(feed(device(), [new Uint8Array(63)])).toBe('hid_invalid_length');
  });

  it('refuses an unknown command', () => {
    const report = encodeHidMessage({
      channel,
      command: hidCommands.ping,
      payload: new Uint8Array(1),
    })[0]!;
    report[4] = 0x99;
    expect(feed(device(), [report])).toBe('hid_invalid_command');
  });

  it('lets INIT resynchronise a channel in the middle of a message', () => {
    const assembler = device();
    const long = encodeHidMessage({
      channel,
      command: hidCommands.msg,
      payload: new Uint8Array(100),
    });
    assembler.push(long[0]!, 0);
    const init = encodeHidMessage({
      channel,
      command: hidCommands.init,
      payload: new Uint8Array(8),
    });
    expect(feed(assembler, init)).toMatchObject({
      status: 'complete',
      message: { command: hidCommands.init },
    });
  });
});
