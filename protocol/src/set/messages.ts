/**
 * SET's wire messages: each a JSON object `{ type, body, signature }` whose `signature` is its
 * sender's Ed25519 signature over the canonical bytes of `type` and `body` (signing tag
 * `setMessage`, version 1, then the body's fields in the order listed here). One table of
 * message types below gives each its fields; from it come the valibot schema that checks a
 * message at the edge and the canonical encoding that is signed, so the two never disagree.
 *
 * Who signs what (SET Book 1 §3: every message signed, and encrypted where it must be):
 *
 *   cardholder  cardholder-registration, certificate-query, purchase-initiation,
 *               purchase-request, purchase-inquiry       (its cardholder key)
 *   merchant    purchase-initiation-response, purchase-response, purchase-inquiry-response,
 *               purchase-notification, and every request to the gateway     (its offer key,
 *               certified by the bank's merchant certificate)
 *   bank        cardholder-registration-response, certificate-query-response and every
 *               gateway response                (the gateway's signature-certificate key)
 */
import * as v from 'valibot';
import { type Amount, formatAmount } from '../amount.ts';
import { type Ed25519Signer, type Ed25519Verify, nobleEd25519Verify } from '../ed25519.ts';
import { type CanonicalWriter, signingBytes, toBase64url } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import {
  amountSchema,
  bytesSchema,
  identifierSchema,
  parseMessage,
  timestampSchema,
} from '../schema.ts';
import { encapsulatedKeyLength, type SealedEnvelope } from './hpke.ts';
import {
  digestLength,
  dualSignatureLength,
  nonceLength,
  sealedEnvelopeSchema,
} from './purchase.ts';

// --- field kinds: schema, canonical encoding and wire form of each

interface Kind<T, W> {
  readonly schema: v.GenericSchema<W, T>;
  write(writer: CanonicalWriter, value: T, field: string): void;
  toWire(value: T): W;
}

const b64 = (bytes: Uint8Array) => toBase64url(bytes);
const maxCertificates = 4;

const kinds = {
  id: {
    schema: identifierSchema,
    write: (w, value, field) => w.string(value, field),
    toWire: (value) => value,
  } satisfies Kind<string, string>,
  status: {
    schema: v.pipe(v.string(), v.regex(/^[a-z][a-z_-]{0,31}$/)),
    write: (w, value, field) => w.string(value, field),
    toWire: (value) => value,
  } satisfies Kind<string, string>,
  amount: {
    schema: amountSchema,
    write: (w, value, field) => w.amount(value, field),
    toWire: formatAmount,
  } satisfies Kind<Amount, string>,
  time: {
    schema: timestampSchema,
    write: (w, value, field) => w.u64(value, field),
    toWire: (value) => value,
  } satisfies Kind<number, number>,
  flag: {
    schema: v.boolean(),
    write: (w, value, field) => w.bool(value, field),
    toWire: (value) => value,
  } satisfies Kind<boolean, boolean>,
  digest: {
    schema: bytesSchema(digestLength),
    write: (w, value, field) => w.fixed(value, digestLength, field),
    toWire: b64,
  } satisfies Kind<Uint8Array, string>,
  nonce: {
    schema: bytesSchema(nonceLength),
    write: (w, value, field) => w.fixed(value, nonceLength, field),
    toWire: b64,
  } satisfies Kind<Uint8Array, string>,
  key: {
    schema: bytesSchema(32),
    write: (w, value, field) => w.fixed(value, 32, field),
    toWire: b64,
  } satisfies Kind<Uint8Array, string>,
  dualSignature: {
    schema: bytesSchema(dualSignatureLength),
    write: (w, value, field) => w.fixed(value, dualSignatureLength, field),
    toWire: b64,
  } satisfies Kind<Uint8Array, string>,
  certificates: {
    schema: v.pipe(v.array(bytesSchema()), v.minLength(1), v.maxLength(maxCertificates)),
    write: (w, value, field) => w.list(value, field, (l, der, i) => l.bytes(der, `${field}.${i}`)),
    toWire: (value) => value.map(b64),
  } satisfies Kind<Uint8Array[], string[]>,
  envelope: {
    schema: sealedEnvelopeSchema,
    write: (w, value, field) =>
      w.fixed(value.enc, encapsulatedKeyLength, `${field}.enc`).bytes(value.ciphertext, field),
    toWire: (value) => ({ enc: b64(value.enc), ciphertext: b64(value.ciphertext) }),
  } satisfies Kind<SealedEnvelope, { enc: string; ciphertext: string }>,
} as const;

type KindName = keyof typeof kinds;
type KindValue<K extends KindName> = (typeof kinds)[K] extends Kind<infer T, unknown> ? T : never;

// --- the messages

/** A gateway's answer to every request about a card transaction: where the money stands. */
const gatewayResponse = {
  transactionId: 'id',
  status: 'status',
  authorized: 'amount',
  captured: 'amount',
  credited: 'amount',
  respondedAt: 'time',
} as const;

const transactionAmountRequest = {
  transactionId: 'id',
  merchantId: 'id',
  amount: 'amount',
  requestedAt: 'time',
} as const;

const creditRequest = {
  transactionId: 'id',
  merchantId: 'id',
  creditId: 'id',
  amount: 'amount',
  requestedAt: 'time',
} as const;

const registrationResponse = {
  registrationId: 'id',
  status: 'status',
  certificates: 'certificates',
  respondedAt: 'time',
} as const;

const purchaseStatus = {
  transactionId: 'id',
  status: 'status',
  amount: 'amount',
  at: 'time',
} as const;

/** The state a cardholder is told of: the status and what was captured and given back. */
const purchaseState = { ...purchaseStatus, captured: 'amount', credited: 'amount' } as const;

export const setMessageFields = {
  'cardholder-registration': {
    registrationId: 'id',
    cardholderPublicKey: 'key',
    /** HPKE to the cardholder CA's key-exchange key: `{ pan, expiry, cardSecret }`. */
    cardEnvelope: 'envelope',
    requestedAt: 'time',
  },
  'cardholder-registration-response': registrationResponse,
  'certificate-query': { registrationId: 'id', requestedAt: 'time' },
  'certificate-query-response': registrationResponse,
  'purchase-initiation': { orderDigest: 'digest', nonce: 'nonce' },
  'purchase-initiation-response': {
    transactionId: 'id',
    merchantId: 'id',
    amount: 'amount',
    orderDigest: 'digest',
    merchantCertificates: 'certificates',
    gatewaySignatureCertificates: 'certificates',
    gatewayKeyExchangeCertificates: 'certificates',
  },
  'purchase-request': {
    transactionId: 'id',
    merchantId: 'id',
    gatewayFingerprint: 'digest',
    amount: 'amount',
    orderDigest: 'digest',
    nonce: 'nonce',
    piDigest: 'digest',
    piEnvelope: 'envelope',
    dualSignature: 'dualSignature',
    cardholderCertificates: 'certificates',
  },
  'purchase-response': { ...purchaseStatus, receiptId: 'id' },
  'purchase-inquiry': { transactionId: 'id', requestedAt: 'time' },
  'purchase-inquiry-response': purchaseState,
  'purchase-notification': purchaseState,
  'authorization-request': {
    transactionId: 'id',
    merchantId: 'id',
    amount: 'amount',
    oiDigest: 'digest',
    piEnvelope: 'envelope',
    dualSignature: 'dualSignature',
    cardholderCertificates: 'certificates',
    /** A sale: capture at once. */
    capture: 'flag',
    requestedAt: 'time',
  },
  'authorization-response': gatewayResponse,
  'capture-request': transactionAmountRequest,
  'capture-response': gatewayResponse,
  'authorization-reversal-request': transactionAmountRequest,
  'authorization-reversal-response': gatewayResponse,
  'capture-reversal-request': transactionAmountRequest,
  'capture-reversal-response': gatewayResponse,
  'credit-request': creditRequest,
  'credit-response': gatewayResponse,
  'credit-reversal-request': creditRequest,
  'credit-reversal-response': gatewayResponse,
} as const satisfies Record<string, Record<string, KindName>>;

export type SetMessageType = keyof typeof setMessageFields;
export const setMessageTypes = Object.keys(setMessageFields) as SetMessageType[];

/** The body of a message of type `T`, as the program holds it. */
export type SetMessageBody<T extends SetMessageType> = {
  -readonly [F in keyof (typeof setMessageFields)[T]]: (typeof setMessageFields)[T][F] extends KindName
    ? KindValue<(typeof setMessageFields)[T][F]>
    : never;
};

export interface SetMessage<T extends SetMessageType> {
  readonly type: T;
  readonly body: SetMessageBody<T>;
  readonly signature: Uint8Array;
}

function fieldsOf(type: SetMessageType): [string, KindName][] {
  const fields = setMessageFields[type] as Record<string, KindName> | undefined;
  if (fields === undefined) {
    throw new FarthingError('invalid_argument', `unknown SET message type "${String(type)}"`, {
      details: { field: 'type' },
    });
  }
  return Object.entries(fields);
}

/** The bytes the sender signs: tag, version, type, then every body field in table order. */
export function setMessageSigningBytes<T extends SetMessageType>(
  type: T,
  body: SetMessageBody<T>,
): Uint8Array {
  const values = body as Record<string, unknown>;
  return signingBytes('setMessage', 1, (w) => {
    w.string(type, 'type');
    for (const [field, kind] of fieldsOf(type)) {
      (kinds[kind] as Kind<unknown, unknown>).write(w, values[field], `body.${field}`);
    }
  });
}

export async function signSetMessage<T extends SetMessageType>(
  type: T,
  body: SetMessageBody<T>,
  signer: Ed25519Signer,
): Promise<SetMessage<T>> {
  const signature = await signer.sign(setMessageSigningBytes(type, body));
  return { type, body, signature };
}

/** Throws `bad_signature` unless the message verifies under `publicKey`. */
export function verifySetMessage(
  message: SetMessage<SetMessageType>,
  publicKey: Uint8Array,
  ed25519Verify: Ed25519Verify = nobleEd25519Verify,
): void {
  const bytes = setMessageSigningBytes(message.type, message.body);
  if (message.signature.length !== 64 || !ed25519Verify(message.signature, bytes, publicKey)) {
    throw new FarthingError('bad_signature', `the ${message.type} is not signed by its sender`, {
      details: { field: 'signature', message: message.type },
    });
  }
}

/** The JSON form of a message. */
export function setMessageToWire<T extends SetMessageType>(message: SetMessage<T>) {
  const values = message.body as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [field, kind] of fieldsOf(message.type)) {
    body[field] = (kinds[kind] as Kind<unknown, unknown>).toWire(values[field]);
  }
  return { type: message.type, body, signature: toBase64url(message.signature) };
}

const schemas = new Map<SetMessageType, v.GenericSchema>();

/** The valibot schema of a message of `type` in its wire form. */
export function setMessageSchema<T extends SetMessageType>(
  type: T,
): v.GenericSchema<unknown, SetMessage<T>> {
  let schema = schemas.get(type);
  if (schema === undefined) {
    const entries: Record<string, v.GenericSchema> = {};
    for (const [field, kind] of fieldsOf(type)) entries[field] = kinds[kind].schema;
    schema = v.strictObject({
      type: v.literal(type),
      body: v.strictObject(entries),
      signature: bytesSchema(64),
    });
    schemas.set(type, schema);
  }
  return schema as v.GenericSchema<unknown, SetMessage<T>>;
}

/** Parses a wire message of `type`; `invalid_message` naming the field when it is not one. */
export function parseSetMessage<T extends SetMessageType>(type: T, input: unknown): SetMessage<T> {
  return parseMessage(setMessageSchema(type), input, type);
}
