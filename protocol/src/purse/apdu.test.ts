import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FarthingError } from '../errors.ts';
import {
  decodePurseCommand,
  decodePurseResponse,
  encodePurseCommand,
  encodePurseResponse,
  errorForStatusWord,
  purseInstructions,
  statusOk,
  statusWordFor,
} from './apdu.ts';
import {
  decodeLog,
  decodePayCommand,
  encodeLog,
  encodePayCommand,
  type PurseLogEntry,
} from './card-commands.ts';
import { eur } from './purse.fixture.ts';

describe('purse APDUs', () => {
  it('round-trips commands with and without data (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(255), (data, p1) => {
        const bytes = encodePurseCommand({ ins: purseInstructions.pay, p1, data });
        expect(decodePurseCommand(bytes)).toEqual({ cla: 0x80, ins: 0x54, p1, p2: 0, data });
      }),
    );
  });

  it('refuses a command whose length does not match its data', () => {
    const bytes = encodePurseCommand({ ins: purseInstructions.load, data: new Uint8Array(10) });
    expect(() => decodePurseCommand(bytes.subarray(0, 16))).toThrow(/length/);
    expect(() => decodePurseCommand(Uint8Array.of(0x80, 0x52))).toThrow(/header/);
  });

  it('carries wrong-PIN tries in 63Cx and maps every status back to its code', () => {
    const sw = statusWordFor(
      new FarthingError('purse_pin_wrong', 'x', { details: { triesLeft: 2 } }),
    );
    expect(sw).toBe(0x63c2);
    expect(errorForStatusWord(sw)).toMatchObject({
      code: 'purse_pin_wrong',
      details: { triesLeft: 2 },
    });
    for (const code of [
      'purse_pin_blocked',
      'purse_over_maximum',
      'purse_challenge_replayed',
      'purse_cancelled',
    ] as const) {
      expect(errorForStatusWord(statusWordFor(new FarthingError(code, 'x')))?.code).toBe(code);
    }
    expect(statusWordFor(new Error('boom'))).toBe(0x6f00);
    expect(errorForStatusWord(statusOk)).toBeUndefined();
  });

  it('returns response data on 9000 and throws the coded error otherwise', () => {
    expect(decodePurseResponse(encodePurseResponse(Uint8Array.of(1, 2), statusOk))).toEqual(
      Uint8Array.of(1, 2),
    );
    expect(() => decodePurseResponse(encodePurseResponse(new Uint8Array(0), 0x9d01))).toThrow(
      expect.objectContaining({ code: 'purse_insufficient_balance' }),
    );
  });

  it('round-trips the log and the PAY command data', () => {
    const log: PurseLogEntry[] = [
      { type: 'pay', amount: eur(100), sno: 2, merchantId: 'demo-shop', tno: 9, at: 5 },
      { type: 'load', amount: eur(2000), loadCounter: 0, at: 1 },
    ];
    expect(decodeLog(encodeLog(log))).toEqual(log);
    const pay = { challenge: Uint8Array.of(1), merchantChain: [Uint8Array.of(2, 3)] };
    expect(decodePayCommand(encodePayCommand(pay))).toEqual(pay);
  });
});
