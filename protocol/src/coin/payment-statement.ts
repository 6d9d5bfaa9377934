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
import { type Amount, formatAmount } from '../amount.ts';
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { assertBytes, FarthingError } from '../errors.ts';
import { amountSchema, bytesSchema, identifierSchema, timestampSchema } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';

/** The signed message type (tag, version, name), declared once. */
export const paymentStatementType: SignedMessageType<1> = signedMessageType('paymentStatement', 1);
export const paymentStatementVersion = paymentStatementType.version;
export const maxStatementCoins = 256;

export interface PaymentStatement {
  readonly version: typeof paymentStatementVersion;
  readonly merchantId: string;
  readonly offerHash: Uint8Array;
  readonly payerCodeHash: Uint8Array;
  /** Coin public keys, sorted bytewise. */
  readonly coins: readonly Uint8Array[];
  /** What the coins paid together. */
  readonly total: Amount;
  /** When the mint recorded the deposit (the latest coin's, if several deposits). */
  readonly depositedAt: number;
  /** When the mint made this statement. */
  readonly issuedAt: number;
  readonly signature: Uint8Array;
}

export type UnsignedPaymentStatement = Omit<PaymentStatement, 'signature'>;

export function sortedCoins(coins: readonly Uint8Array[]): Uint8Array[] {
  return [...coins].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i]! - b[i]!;
    }
    return a.length - b.length;
  });
}

export function paymentStatementSigningBytes(statement: UnsignedPaymentStatement): Uint8Array {
  if (statement.coins.length === 0 || statement.coins.length > maxStatementCoins) {
    throw new FarthingError(
      'invalid_argument',
      `a statement names 1 to ${maxStatementCoins} coins`,
      {
        details: { field: 'coins' },
      },
    );
  }
  return paymentStatementType.signingBytes((w) => {
    w.string(statement.merchantId, 'merchantId', 128)
      .fixed(statement.offerHash, 32, 'offerHash')
      .fixed(statement.payerCodeHash, 32, 'payerCodeHash')
      .amount(statement.total, 'total')
      .u64(statement.depositedAt, 'depositedAt')
      .u64(statement.issuedAt, 'issuedAt')
      .u16(statement.coins.length, 'coins.length');
    for (const coin of sortedCoins(statement.coins)) w.fixed(coin, 32, 'coin');
  });
}

export async function signPaymentStatement(
  statement: UnsignedPaymentStatement,
  signer: Ed25519Signer,
): Promise<PaymentStatement> {
  const coins = sortedCoins(statement.coins);
  const unsigned = { ...statement, coins };
  const bytes = paymentStatementSigningBytes(unsigned);
  return { ...unsigned, signature: await paymentStatementType.sign(bytes, signer) };
}

/** Throws `bad_signature` unless the mint's master key signed exactly this statement. */
export function verifyPaymentStatement(
  statement: PaymentStatement,
  mintMasterKey: Uint8Array,
  verify: Ed25519Verify,
): void {
  assertBytes(mintMasterKey, 'mintMasterKey', 32);
  paymentStatementType.checkSignature({
    verify,
    verifyField: 'verify',
    signature: statement.signature,
    bytes: paymentStatementSigningBytes(statement),
    publicKey: mintMasterKey,
    by: 'this mint',
  });
}

export const paymentStatementSchema = v.strictObject({
  version: paymentStatementType.versionSchema,
  merchantId: identifierSchema,
  offerHash: bytesSchema(32),
  payerCodeHash: bytesSchema(32),
  coins: v.pipe(v.array(bytesSchema(32)), v.minLength(1), v.maxLength(maxStatementCoins)),
  total: amountSchema,
  depositedAt: timestampSchema,
  issuedAt: timestampSchema,
  signature: bytesSchema(64),
});

export type PaymentStatementWire = v.InferInput<typeof paymentStatementSchema>;

export function paymentStatementToWire(statement: PaymentStatement): PaymentStatementWire {
  return {
    version: statement.version,
    merchantId: statement.merchantId,
    offerHash: toBase64url(statement.offerHash),
    payerCodeHash: toBase64url(statement.payerCodeHash),
    coins: statement.coins.map((coin) => toBase64url(coin)),
    total: formatAmount(statement.total),
    depositedAt: statement.depositedAt,
    issuedAt: statement.issuedAt,
    signature: toBase64url(statement.signature),
  };
}

/** What the wallet sends the mint: the coins of one payment and the payer code's preimage. */
export const paymentProofRequestSchema = v.strictObject({
  coins: v.pipe(v.array(bytesSchema(32)), v.minLength(1), v.maxLength(maxStatementCoins)),
  payerCode: bytesSchema(32),
});
