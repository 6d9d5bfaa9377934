/**
 * The payloads of the framing's own commands (CTAP 2.1 §11.2.9): INIT allocates a channel,
 * KEEPALIVE tells the host the device is still working or waiting for its button, ERROR
 * carries one CTAPHID error byte, which maps to a stable `FarthingError` code.
 */
import { assertBytes, assertInteger, type ErrorCode, FarthingError } from '../errors.ts';

export const hidInitNonceLength = 8;
export const hidInitResponseLength = 17;
/** CTAPHID protocol version in the INIT response (CTAP 2.1 §11.2.9.1.3). */
export const hidProtocolVersion = 2;

export interface HidInitResponse {
  readonly nonce: Uint8Array;
  readonly channel: number;
  readonly protocolVersion: number;
  readonly deviceVersion: readonly [number, number, number];
  /** CTAP 2.1 §11.2.9.1.3 capability flags; the reader sets none (no WINK, CBOR or NMSG). */
  readonly capabilities: number;
}

export function encodeHidInitResponse(response: HidInitResponse): Uint8Array {
  assertBytes(response.nonce, 'nonce', hidInitNonceLength);
  assertInteger(response.channel, 'channel', 1, 0xfffffffe);
  const out = new Uint8Array(hidInitResponseLength);
  out.set(response.nonce);
  new DataView(out.buffer).setUint32(8, response.channel);
  out[12] = response.protocolVersion;
  out.set(response.deviceVersion, 13);
  out[16] = response.capabilities;
  return out;
}

/** Strict: exactly 17 bytes, a usable channel, and the nonce the host sent. */
export function parseHidInitResponse(payload: Uint8Array, nonce: Uint8Array): HidInitResponse {
  assertBytes(payload, 'payload');
  if (payload.length !== hidInitResponseLength) {
    throw new FarthingError(
      'hid_invalid_length',
      `an INIT response is 17 bytes, got ${payload.length}`,
    );
  }
  const echoed = payload.slice(0, hidInitNonceLength);
  if (!echoed.every((byte, i) => byte === nonce[i])) {
    throw new FarthingError('hid_invalid_parameter', 'the INIT response answers another nonce');
  }
  const channel = new DataView(payload.buffer, payload.byteOffset).getUint32(8);
  if (channel === 0 || channel === 0xffffffff) {
    throw new FarthingError('hid_invalid_channel', `the device allocated channel ${channel}`);
  }
  return {
    nonce: echoed,
    channel,
    protocolVersion: payload[12]!,
    deviceVersion: [payload[13]!, payload[14]!, payload[15]!],
    capabilities: payload[16]!,
  };
}

/** CTAP 2.1 §11.2.9.2.1: KEEPALIVE status. */
export const hidKeepaliveStatus = { processing: 1, userPresenceNeeded: 2 } as const;

/** CTAP 2.1 §11.2.9.1.6: error bytes and the codes they stand for. */
const errorBytes = [
  [0x01, 'hid_invalid_command'],
  [0x02, 'hid_invalid_parameter'],
  [0x03, 'hid_invalid_length'],
  [0x04, 'hid_invalid_sequence'],
  [0x05, 'hid_timeout'],
  [0x06, 'hid_channel_busy'],
  [0x0b, 'hid_invalid_channel'],
  [0x7f, 'hid_corrupted'], // ERR_OTHER: the CRC this framing adds has no CTAPHID byte
] as const satisfies readonly (readonly [number, ErrorCode])[];

export type HidErrorCode = (typeof errorBytes)[number][1];

export function hidErrorByte(code: HidErrorCode): number {
  return errorBytes.find(([, name]) => name === code)![0];
}

/** The error an ERROR payload reports; a malformed one is itself `hid_invalid_length`. */
export function hidErrorFromPayload(payload: Uint8Array): FarthingError {
  assertBytes(payload, 'payload');
  if (payload.length !== 1) {
    return new FarthingError('hid_invalid_length', 'an ERROR payload is one byte');
  }
  const entry = errorBytes.find(([byte]) => byte === payload[0]);
  const code = entry?.[1] ?? 'hid_corrupted';
  return new FarthingError(
    code,
    `the reader refused the message (error 0x${payload[0]!.toString(16).padStart(2, '0')})`,
    {
      details: { hidError: payload[0] },
    },
  );
}

export function isHidErrorCode(code: string): code is HidErrorCode {
  return errorBytes.some(([, name]) => name === code);
}
