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
import { cardId, fixed, type PurseValue, positiveAmount, u32, u64 } from './fields.ts';
import { purseMessage, type SignedPurseValue } from './signed.ts';

export const loadIdLength = 16;

// --- load request (card → bank)

const loadRequestFields = {
  cardId,
  /** The card's load counter now; the authorization will be bound to it. */
  loadCounter: u32,
  amount: positiveAmount,
};

export type PurseLoadRequest = PurseValue<typeof loadRequestFields>;
export type SignedPurseLoadRequest = SignedPurseValue<typeof loadRequestFields>;

/**
 * Load requests: `sign` checks one (a card id, an amount above zero) and signs it with the
 * card key; `verify` throws `bad_signature` unless the card key signed it.
 */
export const purseLoadRequests = purseMessage('purseLoadRequest', 1, loadRequestFields);

// --- load authorization (bank → card): the request it answers, then the issuer's own fields

const loadAuthorizationFields = {
  ...loadRequestFields,
  /** The issuer's id for this load, unique. */
  loadId: fixed(loadIdLength),
  /** Milliseconds since the Unix epoch, by the issuer's clock: the card's only trusted time. */
  issuedAt: u64,
};

export type PurseLoadAuthorization = PurseValue<typeof loadAuthorizationFields>;
export type SignedPurseLoadAuthorization = SignedPurseValue<typeof loadAuthorizationFields>;

/**
 * Load authorizations: `sign` checks one and signs it with the issuer's load key; `verify`
 * throws `bad_signature` unless the issuer's load key signed it.
 */
export const purseLoadAuthorizations = purseMessage(
  'purseLoadAuthorization',
  1,
  loadAuthorizationFields,
);
