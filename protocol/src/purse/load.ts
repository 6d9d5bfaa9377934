/**
 * Loading the purse (DESIGN.md "Hardware purse"; CEPS's "initialize for load" and "credit for
 * load" in today's cryptography). Two signed structures:
 *
 * 1. The **load request**, signed by the card after the holder's PIN verified on the card:
 *    "card C, at load counter n, asks for amount A". The bank checks it against the card
 *    certificate, so the PIN check stays on the card, yet the bank debits the account only
 *    for a request the card made with the right PIN.
 * 2. The **load authorization**, signed by the issuer: "credit amount A to card C at load
 *    counter n". The card accepts it only at exactly that counter and then moves the counter
 *    on, so an authorization is usable once and only on its card.
 */
import type { Amount } from '../amount.ts';
import { signedMessageType } from '../signed-message.ts';
import { cardId, fixed, positiveAmount, u32, u64 } from './fields.ts';
import { purseMessage, type SignedBytes } from './signed.ts';

export const purseLoadVersion = 1;
export const loadIdLength = 16;

// --- load request (card → bank)

export interface PurseLoadRequest {
  readonly cardId: string;
  /** The card's load counter now; the authorization will be bound to it. */
  readonly loadCounter: number;
  readonly amount: Amount;
}

export interface SignedPurseLoadRequest extends PurseLoadRequest, SignedBytes {}

const loadRequests = purseMessage<PurseLoadRequest, SignedPurseLoadRequest>({
  type: signedMessageType('purseLoadRequest', purseLoadVersion, 'load request'),
  field: 'loadRequest',
  fields: { cardId, loadCounter: u32, amount: positiveAmount },
});

/** Checks the request (a card id, an amount above zero) and signs it with the card key. */
export const signPurseLoadRequest = loadRequests.sign;
export const encodePurseLoadRequest = loadRequests.encode;
export const decodePurseLoadRequest = loadRequests.decode;
/** `bad_signature` unless the card key signed it. */
export const verifyPurseLoadRequest = loadRequests.verify;

// --- load authorization (bank → card)

export interface PurseLoadAuthorization {
  readonly cardId: string;
  readonly loadCounter: number;
  readonly amount: Amount;
  /** The issuer's id for this load, unique. */
  readonly loadId: Uint8Array;
  /** Milliseconds since the Unix epoch, by the issuer's clock: the card's only trusted time. */
  readonly issuedAt: number;
}

export interface SignedPurseLoadAuthorization extends PurseLoadAuthorization, SignedBytes {}

const loadAuthorizations = purseMessage<PurseLoadAuthorization, SignedPurseLoadAuthorization>({
  type: signedMessageType('purseLoadAuthorization', purseLoadVersion, 'load authorization'),
  field: 'loadAuthorization',
  fields: {
    cardId,
    loadCounter: u32,
    amount: positiveAmount,
    loadId: fixed(loadIdLength),
    issuedAt: u64,
  },
});

/** Checks the authorization and signs it with the issuer's load key. */
export const signPurseLoadAuthorization = loadAuthorizations.sign;
export const encodePurseLoadAuthorization = loadAuthorizations.encode;
export const decodePurseLoadAuthorization = loadAuthorizations.decode;
/** `bad_signature` unless the issuer's load key signed it. */
export const verifyPurseLoadAuthorization = loadAuthorizations.verify;
