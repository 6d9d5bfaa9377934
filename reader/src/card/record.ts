/**
 * What the card keeps in its EEPROM, and its byte form in the state file (storage.ts): the
 * project's canonical encoding, read back strictly, behind a magic and a version.
 */
import type { Amount } from '@farthing/protocol/amount';
import { CanonicalReader } from '@farthing/protocol/canonical-reader';
import { CanonicalWriter, utf8Bytes } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import {
  decodeLog,
  encodeLog,
  maxCertificateLength,
  type PurseLogEntry,
} from '@farthing/protocol/purse/card-commands';

export const recordVersion = 1;
const magic = utf8Bytes('farthing-purse-card');

export interface SeenChallenge {
  readonly nonce: Uint8Array;
  readonly at: number;
}

export interface PurseRecord {
  readonly certificate: Uint8Array;
  readonly issuerRoot: Uint8Array;
  readonly issuerLoadKey: Uint8Array;
  readonly pinSalt: Uint8Array;
  /** SHA-256(salt ‖ PIN). */
  readonly pinHash: Uint8Array;
  readonly pinTriesLeft: number;
  readonly maximum: Amount;
  readonly balance: Amount;
  /** Sequence number of the last payment (0 before the first). */
  readonly sno: number;
  /** The counter the next load authorization must carry. */
  readonly loadCounter: number;
  /** The latest issuer time the card has seen (from load authorizations). */
  readonly clock: number;
  /** Challenges older than this are refused (see applet.ts, replay). */
  readonly challengeFloor: number;
  readonly seenChallenges: readonly SeenChallenge[];
  /** Newest first, at most 15. */
  readonly log: readonly PurseLogEntry[];
}

export interface CardRecord {
  readonly cardId: string;
  /** The card key's 32-byte Ed25519 seed; never leaves the card. */
  readonly secretKey: Uint8Array;
  /** Undefined while the card is blank. */
  readonly purse: PurseRecord | undefined;
}

export const maxSeenChallenges = 64;

export function encodeCardRecord(record: CardRecord): Uint8Array {
  return new CanonicalWriter()
    .bytes(magic, 'magic')
    .u16(recordVersion, 'version')
    .string(record.cardId, 'cardId', 16)
    .fixed(record.secretKey, 32, 'secretKey')
    .optional(record.purse, 'purse', (w, p) =>
      w
        .bytes(p.certificate, 'certificate')
        .bytes(p.issuerRoot, 'issuerRoot')
        .fixed(p.issuerLoadKey, 32, 'issuerLoadKey')
        .fixed(p.pinSalt, 16, 'pinSalt')
        .fixed(p.pinHash, 32, 'pinHash')
        .u8(p.pinTriesLeft, 'pinTriesLeft')
        .amount(p.maximum, 'maximum')
        .amount(p.balance, 'balance')
        .u32(p.sno, 'sno')
        .u32(p.loadCounter, 'loadCounter')
        .u64(p.clock, 'clock')
        .u64(p.challengeFloor, 'challengeFloor')
        .list(p.seenChallenges, 'seenChallenges', (l, seen) =>
          l.fixed(seen.nonce, 32, 'nonce').u64(seen.at, 'at'),
        )
        .bytes(encodeLog(p.log), 'log'),
    )
    .finish();
}

export function decodeCardRecord(bytes: Uint8Array): CardRecord {
  const r = new CanonicalReader(bytes);
  const head = r.bytes('magic', 64);
  if (head.length !== magic.length || !head.every((b, i) => b === magic[i])) {
    throw new FarthingError('invalid_encoding', 'the card state file is not a purse card', {
      details: { field: 'magic' },
    });
  }
  if (r.u16('version') !== recordVersion) {
    throw new FarthingError('unsupported_version', 'the card state file has another version');
  }
  const cardId = r.string('cardId', 16);
  const secretKey = r.fixed(32, 'secretKey');
  const purse = r.optional('purse', (p) => ({
    certificate: p.bytes('certificate', maxCertificateLength),
    issuerRoot: p.bytes('issuerRoot', maxCertificateLength),
    issuerLoadKey: p.fixed(32, 'issuerLoadKey'),
    pinSalt: p.fixed(16, 'pinSalt'),
    pinHash: p.fixed(32, 'pinHash'),
    pinTriesLeft: p.u8('pinTriesLeft'),
    maximum: p.amount('maximum'),
    balance: p.amount('balance'),
    sno: p.u32('sno'),
    loadCounter: p.u32('loadCounter'),
    clock: p.u64('clock'),
    challengeFloor: p.u64('challengeFloor'),
    seenChallenges: p.list('seenChallenges', maxSeenChallenges, (l) => ({
      nonce: l.fixed(32, 'nonce'),
      at: l.u64('at'),
    })),
    log: decodeLog(p.bytes('log', 1 << 14)),
  }));
  r.end('card state');
  return { cardId, secretKey, purse };
}
