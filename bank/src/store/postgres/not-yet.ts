/**
 * Operations the PostgreSQL store does not carry yet. Each refuses with
 * `storage_operation_unsupported` (HTTP 501) naming itself, and changes nothing: a bank on
 * PostgreSQL answers those routes plainly instead of pretending. README ("The bank on
 * PostgreSQL") lists them.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { RefundStore } from '../refund-store.ts';

export function notOnPostgres(operation: string): FarthingError {
  return new FarthingError(
    'storage_operation_unsupported',
    `${operation} is not available on a bank running on PostgreSQL yet; run it on SQLite for this`,
    { details: { operation, backend: 'postgres' } },
  );
}

/** Refunds (bank/src/refunds/): every operation refused; the tables exist (migration 3). */
export const refundsNotOnPostgres: RefundStore = {
  refund: () => Promise.reject(notOnPostgres('refunds.refund')),
  listRefunds: () => Promise.reject(notOnPostgres('refunds.listRefunds')),
  coinRefund: () => Promise.reject(notOnPostgres('refunds.coinRefund')),
  refreshRefundedCoin: () => Promise.reject(notOnPostgres('refunds.refreshRefundedCoin')),
  getRefundRefresh: () => Promise.reject(notOnPostgres('refunds.getRefundRefresh')),
};
