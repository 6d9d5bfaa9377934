/**
 * A signed message's fields, declared once as a table of field kinds (message-field-kinds.ts):
 * each field says how a value handed to a function is checked (`invalid_argument` naming the
 * field), how it is written into the signing bytes, how it is parsed from the wire (its
 * valibot schema) and how it is written to the wire. `signedMessageFields` turns a message
 * type (signed-message.ts: tag, version, name) and such a table into what every signed message
 * used to write by hand: the boundary check, the signing bytes, the strict wire schema
 * (`version` first, `signature` last), the wire form in the same order, signing and the
 * merchant's signature check; `signedMessage` declares the type and the table in one call,
 * and `Unsigned`, `Signed`, `SignedWire` name the types a declaration derives. The table-level
 * pieces (`assertFieldValues`, `writeFieldValues`, `fieldValuesToWire`, `fieldSchemaEntries`)
 * serve messages of another envelope too (payword/wire.ts).
 *
 * The table's order is the wire order, and the signing order unless the message says
 * otherwise (`signingOrder`), so the bytes of a message already signed never change.
 */
import * as v from 'valibot';
import { type Ed25519Signer, ed25519SignatureLength } from './ed25519.ts';
import { type CanonicalWriter, type SigningTagName, toBase64url } from './encoding.ts';
import { assertBytes, invalidArgument } from './errors.ts';
import type { MessageField } from './message-field-kinds.ts';
import { bytesSchema, parseMessage } from './schema.ts';
import {
  type MerchantSignatureParameters,
  type SignedMessageType,
  signedMessageType,
} from './signed-message.ts';

export {
  amountField,
  bytesField,
  choiceField,
  identifierField,
  listField,
  type MessageField,
  optionalField,
  positiveAmountField,
  resourceField,
  timestampField,
} from './message-field-kinds.ts';
export type { MerchantSignatureParameters } from './signed-message.ts';

// biome-ignore lint/suspicious/noExplicitAny: a table holds fields of every value type
type AnyField = MessageField<any, any, v.GenericSchema<any, any>>;
export type FieldTable = { readonly [name: string]: AnyField };

type ValueOf<F> = F extends {
  readonly write: (w: CanonicalWriter, value: infer T, f: string) => void;
}
  ? T
  : never;
type WireOf<F> = F extends { readonly toWire: (value: never) => infer W } ? W : never;
type IsOptional<F> = F extends { readonly optional: true } ? true : false;

/** `M`, a type per field of `F`, with the members of `F`'s optional fields optional. */
type Members<F extends FieldTable, M extends { readonly [K in keyof F]: unknown }> = {
  readonly [K in keyof F as IsOptional<F[K]> extends true ? never : K]: M[K];
} & {
  readonly [K in keyof F as IsOptional<F[K]> extends true ? K : never]?: Exclude<M[K], undefined>;
};

/** The in-memory fields of a table (optional ones may be absent, never `undefined`). */
export type FieldValues<F extends FieldTable> = Members<F, { [K in keyof F]: ValueOf<F[K]> }>;

/** The wire members of a table's fields (optional ones may be absent). */
export type FieldWires<F extends FieldTable> = Members<F, { [K in keyof F]: WireOf<F[K]> }>;

/** A message of version `V` with the fields of `F`, before it is signed. */
export type MessageValue<V extends number, F extends FieldTable> = {
  readonly version: V;
} & FieldValues<F>;
export type SignedMessageValue<V extends number, F extends FieldTable> = MessageValue<V, F> & {
  readonly signature: Uint8Array;
};
/** Its wire JSON without the signature: `version` first, then the fields in table order. */
export type MessageWire<F extends FieldTable> = { readonly version: number } & FieldWires<F>;
export type SignedMessageWire<F extends FieldTable> = MessageWire<F> & {
  readonly signature: string;
};

type SignatureSchema = ReturnType<typeof bytesSchema>;
export type MessageSchemaEntries<V extends number, F extends FieldTable> = {
  readonly version: v.GenericSchema<unknown, V>;
} & { readonly [K in keyof F]: F[K]['schema'] } & { readonly signature: SignatureSchema };

// --- tables

const member = (message: object, name: string): unknown =>
  (message as Record<string, unknown>)[name];

/**
 * Checks every field of `table` in `message` (table order), naming each `name` or, with
 * `prefix`, `prefix.name`.
 */
export function assertFieldValues(table: FieldTable, message: object, prefix?: string): void {
  for (const [name, field] of Object.entries(table)) {
    field.assert(member(message, name), prefix === undefined ? name : `${prefix}.${name}`);
  }
}

/** Writes the fields of `table` in `message` into the signing bytes, in table order. */
export function writeFieldValues(
  writer: CanonicalWriter,
  table: FieldTable,
  message: object,
): void {
  for (const [name, field] of Object.entries(table))
    field.write(writer, member(message, name), name);
}

/** The wire members of the fields of `table` in `message`, in table order; absent ones left out. */
export function fieldValuesToWire<F extends FieldTable>(table: F, message: object): FieldWires<F> {
  const wire: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(table)) {
    const value = member(message, name);
    if (value !== undefined) wire[name] = field.toWire(value);
  }
  return wire as FieldWires<F>;
}

/** The valibot entries of `table`'s fields, in table order. */
export function fieldSchemaEntries<F extends FieldTable>(
  table: F,
): { readonly [K in keyof F]: F[K]['schema'] } {
  const entries: Record<string, v.GenericSchema> = {};
  for (const [name, field] of Object.entries(table)) entries[name] = field.schema;
  return entries as { readonly [K in keyof F]: F[K]['schema'] };
}

// --- messages

export interface SignedMessageFieldsOptions<V extends number, F extends FieldTable> {
  /** What `invalid_argument` names when the message is not an object at all. */
  readonly argument: string;
  /** The order the fields are signed in, where it is not the table's (wire) order. */
  readonly signingOrder?: readonly (keyof F & string)[];
  /** Checks between fields, run after every field's own check. */
  readonly check?: (message: MessageValue<V, F>) => void;
}

export interface SignedMessageFields<V extends number, F extends FieldTable> {
  readonly type: SignedMessageType<V>;
  readonly fields: F;
  /**
   * Throws `invalid_argument` naming the first field that breaks its rule (or `argument` when
   * the message is no object), `unsupported_version` for another version.
   */
  assert(message: MessageValue<V, F>): void;
  /** The message of this type's version with the table's members of `values`, no others. */
  create(values: FieldValues<F>): MessageValue<V, F>;
  /** `assert`, then the signing bytes under the type's tag and version. */
  signingBytes(message: MessageValue<V, F>): Uint8Array;
  /** Writes the fields in signing order, unchecked (the writer checks sizes and types). */
  writeFields(writer: CanonicalWriter, message: MessageValue<V, F>): void;
  /** The signing bytes of a message this module has checked already (no check again). */
  checkedSigningBytes(message: MessageValue<V, F>): Uint8Array;
  /** The strict wire schema: version, the fields, the signature. */
  readonly schema: v.StrictObjectSchema<MessageSchemaEntries<V, F>, undefined>;
  /** `assert`, then the wire JSON without the signature, in wire order. */
  toWire(message: MessageValue<V, F>): MessageWire<F>;
  /** The wire JSON of a message already checked, without the signature. */
  checkedToWire(message: MessageValue<V, F>): MessageWire<F>;
  /** `toWire` with the signature (checked to be 64 bytes) as the last member. */
  signedToWire(message: SignedMessageValue<V, F>): SignedMessageWire<F>;
  /** `signedToWire` of a message and signature the caller knows valid (made or parsed here). */
  checkedSignedToWire(message: SignedMessageValue<V, F>): SignedMessageWire<F>;
  /**
   * Validates a received message (`invalid_message` / `unsupported_version` naming the field,
   * then the message's own `check`), frozen; its signature is the caller's to check.
   */
  parse(input: unknown): SignedMessageValue<V, F>;
  /** The message signed by `signer` (`type.sign`, naming it `signerField`), frozen. */
  sign(
    message: MessageValue<V, F>,
    signer: Pick<Ed25519Signer, 'sign'>,
    signerField?: string,
  ): Promise<SignedMessageValue<V, F>>;
  /** Throws `bad_signature` unless the merchant's key signed `message`. */
  checkMerchantSignature(
    message: SignedMessageValue<V, F>,
    parameters: MerchantSignatureParameters,
  ): void;
}

export function signedMessageFields<V extends number, F extends FieldTable>(
  type: SignedMessageType<V>,
  fields: F,
  options: SignedMessageFieldsOptions<V, F>,
): SignedMessageFields<V, F> {
  const inSigningOrder: FieldTable = options.signingOrder
    ? Object.fromEntries(options.signingOrder.map((name) => [name, fields[name]!]))
    : fields;
  const { argument, check } = options;

  function create(values: FieldValues<F>): MessageValue<V, F> {
    const message: Record<string, unknown> = { version: type.version };
    for (const name of Object.keys(fields)) {
      const value = member(values, name);
      if (value !== undefined) message[name] = value;
    }
    return message as MessageValue<V, F>;
  }

  function assert(message: MessageValue<V, F>): void {
    if (typeof message !== 'object' || message === null) {
      throw invalidArgument(argument, 'must be an object');
    }
    type.assertVersion(message.version);
    assertFieldValues(fields, message);
    check?.(message);
  }

  function writeFields(writer: CanonicalWriter, message: MessageValue<V, F>): void {
    writeFieldValues(writer, inSigningOrder, message);
  }

  function checkedSigningBytes(message: MessageValue<V, F>): Uint8Array {
    return type.signingBytes((writer) => writeFields(writer, message));
  }

  function signingBytes(message: MessageValue<V, F>): Uint8Array {
    assert(message);
    return checkedSigningBytes(message);
  }

  function wireOf(message: MessageValue<V, F>): Record<string, unknown> {
    return { version: message.version, ...fieldValuesToWire(fields, message) };
  }

  function checkedToWire(message: MessageValue<V, F>): MessageWire<F> {
    return wireOf(message) as MessageWire<F>;
  }

  function checkedSignedToWire(message: SignedMessageValue<V, F>): SignedMessageWire<F> {
    const wire = wireOf(message);
    wire.signature = toBase64url(message.signature);
    return wire as SignedMessageWire<F>;
  }

  function toWire(message: MessageValue<V, F>): MessageWire<F> {
    assert(message);
    return checkedToWire(message);
  }

  const schema = v.strictObject({
    version: type.versionSchema,
    ...fieldSchemaEntries(fields),
    signature: bytesSchema(ed25519SignatureLength),
  }) as unknown as v.StrictObjectSchema<MessageSchemaEntries<V, F>, undefined>;

  return Object.freeze({
    type,
    fields,
    create,
    assert,
    writeFields,
    signingBytes,
    checkedSigningBytes,
    schema,
    toWire,
    checkedToWire,
    signedToWire(message: SignedMessageValue<V, F>): SignedMessageWire<F> {
      assert(message);
      assertBytes(message.signature, 'signature', ed25519SignatureLength);
      return checkedSignedToWire(message);
    },
    checkedSignedToWire,
    parse(input: unknown): SignedMessageValue<V, F> {
      const parsed = parseMessage(schema, input, type.what) as SignedMessageValue<V, F>;
      check?.(parsed);
      return Object.freeze(parsed) as SignedMessageValue<V, F>;
    },
    async sign(
      message: MessageValue<V, F>,
      signer: Pick<Ed25519Signer, 'sign'>,
      signerField?: string,
    ) {
      const signature = await type.sign(signingBytes(message), signer, signerField);
      return Object.freeze({ ...message, signature }) as SignedMessageValue<V, F>;
    },
    checkMerchantSignature(
      message: SignedMessageValue<V, F>,
      parameters: MerchantSignatureParameters,
    ): void {
      type.checkMerchantSignature(message?.signature, signingBytes(message), parameters);
    },
  });
}

/**
 * A signed message declared once, in its own module: its type (`tag`, `version`, the name
 * errors give it, signed-message.ts) and its field table. The module then names what it
 * derives: `Unsigned<typeof m>`, `Signed<typeof m>`, `SignedWire<typeof m>`.
 */
export function signedMessage<V extends number, F extends FieldTable>(
  tag: SigningTagName,
  version: V,
  fields: F,
  options: SignedMessageFieldsOptions<V, F> & { readonly what?: string },
): SignedMessageFields<V, F> {
  return signedMessageFields(signedMessageType(tag, version, options.what), fields, options);
}

/** A declared message's value before it is signed. */
export type Unsigned<M> =
  M extends SignedMessageFields<infer V, infer F> ? MessageValue<V, F> : never;
/** A declared message's value with its signature. */
export type Signed<M> =
  M extends SignedMessageFields<infer V, infer F> ? SignedMessageValue<V, F> : never;
/** A declared message's wire JSON without the signature. */
export type UnsignedWire<M> =
  M extends SignedMessageFields<number, infer F> ? MessageWire<F> : never;
/** A declared message's wire JSON with the signature. */
export type SignedWire<M> =
  M extends SignedMessageFields<number, infer F> ? SignedMessageWire<F> : never;
