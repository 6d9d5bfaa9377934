/**
 * One error class for the whole protocol, with a stable `code` per failure and the mapping
 * to RFC 9457 problem details (`application/problem+json`).
 *
 * Codes are part of the wire contract: tests assert on them, clients branch on them, and a
 * code is never renamed or reused for another failure. Add new ones here, grouped by flow.
 */

interface CodeInfo {
  /** HTTP status a server answers with when this error reaches the edge. */
  readonly status: number;
  /** RFC 9457 `title`: a short, human-readable summary that does not change per occurrence. */
  readonly title: string;
}

export const errorCatalog = {
  // --- calling conventions: a value handed to a function is of the wrong type, size or range
  invalid_argument: { status: 400, title: 'Invalid argument' },
  // --- wire: a message, encoding or header from another party is malformed
  invalid_message: { status: 400, title: 'Malformed message' },
  invalid_encoding: { status: 400, title: 'Malformed encoding' },
  malformed_header: { status: 400, title: 'Malformed HTTP header' },
  unsupported_version: { status: 400, title: 'Unsupported protocol version' },
  // --- amounts
  invalid_amount: { status: 400, title: 'Invalid amount' },
  unknown_currency: { status: 400, title: 'Unknown currency' },
  currency_mismatch: { status: 400, title: 'Currencies do not match' },
  amount_negative: { status: 400, title: 'Amount would be negative' },
  amount_overflow: { status: 400, title: 'Amount too large' },
  // --- signatures and keys
  invalid_key: { status: 400, title: 'Invalid key' },
  bad_signature: { status: 400, title: 'Signature does not verify' },
  // --- RFC 9474 blind RSA
  blind_rsa_message_too_long: { status: 400, title: 'Message too long for the RSA key' },
  blind_rsa_invalid_blinded_message: { status: 400, title: 'Blinded message out of range' },
  blind_rsa_not_invertible: { status: 500, title: 'Blinding factor not invertible' },
  blind_rsa_signing_failed: { status: 500, title: 'Blind signature failed its own check' },
  // --- e-cash coins and denominations
  unknown_denomination: { status: 404, title: 'Unknown denomination' },
  denomination_expired: { status: 410, title: 'Denomination no longer valid' },
  denomination_not_yet_valid: { status: 409, title: 'Denomination not yet valid' },
  coin_amount_mismatch: { status: 400, title: 'Coins do not add up to the price' },
  // --- PayWord
  payword_certificate_expired: { status: 410, title: 'PayWord user certificate expired' },
  payword_commitment_expired: { status: 410, title: 'PayWord commitment expired' },
  payword_vendor_mismatch: { status: 400, title: 'PayWord commitment made for another vendor' },
  payword_out_of_range: { status: 400, title: 'PayWord index out of range' },
  payword_replayed: { status: 409, title: 'PayWord already spent' },
  payword_mismatch: { status: 400, title: 'PayWord does not hash to the last accepted word' },
  payword_over_limit: { status: 402, title: 'PayWord commitment exceeds the credit limit' },
  // --- offers, credentials, receipts, access grants
  offer_expired: { status: 410, title: 'Offer expired' },
  offer_mismatch: { status: 400, title: 'Credential made for another offer' },
  merchant_mismatch: { status: 400, title: 'Made for another merchant' },
  instrument_not_accepted: { status: 400, title: 'Payment instrument not accepted' },
  receipt_expired: { status: 410, title: 'Receipt expired' },
  grant_expired: { status: 401, title: 'Access grant expired' },
  resource_mismatch: { status: 403, title: 'Access grant is for another resource' },
  // --- merchant SDK (merchant-sdk/)
  non_canonical_path: { status: 400, title: 'Request path not in canonical form' },
  payword_amount_mismatch: { status: 400, title: 'PayWords do not add up to the price' },
  payword_commitment_unknown: { status: 409, title: 'PayWord chain not known to this vendor' },
  bank_unavailable: { status: 503, title: 'Bank unavailable' },
  // --- certificates (X.509 merchant identity; the bank as certificate authority)
  certificate_invalid: { status: 400, title: 'Malformed or non-conforming certificate' },
  certificate_untrusted: { status: 403, title: 'Certificate not issued by a trusted bank' },
  certificate_expired: { status: 410, title: 'Certificate expired' },
  certificate_not_yet_valid: { status: 409, title: 'Certificate not yet valid' },
  certificate_wrong_purpose: { status: 403, title: 'Certificate not issued for this purpose' },
  certificate_origin_mismatch: { status: 403, title: 'Certificate does not name this origin' },
  registration_stale: { status: 400, title: 'Registration request too old or dated ahead' },
  registration_wrong_bank: { status: 400, title: 'Registration request made for another bank' },
  // --- bank: accounts, ledger, mint, broker
  invalid_credentials: { status: 401, title: 'Wrong name or password' },
  token_expired: { status: 401, title: 'Session expired' },
  insufficient_scope: { status: 403, title: 'Token lacks the required scope' },
  account_exists: { status: 409, title: 'Account name already taken' },
  insufficient_funds: { status: 409, title: 'Insufficient funds' },
  coin_already_spent: { status: 409, title: 'Coin already spent' },
  coin_invalid: { status: 400, title: 'Coin signature invalid' },
  issuance_conflict: { status: 409, title: 'Issuance id already used for another request' },
  idempotency_key_missing: { status: 428, title: 'Idempotency-Key header required' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused with another request' },
  unsupported_media_type: { status: 415, title: 'Expected application/json' },
  // --- hardware purse: HID framing (protocol/src/hid), the card (reader/), the issuer (bank/)
  hid_invalid_command: { status: 400, title: 'Unknown HID command' },
  hid_invalid_parameter: { status: 400, title: 'Invalid HID command parameter' },
  hid_invalid_length: { status: 400, title: 'HID message length out of range' },
  hid_invalid_sequence: { status: 400, title: 'HID continuation packet out of sequence' },
  hid_timeout: { status: 504, title: 'HID message not completed in time' },
  hid_channel_busy: { status: 409, title: 'HID device busy with another channel' },
  hid_invalid_channel: { status: 400, title: 'HID packet on an unallocated channel' },
  hid_corrupted: { status: 400, title: 'HID message failed its integrity check' },
  hid_disconnected: { status: 503, title: 'Reader disconnected' },
  purse_command_unknown: { status: 400, title: 'Card command not supported' },
  purse_not_personalised: { status: 409, title: 'Card not personalised yet' },
  purse_already_personalised: { status: 409, title: 'Card already personalised' },
  purse_pin_required: { status: 401, title: 'Card PIN not verified' },
  purse_pin_wrong: { status: 401, title: 'Wrong card PIN' },
  purse_pin_blocked: { status: 423, title: 'Card PIN blocked after too many wrong tries' },
  purse_insufficient_balance: { status: 409, title: 'Card balance too low' },
  purse_over_maximum: { status: 409, title: 'Load would exceed the card maximum' },
  purse_load_replayed: { status: 409, title: 'Load authorization already used' },
  purse_challenge_replayed: { status: 409, title: 'Merchant challenge already paid or stale' },
  purse_cancelled: { status: 409, title: 'Payment cancelled on the reader' },
  purse_wrong_card: { status: 400, title: 'Made for another card' },
  purse_card_unknown: { status: 404, title: 'Card not issued by this bank' },
  purse_card_blocked: { status: 423, title: 'Card blocked' },
  purse_proof_duplicate: { status: 409, title: 'Purse payment already cleared' },
  purse_window_open: { status: 409, title: 'Blocked card may still have proofs outstanding' },
  // --- hardware purse in the wallet (issue 17)
  purse_proof_unknown: { status: 404, title: 'The card has no payment for this challenge' },
  purse_not_cleared: { status: 402, title: 'The card issuer refused this purse payment' },
  purse_card_limit_reached: {
    status: 409,
    title: 'This account holds as many purse cards as it may',
  },
  // --- SET card payments (protocol/src/set/, bank/src/card/)
  card_invalid: { status: 400, title: 'Card number, expiry or card secret malformed' },
  card_unknown: { status: 404, title: 'No such card at this issuer' },
  card_expired: { status: 410, title: 'Card expired' },
  card_over_limit: { status: 402, title: 'Card credit limit exceeded' },
  card_registration_limit_reached: {
    status: 409,
    title: 'This card has as many cardholder certificates in force as it may',
  },
  set_envelope_invalid: { status: 400, title: 'Payment envelope cannot be opened' },
  set_dual_signature_invalid: { status: 400, title: 'Dual signature does not verify' },
  set_order_mismatch: { status: 400, title: 'Order information belongs to another order' },
  set_payment_mismatch: { status: 400, title: 'Payment information does not match the request' },
  set_gateway_mismatch: { status: 400, title: 'Payment information made for another gateway' },
  set_cardholder_revoked: { status: 403, title: 'Cardholder certificate revoked' },
  set_cardholder_mismatch: { status: 403, title: 'Cardholder certificate is for another card' },
  set_transaction_replayed: { status: 409, title: 'Transaction already authorized' },
  set_unknown_transaction: { status: 404, title: 'No such card transaction' },
  set_capture_exceeds_authorization: { status: 409, title: 'Capture above the authorized amount' },
  set_already_captured: { status: 409, title: 'Authorization already captured' },
  set_not_captured: { status: 409, title: 'Authorization not captured' },
  set_authorization_reversed: { status: 409, title: 'Authorization already reversed' },
  set_credit_exceeds_capture: { status: 409, title: 'Credit above the captured amount' },
  set_credit_reversed: { status: 409, title: 'Credit already reversed' },
  set_registration_unknown: { status: 404, title: 'No such cardholder registration' },
  // --- the bank's storage backends (bank/src/store/postgres)
  storage_operation_unsupported: {
    status: 501,
    title: "Not available on this bank's storage backend yet",
  },
  storage_contended: { status: 503, title: 'Too many conflicting requests; try again' },
  // --- generic HTTP outcomes other components answer with
  payment_required: { status: 402, title: 'Payment required' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  internal: { status: 500, title: 'Internal error' },
  // --- edge hardening (issue 18): credit limits at the shop, refusals from Node's HTTP layer
  payword_credit_limit_reached: {
    status: 402,
    title: 'PayWord certificate credit limit reached at this vendor',
  },
  request_header_fields_too_large: { status: 431, title: 'Request header fields too large' },
  malformed_http_request: { status: 400, title: 'Malformed HTTP request' },
  request_timeout: { status: 408, title: 'Request timed out' },
  // --- merchant origins proven before certification, and revocation (bank/src/ca/)
  origin_loopback_refused: { status: 403, title: 'Loopback origins only in development mode' },
  origin_taken: { status: 409, title: 'Origin certified to another merchant' },
  origin_not_proven: { status: 403, title: 'No proof of control of this origin' },
  origin_challenge_failed: { status: 403, title: 'Origin did not answer the challenge' },
  origin_challenge_unknown: { status: 404, title: 'No such origin challenge' },
  revocations_stale: { status: 409, title: 'Revocation list too old or dated ahead' },
  certificate_revoked: { status: 403, title: 'Certificate revoked' },
  // --- refunds (issue 20: bank/src/refunds/, merchant-sdk/src/server/refunds/)
  refund_exceeds_payment: { status: 409, title: 'Refund larger than what is left of the payment' },
  refund_not_settled: { status: 409, title: 'Payment not settled at the bank yet' },
  refund_id_reused: { status: 409, title: 'Refund id already used for another refund' },
  refund_instrument_unsupported: { status: 501, title: 'Refunds of this instrument not here' },
  refund_nothing_to_refresh: { status: 409, title: 'No refunded value left on this coin' },
  // --- refund requests for content not delivered (issue 20; merchant-sdk/src/server/refunds/)
  refund_request_refused: { status: 409, title: 'Refund request refused' },
  grant_refunded: { status: 403, title: 'Access grant refunded' },
  // --- proof of payment with the payer code (issue 20; bank/src/mint/payment-proofs.ts)
  payment_not_proven: {
    status: 403,
    title: 'These coins were not deposited under this payer code',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

export interface FarthingErrorOptions {
  /** Machine-readable facts about this occurrence (field name, expected vs. got, …). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * The error every protocol function throws on bad input.
 *
 * `shortMessage` says what went wrong and, where there is one, what to do; `message` adds the
 * code so logs are greppable. `details` are safe to send to the other party.
 */
export class FarthingError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'FarthingError' as const;
  readonly code: C;
  readonly shortMessage: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, shortMessage: string, options: FarthingErrorOptions = {}) {
    super(`${shortMessage} [${code}]`, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details ?? {};
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export function isFarthingError<C extends ErrorCode>(
  error: unknown,
  code?: C,
): error is FarthingError<C> {
  return error instanceof FarthingError && (code === undefined || error.code === code);
}

// --- argument checks shared by every module (noble-style: name the field, say expected vs. got)

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length}-byte Uint8Array`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return typeof value;
}

/** `invalid_argument`: `field` is not of the `expected` type at all. */
function wrongType(field: string, expected: string, value: unknown): FarthingError {
  const got = describe(value);
  return new FarthingError('invalid_argument', `expected ${expected} "${field}", got ${got}`, {
    details: { field, expected, got },
  });
}

/** Throws `invalid_argument` unless `value` is a Uint8Array (of `length` bytes when given). */
export function assertBytes(
  value: unknown,
  field: string,
  length?: number,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw wrongType(field, 'Uint8Array', value);
  if (length !== undefined && value.length !== length) {
    throw new FarthingError(
      'invalid_argument',
      `expected ${length}-byte Uint8Array "${field}", got ${value.length}`,
      { details: { field, expected: length, got: value.length } },
    );
  }
}

/** Throws `invalid_argument` unless `value` is a safe integer within [min, max]. */
export function assertInteger(
  value: unknown,
  field: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw wrongType(field, 'integer', value);
  }
  if (value < min || value > max) {
    throw new FarthingError(
      'invalid_argument',
      `expected "${field}" in [${min}, ${max}], got ${value}`,
      { details: { field, min, max, got: value } },
    );
  }
}

/** Throws `invalid_argument` unless `value` is a well-formed string of 1..maxLength code units. */
export function assertString(
  value: unknown,
  field: string,
  maxLength = 2048,
): asserts value is string {
  if (typeof value !== 'string') throw wrongType(field, 'string', value);
  if (value.length === 0 || value.length > maxLength || !value.isWellFormed()) {
    throw new FarthingError(
      'invalid_argument',
      `expected non-empty well-formed string "${field}" of at most ${maxLength} characters`,
      { details: { field, maxLength, got: value.length } },
    );
  }
}

/** `invalid_argument` naming `field`: `"field" message` (e.g. `"coins" must list 1 to 256 …`). */
export function invalidArgument(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `"${field}" ${message}`, { details: { field } });
}

// --- RFC 9457 problem details

export const problemContentType = 'application/problem+json';

/** RFC 9457 §3: `type` is a URI; ours are URNs, one per stable code. */
export const problemTypePrefix = 'urn:farthing:problem:';

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly instance?: string;
  /** Extension members (RFC 9457 §3.2) from the error's `details`. */
  readonly [extension: string]: unknown;
}

const reservedMembers = new Set(['type', 'title', 'status', 'detail', 'code', 'instance']);

/**
 * Renders an error as RFC 9457 problem details. Anything that is not a `FarthingError` becomes
 * `internal` without its message, so server internals never leak to the other party.
 */
export function toProblemDetails(error: unknown, instance?: string): ProblemDetails {
  const known = error instanceof FarthingError ? error : undefined;
  const code: ErrorCode = known?.code ?? 'internal';
  const info = errorCatalog[code];
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(known?.details ?? {})) {
    if (!reservedMembers.has(key)) extensions[key] = value;
  }
  return {
    ...extensions,
    type: `${problemTypePrefix}${code}`,
    title: info.title,
    status: info.status,
    detail: known?.shortMessage ?? 'The server could not complete the request.',
    code,
    ...(instance === undefined ? {} : { instance }),
  };
}

/** A `Response` carrying the problem, with the content type RFC 9457 §3 registers. */
export function problemResponse(
  error: unknown,
  init: { instance?: string; headers?: HeadersInit } = {},
): Response {
  const problem = toProblemDetails(error, init.instance);
  const headers = new Headers(init.headers);
  headers.set('content-type', problemContentType);
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

/**
 * Turns a problem document received from another party back into a `FarthingError`. A body
 * that is not one of ours (unknown code, wrong shape) becomes `invalid_message`.
 */
export function fromProblemDetails(body: unknown): FarthingError {
  if (typeof body !== 'object' || body === null) {
    return new FarthingError('invalid_message', 'expected a problem details object', {
      details: { field: 'problem' },
    });
  }
  const record = body as Record<string, unknown>;
  const code = record.code;
  if (!isErrorCode(code) || record.type !== `${problemTypePrefix}${code}`) {
    return new FarthingError('invalid_message', 'problem details carry no known error code', {
      details: { field: 'code' },
    });
  }
  const detail = typeof record.detail === 'string' ? record.detail : errorCatalog[code].title;
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!reservedMembers.has(key)) details[key] = value;
  }
  return new FarthingError(code, detail, { details });
}
