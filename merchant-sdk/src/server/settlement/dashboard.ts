/**
 * What a merchant dashboard shows, read from the store: earnings per instrument, PayWord value
 * owed, in flight and redeemed per chain, and the settlement history. Amounts are `Amount`s
 * (integer minor units); `formatAmount` renders them.
 */
import { type Amount, amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import type {
  MerchantStore,
  PaywordChainRecord,
  SdkInstrument,
  SettlementBatchRecord,
  SettlementBatchStatus,
} from '../../store/store.ts';

/** Money taken with one instrument in one currency. */
export interface InstrumentEarnings {
  readonly instrument: SdkInstrument;
  /** E-cash: deposited at the mint (already on the merchant's bank account). PayWord:
   * accepted (on the bank account once redeemed, see `settlementStatus`). */
  readonly total: Amount;
  readonly payments: number;
}

/** One PayWord chain as the dashboard shows it. */
export interface PaywordChainView {
  /** base64url of the commitment id. */
  readonly commitmentId: string;
  readonly userId: string;
  readonly valuePerWord: Amount;
  readonly expiresAt: number;
  /** Every word accepted so far. */
  readonly accepted: Amount;
  /** Paid by the broker. */
  readonly redeemed: Amount;
  /** Sent to the broker, answer not recorded yet. */
  readonly inFlight: Amount;
  /** Accepted, not yet sent. */
  readonly owed: Amount;
  readonly status: 'open' | 'rejected';
  readonly rejectionCode: string | undefined;
}

/** PayWord value per state, summed over all chains of one currency. */
export interface SettlementTotals {
  readonly currency: string;
  readonly accepted: Amount;
  readonly redeemed: Amount;
  readonly inFlight: Amount;
  readonly owed: Amount;
  /** Owed on chains the broker refused for good: not coming. */
  readonly refused: Amount;
}

/** What is owed, in flight and redeemed, per chain and in total. */
export interface SettlementStatus {
  readonly chains: readonly PaywordChainView[];
  readonly totals: readonly SettlementTotals[];
}

/** One settlement batch for the history. */
export interface SettlementBatchView {
  readonly batchId: string;
  readonly status: SettlementBatchStatus;
  readonly createdAt: number;
  readonly finishedAt: number | undefined;
  readonly attempts: number;
  readonly lastError: string | undefined;
  readonly items: readonly {
    readonly commitmentId: string;
    readonly index: number;
    readonly outcome: 'pending' | 'redeemed' | 'rejected';
    readonly paid: Amount;
    readonly problemCode: string | undefined;
  }[];
  /** What the broker paid for this batch, per currency. */
  readonly paid: readonly Amount[];
}

/** Earnings per instrument and currency. */
export async function earningsOf(store: MerchantStore): Promise<readonly InstrumentEarnings[]> {
  return (await store.earnings()).map((row) => ({
    instrument: row.instrument,
    total: amount(row.currency, row.total),
    payments: row.payments,
  }));
}

function times(value: Amount, words: number): Amount {
  return amount(value.currency, value.minor * Math.max(0, words));
}

function chainView(chain: PaywordChainRecord, inFlightIndex: number | undefined): PaywordChainView {
  const value = chain.valuePerWord;
  const sentUpTo = Math.max(chain.redeemedIndex, inFlightIndex ?? 0);
  return {
    commitmentId: toBase64url(chain.commitmentId),
    userId: chain.userId,
    valuePerWord: value,
    expiresAt: chain.expiresAt,
    accepted: times(value, chain.lastIndex),
    redeemed: times(value, chain.redeemedIndex),
    inFlight: times(value, sentUpTo - chain.redeemedIndex),
    owed: times(value, chain.lastIndex - sentUpTo),
    status: chain.status,
    rejectionCode: chain.rejectionCode,
  };
}

/** The settlement state of every chain, and the totals. */
export async function settlementStatusOf(store: MerchantStore): Promise<SettlementStatus> {
  const inFlight = new Map<string, number>();
  for (const batch of await store.inFlightSettlementBatches()) {
    for (const item of batch.items) inFlight.set(toBase64url(item.commitmentId), item.index);
  }
  const chains = (await store.listPaywordChains()).map((chain) =>
    chainView(chain, inFlight.get(toBase64url(chain.commitmentId))),
  );
  const totals = new Map<
    string,
    Record<'accepted' | 'redeemed' | 'inFlight' | 'owed' | 'refused', number>
  >();
  for (const chain of chains) {
    const currency = chain.valuePerWord.currency;
    const sum = totals.get(currency) ?? {
      accepted: 0,
      redeemed: 0,
      inFlight: 0,
      owed: 0,
      refused: 0,
    };
    sum.accepted += chain.accepted.minor;
    sum.redeemed += chain.redeemed.minor;
    sum.inFlight += chain.inFlight.minor;
    if (chain.status === 'rejected') sum.refused += chain.owed.minor;
    else sum.owed += chain.owed.minor;
    totals.set(currency, sum);
  }
  return {
    chains,
    totals: [...totals].map(([currency, sum]) => ({
      currency,
      accepted: amount(currency, sum.accepted),
      redeemed: amount(currency, sum.redeemed),
      inFlight: amount(currency, sum.inFlight),
      owed: amount(currency, sum.owed),
      refused: amount(currency, sum.refused),
    })),
  };
}

/** A stored batch as the history shows it. */
export function batchView(batch: SettlementBatchRecord): SettlementBatchView {
  const paid = new Map<string, number>();
  for (const item of batch.items) {
    const currency = item.valuePerWord.currency;
    paid.set(currency, (paid.get(currency) ?? 0) + item.paid);
  }
  return {
    batchId: batch.batchId,
    status: batch.status,
    createdAt: batch.createdAt,
    finishedAt: batch.finishedAt,
    attempts: batch.attempts,
    lastError: batch.lastError,
    items: batch.items.map((item) => ({
      commitmentId: toBase64url(item.commitmentId),
      index: item.index,
      outcome: item.outcome,
      paid: amount(item.valuePerWord.currency, item.paid),
      problemCode: item.problemCode,
    })),
    paid: [...paid].map(([currency, minor]) => amount(currency, minor)),
  };
}
