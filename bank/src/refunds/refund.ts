/**
 * A merchant refunds a payment (issue 20): the bank checks the refund is signed with the
 * merchant's certified offer key (so an API key alone, leaked from a shop's configuration,
 * cannot move money back and forth without the signing key), names this merchant, and then
 * records it and moves the money in one transaction (store/refund-store.ts).
 *
 * E-cash: the value is credited back to the coins deposited for the payment; their owner
 * turns it into fresh coins with the coins' keys (refresh.ts). The merchant learns nothing of
 * the payer, and the mint learns only what the deposit already told it.
 * PayWord: the broker credits the account behind the commitment's user certificate.
 */
import { createHash } from 'node:crypto';
import { amount, formatAmount } from '@farthing/protocol/amount';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { type RefundWire, refunds, type SignedRefund } from '@farthing/protocol/refund';
import type { BankContext } from '../http/context.ts';
import type { RefundRecord } from '../store/refund-store.ts';
import type { AccountRecord, IdempotencyClaim } from '../store/store.ts';

/** What the bank answers for a refund (and again for a retry). */
export interface RefundView {
  readonly refundId: string;
  readonly instrument: 'ecash' | 'payword';
  readonly amount: string;
  /** The merchant-signed refund as recorded: what the wallet is shown. */
  readonly refund: RefundWire;
  readonly createdAt: number;
}

export function refundView(record: RefundRecord): RefundView {
  return {
    refundId: record.refundId,
    instrument: record.instrument,
    amount: formatAmount(amount(record.currency, record.amount)),
    refund: JSON.parse(record.statement) as RefundWire,
    createdAt: record.createdAt,
  };
}

/** Deposit ids are kept per merchant (mint/deposit.ts): `<merchant account id>:<its id>`. */
export const storedDepositId = (merchant: AccountRecord, depositId: string) =>
  `${merchant.id}:${depositId}`;

/** Throws `bad_signature` unless one of the merchant's unrevoked certificates' keys signed. */
async function checkSignedByMerchant(
  ctx: BankContext,
  merchant: AccountRecord,
  refund: SignedRefund,
): Promise<void> {
  if (refund.merchantId !== merchant.name) {
    throw new FarthingError('merchant_mismatch', 'the refund names another merchant', {
      details: { field: 'merchantId' },
    });
  }
  const certificates = await ctx.store.listMerchantCertificates(merchant.id);
  const keys = certificates.filter((c) => c.revokedAt === undefined).map((c) => c.offerKey);
  const seen = new Set<string>();
  for (const key of keys) {
    const text = toBase64url(key);
    if (seen.has(text)) continue;
    seen.add(text);
    try {
      refunds.checkMerchantSignature(refund, {
        merchantPublicKey: key,
        ed25519Verify: nodeEd25519Verify,
      });
      return;
    } catch {
      // another certificate's key may have signed it
    }
  }
  throw new FarthingError('bad_signature', "the refund is not signed with the merchant's key", {
    details: { field: 'signature' },
  });
}

export async function refundPayment(
  ctx: BankContext,
  merchant: AccountRecord,
  input: unknown,
  claim: IdempotencyClaim,
): Promise<RefundView> {
  const stored = await ctx.store.findIdempotentResult(claim);
  if (stored !== undefined) return stored as RefundView;
  const refund = refunds.parse(input);
  await checkSignedByMerchant(ctx, merchant, refund);
  if (refund.amount.currency !== merchant.currency) {
    throw new FarthingError('currency_mismatch', `refunds here are in ${merchant.currency}`, {
      details: { field: 'amount' },
    });
  }
  // The signed bytes are the refund: equal for a retry, different for any other refund.
  const requestHash = new Uint8Array(
    createHash('sha256').update(refunds.signingBytes(refund)).digest(),
  );
  const common = {
    merchantId: merchant.id,
    refundId: refund.refundId,
    receiptId: refund.receiptId,
    currency: refund.amount.currency,
    amount: refund.amount.minor,
    paid: refund.paid.minor,
    statement: JSON.stringify(input),
    createdAt: ctx.now(),
    requestHash,
    now: ctx.now(),
  };
  const parameters =
    refund.instrument === 'ecash'
      ? {
          ...common,
          instrument: 'ecash' as const,
          payment: storedDepositId(merchant, refund.payment),
          offerHash: refund.offerHash,
        }
      : {
          ...common,
          instrument: 'payword' as const,
          payment: refund.payment,
          commitmentId: fromBase64url(refund.payment, 'payment', 32),
        };
  return ctx.store.refunds.refund(parameters, refundView, claim);
}
