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
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { assertBytes, assertInteger } from '../errors.ts';
import { signedMessageType } from '../signed-message.ts';
import { assertCardId } from './card-certificate.ts';
import {
  positive,
  purseMessage,
  readCardId,
  readPositiveAmount,
  type SignedBytes,
} from './signed.ts';

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

const loadRequests = purseMessage<PurseLoadRequest>({
  type: signedMessageType('purseLoadRequest', purseLoadVersion, 'load request'),
  field: 'loadRequest',
  write: (w, request) =>
    w
      .string(request.cardId, 'cardId', 16)
      .u32(request.loadCounter, 'loadCounter')
      .amount(request.amount, 'amount'),
  read: (r) => ({
    cardId: readCardId(r, 'loadRequest'),
    loadCounter: r.u32('loadRequest.loadCounter'),
    amount: readPositiveAmount(r, 'loadRequest.amount'),
  }),
});

export async function signPurseLoadRequest(
  request: PurseLoadRequest,
  signer: Ed25519Signer,
): Promise<SignedPurseLoadRequest> {
  assertCardId(request.cardId);
  positive(request.amount, 'amount');
  return loadRequests.sign(request, signer);
}

export const encodePurseLoadRequest: (signed: SignedPurseLoadRequest) => Uint8Array =
  loadRequests.encode;

export const decodePurseLoadRequest: (bytes: Uint8Array) => SignedPurseLoadRequest =
  loadRequests.decode;

/** `bad_signature` unless the card key signed it. */
export const verifyPurseLoadRequest: (
  signed: SignedPurseLoadRequest,
  cardPublicKey: Uint8Array,
  verify?: Ed25519Verify,
) => void = loadRequests.verify;

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

const loadAuthorizations = purseMessage<PurseLoadAuthorization>({
  type: signedMessageType('purseLoadAuthorization', purseLoadVersion, 'load authorization'),
  field: 'loadAuthorization',
  write: (w, authorization) =>
    w
      .string(authorization.cardId, 'cardId', 16)
      .u32(authorization.loadCounter, 'loadCounter')
      .amount(authorization.amount, 'amount')
      .fixed(authorization.loadId, loadIdLength, 'loadId')
      .u64(authorization.issuedAt, 'issuedAt'),
  read: (r) => ({
    cardId: readCardId(r, 'loadAuthorization'),
    loadCounter: r.u32('loadAuthorization.loadCounter'),
    amount: readPositiveAmount(r, 'loadAuthorization.amount'),
    loadId: r.fixed(loadIdLength, 'loadAuthorization.loadId'),
    issuedAt: r.u64('loadAuthorization.issuedAt'),
  }),
});

export async function signPurseLoadAuthorization(
  authorization: PurseLoadAuthorization,
  signer: Ed25519Signer,
): Promise<SignedPurseLoadAuthorization> {
  assertCardId(authorization.cardId);
  assertInteger(authorization.loadCounter, 'loadCounter', 0, 0xffffffff);
  positive(authorization.amount, 'amount');
  assertBytes(authorization.loadId, 'loadId', loadIdLength);
  return loadAuthorizations.sign(authorization, signer);
}

export const encodePurseLoadAuthorization: (signed: SignedPurseLoadAuthorization) => Uint8Array =
  loadAuthorizations.encode;

export const decodePurseLoadAuthorization: (bytes: Uint8Array) => SignedPurseLoadAuthorization =
  loadAuthorizations.decode;

export const verifyPurseLoadAuthorization: (
  signed: SignedPurseLoadAuthorization,
  issuerPublicKey: Uint8Array,
  verify?: Ed25519Verify,
) => void = loadAuthorizations.verify;
