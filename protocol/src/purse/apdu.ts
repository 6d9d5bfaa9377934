/**
 * The card's commands inside HID MSG messages, shaped like ISO/IEC 7816-4 APDUs:
 *
 *   command    CLA (0x80, proprietary) ‖ INS ‖ P1 ‖ P2 [‖ 0x00 ‖ Lc (2, big-endian) ‖ data]
 *              (§5.1: the extended-length form; no Le, the card always answers what it has)
 *   response   data ‖ SW1 ‖ SW2
 *
 * Status words are ISO's where ISO has one (§5.6: 9000, 63Cx, 6700, 6982, 6983, 6985, 6986,
 * 6A80, 6D00, 6E00, 6F00) and proprietary 9Dxx for the purse's own refusals. Each maps to one
 * stable `FarthingError` code, so the host sees the same codes the card threw.
 */
import { assertBytes, assertInteger, type ErrorCode, FarthingError } from '../errors.ts';

export const purseCla = 0x80;

/** Instruction bytes; ISO's where the operation is ISO's (SELECT, VERIFY, READ RECORD). */
export const purseInstructions = {
  select: 0xa4,
  verifyPin: 0x20,
  personalise: 0xe0,
  loadRequest: 0x50,
  load: 0x52,
  pay: 0x54,
  /** The proof of a payment the card made already, signed again (no button: no money moves). */
  proofAgain: 0x56,
  balance: 0x5c,
  readLog: 0xb2,
} as const;
export type PurseInstructionName = keyof typeof purseInstructions;
export type PurseInstruction = (typeof purseInstructions)[PurseInstructionName];

export interface PurseCommand {
  readonly ins: PurseInstruction;
  readonly p1?: number;
  readonly p2?: number;
  readonly data: Uint8Array;
}

export const maxApduData = 0xffff;

export function encodePurseCommand(command: PurseCommand): Uint8Array {
  assertBytes(command.data, 'data');
  if (command.data.length > maxApduData) {
    throw new FarthingError('invalid_argument', 'command data longer than 65535 bytes', {
      details: { field: 'data' },
    });
  }
  const p1 = command.p1 ?? 0;
  const p2 = command.p2 ?? 0;
  assertInteger(p1, 'p1', 0, 0xff);
  assertInteger(p2, 'p2', 0, 0xff);
  if (command.data.length === 0) return Uint8Array.of(purseCla, command.ins, p1, p2);
  const out = new Uint8Array(7 + command.data.length);
  out.set([
    purseCla,
    command.ins,
    p1,
    p2,
    0,
    command.data.length >>> 8,
    command.data.length & 0xff,
  ]);
  out.set(command.data, 7);
  return out;
}

/** Strict: `invalid_encoding` for a header or length that does not fit exactly. */
export function decodePurseCommand(bytes: Uint8Array): {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
} {
  assertBytes(bytes, 'command');
  const wrong = (reason: string) =>
    new FarthingError('invalid_encoding', `the command APDU ${reason}`, {
      details: { field: 'command' },
    });
  if (bytes.length < 4) throw wrong('is shorter than its header');
  const [cla, ins, p1, p2] = bytes as unknown as [number, number, number, number];
  if (bytes.length === 4) return { cla, ins, p1, p2, data: new Uint8Array(0) };
  if (bytes.length < 7 || bytes[4] !== 0) throw wrong('has no extended length');
  const length = (bytes[5]! << 8) | bytes[6]!;
  if (length === 0 || bytes.length !== 7 + length) throw wrong('length does not match its data');
  return { cla, ins, p1, p2, data: bytes.slice(7) };
}

// --- status words

export const statusOk = 0x9000;

const statusWords = [
  [0x6700, 'invalid_encoding'],
  [0x6a80, 'invalid_message'],
  [0x6982, 'purse_pin_required'],
  [0x6983, 'purse_pin_blocked'],
  [0x6985, 'purse_not_personalised'],
  [0x6986, 'purse_already_personalised'],
  [0x6d00, 'purse_command_unknown'],
  [0x6f00, 'internal'],
  [0x9d01, 'purse_insufficient_balance'],
  [0x9d02, 'purse_over_maximum'],
  [0x9d03, 'purse_load_replayed'],
  [0x9d04, 'purse_challenge_replayed'],
  [0x9d05, 'purse_cancelled'],
  [0x9d06, 'purse_wrong_card'],
  [0x9d07, 'bad_signature'],
  [0x9d08, 'certificate_untrusted'],
  [0x9d09, 'certificate_expired'],
  [0x9d0a, 'certificate_not_yet_valid'],
  [0x9d0b, 'certificate_wrong_purpose'],
  [0x9d0c, 'certificate_invalid'],
  [0x9d0d, 'merchant_mismatch'],
  [0x9d0e, 'currency_mismatch'],
  [0x9d0f, 'invalid_amount'],
  [0x9d10, 'unsupported_version'],
  [0x9d11, 'invalid_argument'],
  [0x9d12, 'purse_proof_unknown'],
] as const satisfies readonly (readonly [number, ErrorCode])[];

/** The status word for an error the card raised; anything unexpected is 6F00. */
export function statusWordFor(error: unknown): number {
  if (!(error instanceof FarthingError)) return 0x6f00;
  if (error.code === 'purse_pin_wrong') {
    const left = Number(error.details.triesLeft ?? 0);
    return 0x63c0 | (Math.max(0, Math.min(15, left)) & 0x0f);
  }
  return statusWords.find(([, code]) => code === error.code)?.[0] ?? 0x6f00;
}

/** The error a status word stands for; `undefined` for 9000. */
export function errorForStatusWord(sw: number): FarthingError | undefined {
  if (sw === statusOk) return undefined;
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    return new FarthingError(
      'purse_pin_wrong',
      `wrong PIN; ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before the card blocks`,
      { details: { triesLeft, statusWord: sw } },
    );
  }
  const code = statusWords.find(([word]) => word === sw)?.[1];
  const hex = sw.toString(16).padStart(4, '0').toUpperCase();
  if (code === undefined) {
    return new FarthingError('invalid_message', `the card answered an unknown status ${hex}`, {
      details: { statusWord: sw },
    });
  }
  return new FarthingError(code, `the card refused the command (status ${hex})`, {
    details: { statusWord: sw },
  });
}

export function encodePurseResponse(data: Uint8Array, sw: number): Uint8Array {
  assertInteger(sw, 'sw', 0, 0xffff);
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >>> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** The response data, or the error its status word stands for. */
export function decodePurseResponse(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'response');
  if (bytes.length < 2) {
    throw new FarthingError('invalid_encoding', 'the response APDU has no status word', {
      details: { field: 'response' },
    });
  }
  const sw = (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!;
  const error = errorForStatusWord(sw);
  if (error !== undefined) throw error;
  return bytes.slice(0, -2);
}
