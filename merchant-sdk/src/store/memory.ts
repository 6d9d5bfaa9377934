/**
 * FOR TESTS ONLY. A `MerchantStore` in process memory: nothing survives a restart, so a crash
 * forgets which paywords were spent (they could be spent again) and which settlements were
 * sent. It keeps the same atomicity rules as `SqliteMerchantStore` (each operation is applied
 * whole, synchronously, before its promise settles), so tests of the SDK's logic can run
 * without a file. Never use it for a site that takes money: use `SqliteMerchantStore`.
 */
import { toBase64url } from '@farthing/protocol/encoding';
import type {
  EarningsRecord,
  MerchantStore,
  OpenSettlementBatchParameters,
  PaymentRecord,
  PaywordChainRecord,
  RecordPaywordPaymentParameters,
  RecordPaywordPaymentResult,
  SettlementAttempt,
  SettlementBatchRecord,
  SettlementItemOutcome,
  SettlementItemRecord,
} from './store.ts';

const key = (bytes: Uint8Array) => toBase64url(bytes);

/** In-memory store for tests only; see the module comment. */
export class MemoryMerchantStore implements MerchantStore {
  readonly #payments = new Map<string, PaymentRecord>();
  readonly #chains = new Map<string, PaywordChainRecord>();
  readonly #earnings = new Map<string, EarningsRecord>();
  readonly #batches = new Map<string, SettlementBatchRecord>();

  async findPayment(credentialId: Uint8Array): Promise<PaymentRecord | undefined> {
    return this.#payments.get(key(credentialId));
  }

  async findPaymentByGrant(grantToken: string): Promise<PaymentRecord | undefined> {
    for (const payment of this.#payments.values()) {
      if (payment.grantToken === grantToken) return payment;
    }
    return undefined;
  }

  async findPaymentByReceipt(receiptId: Uint8Array): Promise<PaymentRecord | undefined> {
    const wanted = toBase64url(receiptId);
    for (const payment of this.#payments.values()) {
      const receipt = JSON.parse(payment.unsignedReceipt) as { receiptId?: unknown };
      if (receipt.receiptId === wanted) return payment;
    }
    return undefined;
  }

  async paymentsWithGrant(resource: string, now: number): Promise<readonly PaymentRecord[]> {
    return [...this.#payments.values()]
      .filter((payment) => payment.resource === resource && payment.grantExpiresAt > now)
      .sort((a, b) => a.paidAt - b.paidAt);
  }

  async findPaywordChain(commitmentId: Uint8Array): Promise<PaywordChainRecord | undefined> {
    return this.#chains.get(key(commitmentId));
  }

  async recordPaywordPayment(
    p: RecordPaywordPaymentParameters,
  ): Promise<RecordPaywordPaymentResult> {
    const id = key(p.commitmentId);
    if (this.#payments.has(key(p.payment.credentialId))) return 'duplicate';
    if (this.#overLimit(p)) return 'over_limit';
    if (p.newChain !== undefined && !this.#chains.has(id)) {
      this.#chains.set(id, {
        ...p.newChain,
        lastIndex: 0,
        redeemedIndex: 0,
        settlingBatchId: undefined,
        status: 'open',
        rejectionCode: undefined,
      });
    }
    const chain = this.#chains.get(id);
    if (chain === undefined || chain.lastIndex !== p.expectedLastIndex || chain.status !== 'open') {
      return 'conflict';
    }
    this.#chains.set(id, { ...chain, lastIndex: p.lastIndex, lastWord: p.lastWord.slice() });
    this.#addPayment(p.payment);
    return 'recorded';
  }

  /** Whether the payment would take its certificate's chains here past the credit limit. */
  #overLimit(p: RecordPaywordPaymentParameters): boolean {
    const chain = this.#chains.get(key(p.commitmentId)) ?? p.newChain;
    if (chain?.certificateId === undefined || chain.creditLimit === undefined) return false;
    const certificate = key(chain.certificateId);
    let taken = p.lastIndex * chain.valuePerWord.minor;
    for (const [id, other] of this.#chains) {
      if (id === key(p.commitmentId) || other.certificateId === undefined) continue;
      if (key(other.certificateId) === certificate)
        taken += other.lastIndex * other.valuePerWord.minor;
    }
    return taken > chain.creditLimit.minor;
  }

  async recordEcashPayment(payment: PaymentRecord): Promise<PaymentRecord> {
    const existing = this.#payments.get(key(payment.credentialId));
    if (existing !== undefined) return existing;
    this.#addPayment(payment);
    return payment;
  }

  #addPayment(payment: PaymentRecord): void {
    this.#payments.set(key(payment.credentialId), payment);
    const slot = `${payment.instrument} ${payment.amount.currency}`;
    const before = this.#earnings.get(slot);
    this.#earnings.set(slot, {
      instrument: payment.instrument,
      currency: payment.amount.currency,
      total: (before?.total ?? 0) + payment.amount.minor,
      payments: (before?.payments ?? 0) + 1,
    });
  }

  async earnings(): Promise<readonly EarningsRecord[]> {
    return [...this.#earnings.values()].sort((a, b) =>
      `${a.instrument} ${a.currency}`.localeCompare(`${b.instrument} ${b.currency}`),
    );
  }

  async openSettlementBatch(
    p: OpenSettlementBatchParameters,
  ): Promise<SettlementBatchRecord | undefined> {
    const owed = [...this.#chains.values()]
      .filter(
        (c) =>
          c.status === 'open' && c.settlingBatchId === undefined && c.lastIndex > c.redeemedIndex,
      )
      .sort(
        (a, b) =>
          Number(a.rejectionCode !== undefined) - Number(b.rejectionCode !== undefined) ||
          a.createdAt - b.createdAt,
      )
      .slice(0, p.limit);
    if (owed.length === 0) return undefined;
    const items = owed.map(
      (chain): SettlementItemRecord => ({
        commitmentId: chain.commitmentId,
        commitment: chain.commitment,
        index: chain.lastIndex,
        word: chain.lastWord,
        valuePerWord: chain.valuePerWord,
        previousIndex: chain.redeemedIndex,
        outcome: 'pending',
        paid: 0,
        problemCode: undefined,
      }),
    );
    for (const chain of owed) {
      this.#chains.set(key(chain.commitmentId), { ...chain, settlingBatchId: p.batchId });
    }
    const batch: SettlementBatchRecord = {
      batchId: p.batchId,
      idempotencyKey: p.idempotencyKey,
      status: 'in_flight',
      createdAt: p.now,
      attempts: 0,
      nextAttemptAt: p.now,
      lastError: undefined,
      finishedAt: undefined,
      items,
    };
    this.#batches.set(p.batchId, batch);
    return batch;
  }

  async getSettlementBatch(batchId: string): Promise<SettlementBatchRecord | undefined> {
    return this.#batches.get(batchId);
  }

  async inFlightSettlementBatches(): Promise<readonly SettlementBatchRecord[]> {
    return [...this.#batches.values()].filter((b) => b.status === 'in_flight');
  }

  async noteSettlementAttempt(batchId: string, attempt: SettlementAttempt): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (batch?.status !== 'in_flight') return;
    this.#batches.set(batchId, {
      ...batch,
      attempts: attempt.attempts,
      nextAttemptAt: attempt.nextAttemptAt,
      lastError: attempt.error,
    });
  }

  async settleSettlementBatch(
    batchId: string,
    finishedAt: number,
    outcomes: readonly SettlementItemOutcome[],
  ): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (batch?.status !== 'in_flight') return;
    const items = batch.items.map((item, position): SettlementItemRecord => {
      const outcome = outcomes[position];
      const id = key(item.commitmentId);
      const chain = this.#chains.get(id)!;
      if (outcome?.outcome === 'redeemed') {
        this.#chains.set(id, {
          ...chain,
          redeemedIndex: Math.max(chain.redeemedIndex, outcome.index),
          settlingBatchId: undefined,
        });
        return { ...item, outcome: 'redeemed', paid: outcome.paid };
      }
      const code = outcome?.problemCode ?? 'internal';
      this.#chains.set(id, {
        ...chain,
        settlingBatchId: undefined,
        status: outcome?.final ? 'rejected' : chain.status,
        rejectionCode: code,
      });
      return { ...item, outcome: 'rejected', problemCode: code };
    });
    this.#batches.set(batchId, { ...batch, status: 'settled', finishedAt, items });
  }

  async failSettlementBatch(batchId: string, finishedAt: number, error: string): Promise<void> {
    const batch = this.#batches.get(batchId);
    if (batch?.status !== 'in_flight') return;
    this.#batches.set(batchId, { ...batch, status: 'failed', finishedAt, lastError: error });
    for (const [id, chain] of this.#chains) {
      if (chain.settlingBatchId === batchId) {
        this.#chains.set(id, { ...chain, settlingBatchId: undefined });
      }
    }
  }

  async listPaywordChains(): Promise<readonly PaywordChainRecord[]> {
    return [...this.#chains.values()].reverse().sort((a, b) => b.createdAt - a.createdAt);
  }

  async listSettlementBatches(limit: number): Promise<readonly SettlementBatchRecord[]> {
    // Newest first; among equal times, the later one first (Map keeps insertion order).
    return [...this.#batches.values()]
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
  }

  async close(): Promise<void> {}
}
