/**
 * The data of each card command and response (apdu.ts carries them). The host side (the
 * extension, tests) encodes commands and decodes responses; the card applet (reader/) does
 * the opposite. All canonical encodings (encoding.ts), read strictly: `invalid_encoding`.
 */
import type { Amount } from '../amount.ts';
import { type CanonicalReader, readAll } from '../canonical-reader.ts';
import { ed25519PublicKeyLength } from '../ed25519.ts';
import { CanonicalWriter } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { maxMerchantIdLength } from './challenge.ts';
import * as kinds from './fields.ts';

/** GeldKarte keeps the last 15 transactions. */
export const purseLogLength = 15;
export const maxCertificateLength = 2048;
export const maxChainLength = 4;
export const pinPattern = /^[0-9]{4,8}$/;
export const pinTries = 3;

// --- SELECT / INFO

export type CardState = 'blank' | 'active' | 'pin-blocked';
const cardStates: readonly CardState[] = ['blank', 'active', 'pin-blocked'];

export interface CardInfo {
  readonly cardId: string;
  readonly publicKey: Uint8Array;
  readonly state: CardState;
  /** Present once personalised. */
  readonly purse?: {
    readonly balance: Amount;
    readonly maximum: Amount;
    readonly sno: number;
    readonly loadCounter: number;
    readonly pinTriesLeft: number;
    readonly certificate: Uint8Array;
  };
}

export function encodeCardInfo(info: CardInfo): Uint8Array {
  return new CanonicalWriter()
    .string(info.cardId, 'cardId', 16)
    .fixed(info.publicKey, ed25519PublicKeyLength, 'publicKey')
    .u8(cardStates.indexOf(info.state), 'state')
    .optional(info.purse, 'purse', (w, purse) =>
      w
        .amount(purse.balance, 'balance')
        .amount(purse.maximum, 'maximum')
        .u32(purse.sno, 'sno')
        .u32(purse.loadCounter, 'loadCounter')
        .u8(purse.pinTriesLeft, 'pinTriesLeft')
        .bytes(purse.certificate, 'certificate'),
    )
    .finish();
}

export function decodeCardInfo(bytes: Uint8Array): CardInfo {
  return readAll(bytes, 'info', readCardInfo);
}

function readCardInfo(r: CanonicalReader): CardInfo {
  const cardId = kinds.cardId.read(r, 'info.cardId');
  const publicKey = r.fixed(ed25519PublicKeyLength, 'info.publicKey');
  const state = cardStates[r.u8('info.state')];
  if (state === undefined) {
    throw new FarthingError('invalid_encoding', '"info.state" is unknown', {
      details: { field: 'info.state' },
    });
  }
  const purse = r.optional('info.purse', (p) => ({
    balance: p.amount('info.balance'),
    maximum: p.amount('info.maximum'),
    sno: p.u32('info.sno'),
    loadCounter: p.u32('info.loadCounter'),
    pinTriesLeft: p.u8('info.pinTriesLeft'),
    certificate: p.bytes('info.certificate', maxCertificateLength),
  }));
  return { cardId, publicKey, state, ...(purse === undefined ? {} : { purse }) };
}

// --- VERIFY PIN

export function encodePin(pin: string): Uint8Array {
  if (!pinPattern.test(pin)) {
    throw new FarthingError('invalid_argument', 'a PIN is 4 to 8 digits', {
      details: { field: 'pin' },
    });
  }
  return new TextEncoder().encode(pin);
}

export function decodePin(bytes: Uint8Array): string {
  const pin = String.fromCharCode(...bytes);
  if (!pinPattern.test(pin)) {
    throw new FarthingError('invalid_encoding', 'a PIN is 4 to 8 digits', {
      details: { field: 'pin' },
    });
  }
  return pin;
}

// --- PERSONALISE (once, at the issuer)

const pin: kinds.PurseField<string> = {
  write: (w, value, field) => w.bytes(encodePin(value), field),
  read: (r, field) => decodePin(r.bytes(field, 8)),
};

const personalisationFields = {
  /** The card certificate the issuer's CA signed for this card's key. */
  certificate: kinds.bytes(maxCertificateLength),
  /** The issuer's CA certificate: the root the card authenticates merchants with. */
  issuerRoot: kinds.bytes(maxCertificateLength),
  /** The issuer's key that signs load authorizations. */
  issuerLoadKey: kinds.fixed(ed25519PublicKeyLength),
  pin,
  /** The most the card may hold; its currency is the card's. */
  maximum: kinds.amount,
};

export type Personalisation = kinds.PurseValue<typeof personalisationFields>;

/** PERSONALISE's data: the host encodes it, the card decodes it. */
export const personalisations = kinds.purseRecord('personalisation', personalisationFields);

// --- LOAD REQUEST data: the amount; LOAD response: the new balance and counter

export function encodeAmount(value: Amount): Uint8Array {
  return new CanonicalWriter().amount(value, 'amount').finish();
}

export function decodeAmount(bytes: Uint8Array, field = 'amount'): Amount {
  return readAll(bytes, field, (r) => r.amount(field));
}

const loadResultFields = { balance: kinds.amount, loadCounter: kinds.u32 };

export type LoadResult = kinds.PurseValue<typeof loadResultFields>;

/** LOAD's answer: the card encodes it, the host decodes it. */
export const loadResults = kinds.purseRecord('load', loadResultFields);

// --- PAY data: the signed challenge and the merchant's chain

export interface PayCommand {
  /** `purseChallenges.encode` bytes. */
  readonly challenge: Uint8Array;
  readonly merchantChain: readonly Uint8Array[];
}

export function encodePayCommand(command: PayCommand): Uint8Array {
  return new CanonicalWriter()
    .bytes(command.challenge, 'challenge')
    .list(command.merchantChain, 'merchantChain', (w, der) => w.bytes(der, 'certificate'))
    .finish();
}

export function decodePayCommand(bytes: Uint8Array): PayCommand {
  return readAll(bytes, 'pay', (r) => ({
    challenge: r.bytes('pay.challenge', 2048),
    merchantChain: r.list('pay.merchantChain', maxChainLength, (l) =>
      l.bytes('pay.certificate', maxCertificateLength),
    ),
  }));
}

// --- BALANCE

const balanceFields = { balance: kinds.amount, maximum: kinds.amount };

export type BalanceResult = kinds.PurseValue<typeof balanceFields>;

/**
 * BALANCE's answer: the card encodes it, the host decodes it. Its fields are read under their
 * own names (`maximum`, not `balance.maximum`).
 */
export const balances = kinds.purseRecord('balance', balanceFields, '');

// --- READ LOG: newest first

export type PurseLogEntry =
  | {
      readonly type: 'load';
      readonly amount: Amount;
      /** The load counter the authorization was bound to. */
      readonly loadCounter: number;
      readonly at: number;
    }
  | {
      readonly type: 'pay';
      readonly amount: Amount;
      readonly sno: number;
      readonly merchantId: string;
      readonly tno: number;
      readonly at: number;
    };

export function encodeLog(entries: readonly PurseLogEntry[]): Uint8Array {
  return new CanonicalWriter()
    .list(entries, 'log', (w, entry) => {
      switch (entry.type) {
        case 'load':
          w.u8(1, 'type').amount(entry.amount, 'amount').u32(entry.loadCounter, 'loadCounter');
          break;
        case 'pay':
          w.u8(2, 'type')
            .amount(entry.amount, 'amount')
            .u32(entry.sno, 'sno')
            .string(entry.merchantId, 'merchantId', maxMerchantIdLength)
            .u64(entry.tno, 'tno');
          break;
        default:
          entry satisfies never;
      }
      w.u64(entry.at, 'at');
    })
    .finish();
}

export function decodeLog(bytes: Uint8Array): PurseLogEntry[] {
  return readAll(bytes, 'log', (r) =>
    r.list('log', purseLogLength, (l): PurseLogEntry => {
      const type = l.u8('log.type');
      if (type === 1) {
        const amount = l.amount('log.amount');
        const loadCounter = l.u32('log.loadCounter');
        return { type: 'load', amount, loadCounter, at: l.u64('log.at') };
      }
      if (type === 2) {
        const amount = l.amount('log.amount');
        const sno = l.u32('log.sno');
        const merchantId = l.string('log.merchantId', maxMerchantIdLength);
        const tno = l.u64('log.tno');
        return { type: 'pay', amount, sno, merchantId, tno, at: l.u64('log.at') };
      }
      throw new FarthingError('invalid_encoding', '"log.type" is unknown', {
        details: { field: 'log.type' },
      });
    }),
  );
}
