/**
 * Proof of payment (DESIGN.md "E-cash": "the payer can prove a payment later by revealing the
 * payer code"; seed 004 "Proving the Payment"). Every deposit permission of a payment carries
 * `payerCodeHash` of one secret payer code the wallet keeps. Shown that code, the mint checks
 * that each named coin was deposited under a permission carrying its hash, and signs with its
 * master key a statement: "coins C… were deposited by merchant M for offer H at time T".
 * Without the code, the mint says nothing: the coins stay unlinkable to anyone.
 *
 * Signed over `signingBytes('paymentStatement', 1, …)`, never JSON; the coins sorted, so one
 * payment has one statement whatever order the wallet listed them in.
 */
import * as v from 'valibot';
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { compareBytes, toBase64url } from '../encoding.ts';
import { assertBytes, invalidArgument } from '../errors.ts';
import {
  amountField,
  bytesField,
  identifierField,
  type MessageField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from '../message-fields.ts';
import { bytesSchema } from '../schema.ts';

export const maxStatementCoins = 256;

export function sortedCoins(coins: readonly Uint8Array[]): Uint8Array[] {
  return [...coins].sort(compareBytes);
}

const coinKeysSchema = v.pipe(
  v.array(bytesSchema(32)),
  v.minLength(1),
  v.maxLength(maxStatementCoins),
);

/** Coin public keys: 1 to 256, signed sorted bytewise behind a u16 count. */
const coinKeysField: MessageField<readonly Uint8Array[], string[]> = {
  assert(value, field) {
    if (!Array.isArray(value) || value.length === 0 || value.length > maxStatementCoins) {
      throw invalidArgument(field, `must name 1 to ${maxStatementCoins} coins`);
    }
    for (const [index, coin] of value.entries()) assertBytes(coin, `${field}.${index}`, 32);
  },
  write(writer, coins, field) {
    writer.u16(coins.length, `${field}.length`);
    for (const coin of sortedCoins(coins)) writer.fixed(coin, 32, 'coin');
  },
  schema: coinKeysSchema,
  toWire: (coins) => coins.map((coin) => toBase64url(coin)),
};

/**
 * Payment statements, declared once: the type (tag, version) and the fields in wire order, the
 * coins signed last. `signingBytes` gives the bytes the mint's master key signs; `schema` and
 * `signedToWire` are the wire form.
 */
export const paymentStatements = signedMessage(
  'paymentStatement',
  1,
  {
    merchantId: identifierField,
    offerHash: bytesField(32),
    payerCodeHash: bytesField(32),
    /** Coin public keys, sorted bytewise. */
    coins: coinKeysField,
    /** What the coins paid together. */
    total: amountField,
    /** When the mint recorded the deposit (the latest coin's, if several deposits). */
    depositedAt: timestampField,
    /** When the mint made this statement. */
    issuedAt: timestampField,
  },
  {
    argument: 'statement',
    signingOrder: [
      'merchantId',
      'offerHash',
      'payerCodeHash',
      'total',
      'depositedAt',
      'issuedAt',
      'coins',
    ],
  },
);

export type UnsignedPaymentStatement = Unsigned<typeof paymentStatements>;
export type PaymentStatement = Signed<typeof paymentStatements>;

export async function signPaymentStatement(
  statement: UnsignedPaymentStatement,
  signer: Ed25519Signer,
): Promise<PaymentStatement> {
  return paymentStatements.sign({ ...statement, coins: sortedCoins(statement.coins) }, signer);
}

/** Throws `bad_signature` unless the mint's master key signed exactly this statement. */
export function verifyPaymentStatement(
  statement: PaymentStatement,
  mintMasterKey: Uint8Array,
  verify: Ed25519Verify,
): void {
  assertBytes(mintMasterKey, 'mintMasterKey', 32);
  paymentStatements.type.checkSignature({
    verify,
    verifyField: 'verify',
    signature: statement.signature,
    bytes: paymentStatements.signingBytes(statement),
    publicKey: mintMasterKey,
    by: 'this mint',
  });
}

export type PaymentStatementWire = SignedWire<typeof paymentStatements>;

/** What the wallet sends the mint: the coins of one payment and the payer code's preimage. */
export const paymentProofRequestSchema = v.strictObject({
  coins: coinKeysSchema,
  payerCode: bytesSchema(32),
});
