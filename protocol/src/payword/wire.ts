/**
 * What the PayWord certificate and commitment share, from one field table each (the table
 * kinds of message-fields.ts): the values carry no `version` in memory; the wire form puts
 * `version: 1` first and the Ed25519 signature last as unpadded base64url, and an expiry that
 * must come after the message's start (`issuedAt`, `createdAt`); a value handed in is checked
 * naming each field under the argument's name (`certificate.expiresAt`), and its signing bytes
 * are its fields in table order under the message type's tag and version. Who signs each
 * message is declared with it too (`PaywordSigner`): how its errors name the signer, and the
 * key that must sign where the message names it (a commitment's certified user key).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import type { Amount } from '../amount.ts';
import {
  type Ed25519Signer,
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '../ed25519.ts';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, assertInteger, invalidArgument } from '../errors.ts';
import {
  amountField,
  assertFieldValues,
  type FieldTable,
  type FieldValues,
  type FieldWires,
  fieldSchemaEntries,
  fieldValuesToWire,
  type MessageField,
  writeFieldValues,
} from '../message-fields.ts';
import { bytesSchema, countSchema, parseMessage } from '../schema.ts';
import type { SignedMessageType } from '../signed-message.ts';
import { assertAmount, assertObject } from './arguments.ts';

/** The wire version of every PayWord message. */
export const paywordWireVersion = 1;

/** An amount whose errors keep the amount module's code and name the field. */
export const paywordAmountField: MessageField<Amount, string> = {
  ...amountField,
  assert: assertAmount,
};

/** A whole number from `min` to `max`, written as u32 (a chain length). */
export function u32Field(min: number, max: number): MessageField<number, number> {
  return {
    assert: (value, field) => assertInteger(value, field, min, max),
    write: (writer, value, field) => writer.u32(value, field),
    schema: v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max)),
    toWire: (value) => value,
  };
}

/** A count or serial number, written as u64. */
export const u64Field: MessageField<number, number> = {
  assert: (value, field) => assertInteger(value, field),
  write: (writer, value, field) => writer.u64(value, field),
  schema: countSchema,
  toWire: (value) => value,
};

/** A signed PayWord message in memory: its fields and the signature. */
export type SignedPaywordMessage<F extends FieldTable> = FieldValues<F> & {
  readonly signature: Uint8Array;
};

/** Its JSON: `version: 1`, the fields in table order, the signature. */
export type SignedPaywordJson<F extends FieldTable> = { readonly version: 1 } & FieldWires<F> & {
    readonly signature: string;
  };

export interface PaywordMessageFields<F extends FieldTable> {
  readonly type: SignedMessageType<1>;
  readonly fields: F;
  /** `invalid_argument` (or the amount module's code) naming `argument.field`. */
  assertFields(value: unknown, argument: string): void;
  /**
   * `assertFields`, then the signature: 64 bytes, named `argument.signature` (`argument`
   * defaults to the message's: `certificate`, `commitment`). Checks a message's shape, not its
   * signature: for callers that hold one in memory.
   */
  assertSigned(value: unknown, argument?: string): void;
  /** `assertFields` under the message's argument name, then the signing bytes. */
  signingBytes(value: FieldValues<F>): Uint8Array;
  /**
   * SHA-256 of the signing bytes: what names the message (a commitment signs its certificate's
   * id in place of the whole certificate; payments and redemptions name the commitment by
   * its id). Strict Ed25519 signatures are not malleable, so the content alone names it.
   */
  id(value: FieldValues<F>): Uint8Array;
  /**
   * The message signed by `signer`, frozen: its fields checked, then the message's own `check`
   * and, where it names one, that `signer` holds the key the message says must sign;
   * `invalid_argument` naming the signer (`brokerSigner`, `userSigner`) otherwise.
   */
  sign(value: FieldValues<F>, signer: Ed25519Signer): Promise<SignedPaywordMessage<F>>;
  /**
   * Throws `bad_signature` naming `argument.signature` and the signer's details unless
   * `publicKey` made `message.signature` over `bytes`, the message's signing bytes.
   */
  checkSignature(
    message: SignedPaywordMessage<F>,
    bytes: Uint8Array,
    publicKey: Uint8Array,
    verify: Ed25519Verify,
  ): void;
  /** The strict wire schema; parses to the message without its version. */
  readonly schema: v.GenericSchema<SignedPaywordJson<F>, SignedPaywordMessage<F>>;
  /** `assertSigned`, then the JSON: bytes as unpadded base64url, amounts as `EUR 10.00`. */
  toJson(message: SignedPaywordMessage<F>): SignedPaywordJson<F>;
  /** Parses the wire form: `invalid_message` (or the field's own code) naming the field. */
  parse(json: unknown): SignedPaywordMessage<F>;
}

/** Who signs a PayWord message, as its errors say it. */
export interface PaywordSigner<F extends FieldTable> {
  /** What names the signer handed to `sign` (`brokerSigner`). */
  readonly argument: string;
  /** Who should have signed, as `bad_signature` says it: "the broker". */
  readonly by: string;
  /** What of the message `bad_signature`'s details name (the broker's id). */
  readonly details: (value: FieldValues<F>) => Readonly<Record<string, unknown>>;
  /** The key that must sign, where the message names it. */
  readonly key?: (value: FieldValues<F>) => Uint8Array;
}

export interface PaywordMessageOptions<F extends FieldTable> {
  /** What names a value handed in (`certificate`). */
  readonly argument: string;
  /** The field `expiresAt` must come after. */
  readonly start: keyof F & string;
  readonly signer: PaywordSigner<F>;
  /** The message's own rules between fields, checked by `sign` before it signs. */
  readonly check?: (value: FieldValues<F>) => void;
}

/**
 * The PayWord message of `type` with the fields of `fields` (wire and signing order), named
 * and checked as `options` says.
 */
export function paywordMessageFields<F extends FieldTable>(
  type: SignedMessageType<1>,
  fields: F,
  options: PaywordMessageOptions<F>,
): PaywordMessageFields<F> {
  const { argument, start, signer: signedBy, check } = options;
  const times = (value: unknown) => value as Record<string, number>;

  function assertFields(value: unknown, field: string): void {
    assertObject(value, field);
    assertFieldValues(fields, value, field);
    const { expiresAt, [start]: begins } = times(value);
    assertInteger(expiresAt, `${field}.expiresAt`, (begins as number) + 1);
  }

  function assertSigned(value: unknown, field = argument): void {
    assertFields(value, field);
    assertBytes(times(value).signature, `${field}.signature`, ed25519SignatureLength);
  }

  function signingBytes(value: FieldValues<F>): Uint8Array {
    assertFields(value, argument);
    return type.signingBytes((writer) => writeFieldValues(writer, fields, value));
  }

  const copy = (value: unknown) => (value instanceof Uint8Array ? value.slice() : value);

  const schema = v.pipe(
    v.strictObject({
      version: v.literal(paywordWireVersion),
      ...fieldSchemaEntries(fields),
      signature: bytesSchema(ed25519SignatureLength),
    }),
    v.check(
      (message) => times(message).expiresAt! > times(message)[start]!,
      `expiresAt must be after ${start}`,
    ),
    v.transform(({ version: _, ...message }) => message as unknown as SignedPaywordMessage<F>),
  ) as unknown as v.GenericSchema<SignedPaywordJson<F>, SignedPaywordMessage<F>>;

  return Object.freeze({
    type,
    fields,
    assertFields,
    assertSigned,
    signingBytes,
    id: (value: FieldValues<F>) => sha256(signingBytes(value)),
    async sign(value: FieldValues<F>, signer: Ed25519Signer) {
      const bytes = signingBytes(value);
      check?.(value);
      if (signedBy.key !== undefined) {
        assertObject(signer, signedBy.argument);
        const key = `${signedBy.argument}.publicKey`;
        assertBytes(signer.publicKey, key, ed25519PublicKeyLength);
        if (!equalBytes(signer.publicKey, signedBy.key(value))) {
          throw invalidArgument(key, `is not the key that must sign this ${type.what}`);
        }
      }
      const signature = await type.sign(bytes, signer, signedBy.argument);
      const message: Record<string, unknown> = {};
      for (const name of Object.keys(fields)) message[name] = copy(times(value)[name]);
      message.signature = signature.slice();
      return Object.freeze(message) as SignedPaywordMessage<F>;
    },
    checkSignature(
      message: SignedPaywordMessage<F>,
      bytes: Uint8Array,
      publicKey: Uint8Array,
      verify: Ed25519Verify,
    ) {
      type.checkSignature({
        verify,
        verifyField: 'verify',
        signature: message.signature,
        bytes,
        publicKey,
        by: signedBy.by,
        field: `${argument}.signature`,
        details: signedBy.details(message),
      });
    },
    schema,
    toJson(message: SignedPaywordMessage<F>): SignedPaywordJson<F> {
      assertSigned(message, argument);
      return {
        version: paywordWireVersion,
        ...fieldValuesToWire(fields, message),
        signature: toBase64url(message.signature),
      } as SignedPaywordJson<F>;
    },
    parse: (json: unknown) => parseMessage(schema, json, type.what),
  });
}
