/**
 * The wallet's payments (schema.ts's `payments` store): one record per payment, tagged by the
 * instrument that pays it, each instrument's fields on its own variant (version 7).
 *
 * Versions 1–6 stored one flat record whose e-cash fields (`coins`, `payerCode`) and PayWord
 * fields (`chainId`, `index`, `firstUse`) were all optional; each release wrote them with their
 * instrument only, so `paymentFromVersion6` keeps those of the record's instrument, drops the
 * others, and gives `firstUse` (written only when true) its value.
 *
 * The record is read as data from an older version, so it is checked here (STYLE.md 4). A field
 * no release left out is filled so the record reads as its type says: an e-cash payment without a
 * payer code gets a fresh one (a proof of payment for it then fails at the bank, which is true:
 * the wallet cannot prove it), a PayWord payment without a chain names none (`''`), so settling
 * or refusing it touches no chain. A record that is not a payment at all is left as it was.
 */
import { randomPayerCode } from '@farthing/protocol/coin/derivation';
import * as v from 'valibot';
import type { WalletErrorJson } from '../../messages/contract.ts';
import type { Money } from '../money.ts';

export type PaymentStatus = 'reserved' | 'sent' | 'confirmed' | 'failed';

/** What every payment holds, whatever pays it. */
interface PaymentRecordBase {
  readonly id: string;
  readonly offerHash: string;
  readonly offerToken: string;
  readonly origin: string;
  readonly resource: string;
  readonly navigateTo: string;
  readonly title: string;
  readonly merchantId: string;
  readonly merchantName: string;
  readonly offerPublicKey: Uint8Array;
  readonly payEndpoint: string;
  readonly bankUrl: string;
  readonly price: Money;
  readonly status: PaymentStatus;
  readonly taskId: string;
  readonly createdAt: number;
  /** The credential exactly as sent (JSON text); resending it is answered with the same receipt. */
  readonly credential?: string;
  readonly receiptId?: string;
  readonly grantExpiresAt?: number;
  readonly error?: WalletErrorJson;
}

/** E-cash: the coins promised, and the payer code whose hash their permissions carry. */
export interface EcashPaymentRecord extends PaymentRecordBase {
  readonly instrument: 'ecash';
  readonly coins: readonly string[];
  readonly payerCode: Uint8Array;
}

/** PayWord: the chain, the index revealed, and whether the commitment went along. */
export interface PaywordPaymentRecord extends PaymentRecordBase {
  readonly instrument: 'payword';
  readonly chainId: string;
  readonly index: number;
  readonly firstUse: boolean;
}

/** The hardware purse: its challenge and proof live in `purseProofs` (purse/records.ts). */
export interface PursePaymentRecord extends PaymentRecordBase {
  readonly instrument: 'purse';
}

/**
 * A payment, tagged by what pays it (version 7; before, one flat record with each instrument's
 * fields optional: `paymentFromVersion6` below). Card purchases are `cardPayments`.
 */
export type PaymentRecord = EcashPaymentRecord | PaywordPaymentRecord | PursePaymentRecord;
export type PaymentInstrument = PaymentRecord['instrument'];

const storedPayment = v.looseObject({
  id: v.string(),
  instrument: v.picklist(['ecash', 'payword', 'purse']),
  status: v.picklist(['reserved', 'sent', 'confirmed', 'failed']),
  coins: v.optional(v.array(v.string())),
  payerCode: v.optional(v.instance(Uint8Array)),
  chainId: v.optional(v.string()),
  index: v.optional(v.number()),
  firstUse: v.optional(v.boolean()),
});

/** A version 6 payment as version 7 stores it; undefined when `stored` is no payment. */
export function paymentFromVersion6(stored: unknown): PaymentRecord | undefined {
  const parsed = v.safeParse(storedPayment, stored);
  if (!parsed.success) return undefined;
  const { coins, payerCode, chainId, index, firstUse, ...base } = parsed.output;
  // The rest of the record is as version 6 wrote it, field for field (looseObject keeps it).
  const common = base as Omit<PaymentRecord, 'instrument'> & { instrument: unknown };
  switch (base.instrument) {
    case 'ecash':
      return {
        ...common,
        instrument: 'ecash',
        coins: coins ?? [],
        payerCode: payerCode ?? randomPayerCode(),
      };
    case 'payword':
      return {
        ...common,
        instrument: 'payword',
        chainId: chainId ?? '',
        index: index ?? 0,
        firstUse: firstUse === true,
      };
    case 'purse':
      return { ...common, instrument: 'purse' };
    default:
      return base.instrument satisfies never;
  }
}
