/**
 * Operations the PostgreSQL store does not carry yet. Each refuses with
 * `storage_operation_unsupported` (HTTP 501) naming itself, and changes nothing: a bank on
 * PostgreSQL answers those routes plainly instead of pretending. README ("The bank on
 * PostgreSQL") lists them.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { CardStore } from '../card-store.ts';
import type { RefundStore } from '../refund-store.ts';

export function notOnPostgres(operation: string): FarthingError {
  return new FarthingError(
    'storage_operation_unsupported',
    `${operation} is not available on a bank running on PostgreSQL yet; run it on SQLite for this`,
    { details: { operation, backend: 'postgres' } },
  );
}

/** SET card payments (bank/src/card/): every operation refused. */
export const cardsNotOnPostgres: CardStore = {
  issueCard: () => Promise.reject(notOnPostgres('cards.issueCard')),
  listCards: () => Promise.reject(notOnPostgres('cards.listCards')),
  findCardByPan: () => Promise.reject(notOnPostgres('cards.findCardByPan')),
  insertRegistration: () => Promise.reject(notOnPostgres('cards.insertRegistration')),
  getRegistration: () => Promise.reject(notOnPostgres('cards.getRegistration')),
  revokeCardholderCertificate: () =>
    Promise.reject(notOnPostgres('cards.revokeCardholderCertificate')),
  authorize: () => Promise.reject(notOnPostgres('cards.authorize')),
  operate: () => Promise.reject(notOnPostgres('cards.operate')),
  getTransaction: () => Promise.reject(notOnPostgres('cards.getTransaction')),
};

/** Refunds (bank/src/refunds/): every operation refused; the tables exist (migration 3). */
export const refundsNotOnPostgres: RefundStore = {
  refund: () => Promise.reject(notOnPostgres('refunds.refund')),
  listRefunds: () => Promise.reject(notOnPostgres('refunds.listRefunds')),
  coinRefund: () => Promise.reject(notOnPostgres('refunds.coinRefund')),
  refreshRefundedCoin: () => Promise.reject(notOnPostgres('refunds.refreshRefundedCoin')),
  getRefundRefresh: () => Promise.reject(notOnPostgres('refunds.getRefundRefresh')),
};
