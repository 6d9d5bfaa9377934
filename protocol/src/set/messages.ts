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
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { bytesSchema, parseMessage } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
import {
  type SetFieldKind,
  type SetFieldValue,
  setFieldSchemas,
  setFieldsToWire,
  writeSetFields,
} from './fields.ts';
import { orderInformationFields } from './purchase.ts';

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
  /** OI, then what the merchant needs to check DS and pass PI on. */
  'purchase-request': {
    ...orderInformationFields,
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
} as const satisfies Record<string, Record<string, SetFieldKind>>;

export type SetMessageType = keyof typeof setMessageFields;
export const setMessageTypes = Object.keys(setMessageFields) as SetMessageType[];

/** The body of a message of type `T`, as the program holds it. */
export type SetMessageBody<T extends SetMessageType> = {
  -readonly [F in keyof (typeof setMessageFields)[T]]: (typeof setMessageFields)[T][F] extends SetFieldKind
    ? SetFieldValue<(typeof setMessageFields)[T][F]>
    : never;
};

export interface SetMessage<T extends SetMessageType> {
  readonly type: T;
  readonly body: SetMessageBody<T>;
  readonly signature: Uint8Array;
}

/**
 * Every message type is signed under the one tag `setMessage`, version 1, with its type as the
 * first field, so a message read as another type never verifies; errors name the type.
 */
const signedTypes = new Map<SetMessageType, SignedMessageType<1>>(
  setMessageTypes.map((type) => [type, signedMessageType('setMessage', 1, type)]),
);

function fieldsOf(type: SetMessageType): {
  readonly fields: Readonly<Record<string, SetFieldKind>>;
  readonly signed: SignedMessageType<1>;
} {
  const signed = signedTypes.get(type);
  if (signed === undefined) {
    throw new FarthingError('invalid_argument', `unknown SET message type "${String(type)}"`, {
      details: { field: 'type' },
    });
  }
  return { fields: setMessageFields[type], signed };
}

/** The bytes the sender signs: tag, version, type, then every body field in table order. */
export function setMessageSigningBytes<T extends SetMessageType>(
  type: T,
  body: SetMessageBody<T>,
): Uint8Array {
  const { fields, signed } = fieldsOf(type);
  return signed.signingBytes((w) => {
    w.string(type, 'type');
    writeSetFields(w, fields, body, 'body.');
  });
}

export async function signSetMessage<T extends SetMessageType>(
  type: T,
  body: SetMessageBody<T>,
  signer: Ed25519Signer,
): Promise<SetMessage<T>> {
  const signature = await fieldsOf(type).signed.sign(setMessageSigningBytes(type, body), signer);
  return { type, body, signature };
}

/** Throws `bad_signature` unless the message verifies under `publicKey`. */
export function verifySetMessage(
  message: SetMessage<SetMessageType>,
  publicKey: Uint8Array,
  ed25519Verify?: Ed25519Verify,
): void {
  fieldsOf(message.type).signed.checkSignature({
    verify: ed25519Verify,
    signature: message.signature,
    bytes: setMessageSigningBytes(message.type, message.body),
    publicKey,
    by: 'its sender',
    details: { message: message.type },
  });
}

/** The JSON form of a message. */
export function setMessageToWire<T extends SetMessageType>(message: SetMessage<T>) {
  const body = setFieldsToWire(fieldsOf(message.type).fields, message.body);
  return { type: message.type, body, signature: toBase64url(message.signature) };
}

const schemas = new Map<SetMessageType, v.GenericSchema>();

/** The valibot schema of a message of `type` in its wire form. */
export function setMessageSchema<T extends SetMessageType>(
  type: T,
): v.GenericSchema<unknown, SetMessage<T>> {
  let schema = schemas.get(type);
  if (schema === undefined) {
    schema = v.strictObject({
      type: v.literal(type),
      body: v.strictObject(setFieldSchemas(fieldsOf(type).fields)),
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
