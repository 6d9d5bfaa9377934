/** Values the background might answer, for tests of the content script and the pages. */
import type {
  AmountView,
  BankInspection,
  BankView,
  ConfirmationView,
  OfferView,
  PayeeView,
  ReceiptView,
  Settings,
  SiteView,
  TaskView,
  WalletOverview,
} from '../../messages/contract.ts';
import { formatMinor } from '../money.ts';

export function eur(minor: number): AmountView {
  return { currency: 'EUR', minor, text: formatMinor('EUR', minor) };
}

export const bankUrl = 'http://127.0.0.1:8700';

export const inspection: BankInspection = {
  url: bankUrl,
  name: 'Farthing Demo Bank',
  caFingerprint: 'AB:CD:EF:01:23:45:67:89',
  mintKeyFingerprint: '01:23:45:67:89:AB:CD:EF',
  brokerKeyFingerprint: '89:AB:CD:EF:01:23:45:67',
  denominations: [eur(1), eur(5), eur(10), eur(100)],
};

export function bankView(account: string | null): BankView {
  return {
    ...inspection,
    trustedAt: 1_700_000_000_000,
    account,
    accountBalance: account === null ? null : eur(10_000),
  };
}

export const payee: PayeeView = {
  name: 'The Farthing Gazette',
  origin: 'http://127.0.0.1:8701',
  merchantId: 'gazette',
  bankUrl,
};

export const payableOffer: OfferView = {
  status: 'payable',
  price: eur(5),
  payee,
  title: 'Why farthings',
  resourceUrl: 'http://127.0.0.1:8701/articles/7',
  instrument: 'payword',
  siteBudgetLeft: eur(95),
  dailyBudgetLeft: eur(495),
  confirmation: null,
  autoPay: { seenVisibleMs: 800, seenShownMs: 400 },
};

export function receipt(
  id: string,
  minor: number,
  paidAt: number,
  origin = payee.origin,
): ReceiptView {
  return {
    receiptId: id,
    origin,
    merchantName: payee.name,
    resource: `/articles/${id}`,
    title: `Article ${id}`,
    price: eur(minor),
    instrument: 'ecash',
    paidAt,
  };
}

export function task(overrides: Partial<TaskView> = {}): TaskView {
  return {
    id: 'task-1',
    kind: 'withdraw',
    status: 'sent',
    createdAt: 1_700_000_000_000,
    amount: eur(500),
    progress: { done: 0, total: 10 },
    error: null,
    ...overrides,
  };
}

export function overview(overrides: Partial<WalletOverview> = {}): WalletOverview {
  return {
    balances: [
      { instrument: 'ecash', bankUrl, balance: eur(495), count: 12 },
      {
        instrument: 'payword',
        bankUrl,
        balance: eur(200),
        count: 1,
        held: {
          amount: eur(500),
          expiresAt: Date.UTC(2027, 0, 3),
          returnsBy: Date.UTC(2027, 0, 10),
        },
      },
    ],
    banks: [bankView('alice')],
    recent: [receipt('r1', 5, 1_700_000_100_000)],
    tasks: [],
    spentToday: eur(5),
    ...overrides,
  };
}

export const settings: Settings = {
  currency: 'EUR',
  autoPayThreshold: eur(50),
  defaultSiteBudget: eur(100),
  dailyBudget: eur(500),
  confirmFirstPayment: true,
  seenVisibleMs: 800,
  seenShownMs: 400,
  paywordCredit: eur(500),
};

export function site(origin: string, overrides: Partial<SiteView> = {}): SiteView {
  return {
    origin,
    name: 'The Farthing Gazette',
    budget: null,
    spentToday: eur(10),
    blocked: false,
    lastPaidAt: 1_700_000_100_000,
    ...overrides,
  };
}

export function confirmation(overrides: Partial<ConfirmationView> = {}): ConfirmationView {
  return {
    id: 'c1',
    reason: 'above_threshold',
    pageOrigin: payee.origin,
    payee,
    title: 'Why farthings',
    resource: '/articles/7',
    price: eur(120),
    instrument: 'ecash',
    siteBudgetLeft: eur(80),
    dailyBudgetLeft: eur(380),
    expiresAt: Number.MAX_SAFE_INTEGER,
    waiting: 0,
    ...overrides,
  };
}
