import { describe, expect, it } from 'vitest';
import {
  encodeHidInitResponse,
  hidErrorByte,
  hidErrorFromPayload,
  parseHidInitResponse,
} from './control.ts';

const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

describe('HID control payloads', () => {
  it('round-trips an INIT response and checks the nonce', () => {
    const response = {
      nonce,
      channel: 42,
      protocolVersion: 2,
      deviceVersion: [1, 0, 3] as const,
      capabilities: 0,
    };
    const bytes = encodeHidInitResponse(response);
    expect(bytes).toHaveLength(17);
    expect(parseHidInitResponse(bytes, nonce)).toEqual({ ...response, deviceVersion: [1, 0, 3] });
    expect(() => parseHidInitResponse(bytes, new Uint8Array(8))).toThrow(/another nonce/);
    expect(() => parseHidInitResponse(bytes.subarray(0, 16), nonce)).toThrow(/17 bytes/);
  });

  it('maps CTAPHID error bytes to stable codes and back', () => {
    expect(hidErrorByte('hid_invalid_sequence')).toBe(0x04);
    expect(hidErrorByte('hid_channel_busy')).toBe(0x06);
    expect(hidErrorFromPayload(Uint8Array.of(0x0b)).code).toBe('hid_invalid_channel');
    expect(hidErrorFromPayload(Uint8Array.of(0x05)).code).toBe('hid_timeout');
    expect(hidErrorFromPayload(Uint8Array.of(1, 2)).code).toBe('hid_invalid_length');
  });
});
