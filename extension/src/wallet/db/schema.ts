/**
 * The wallet's IndexedDB schema, the one place that knows it (DESIGN.md "Wallet storage").
 *
 * Each store has a `XxxRecord` type and, where records move through states, an indexed
 * `status`. Secrets (withdrawal and chain seeds, session tokens) are stored sealed under the
 * wallet's non-extractable AES-GCM key (keys.ts); private keys are non-extractable
 * `CryptoKey`s. Money-moving transactions use `durability: 'strict'` (`moneyTx`), name every
 * store they touch up front, and await nothing but IndexedDB inside.
 *
 * Migrations: `migrations[n]` upgrades version n to n + 1; opening runs every step from the
 * stored version, so a wallet that skipped releases still reaches the current schema.
 *
 * Past 400 lines on purpose: the schema is one module (DESIGN.md "Wallet storage"), every
 * store's record type beside the migrations that made it, so one read shows the whole database.
 */

import {
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  openDB,
  type StoreNames,
  type StoreValue,
} from 'idb';
import type {
  CardPaymentStatus,
  Instrument,
  TaskKind,
  TaskStatus,
  WalletErrorJson,
} from '../../messages/contract.ts';
import type { DeliveryStatus } from '../../messages/delivery.ts';
import type { PurseProofRecord, PurseReaderRecord } from '../instruments/purse/records.ts';
import type { Money } from '../money.ts';
import { type PaymentRecord, type PaymentStatus, paymentFromVersion6 } from './payment-records.ts';

/** AES-GCM ciphertext of a secret under the wallet key (keys.ts). */
export interface SealedSecret {
  readonly iv: Uint8Array;
  readonly data: Uint8Array;
}

export type KeyRecord =
  | { readonly id: 'wallet-key'; readonly key: CryptoKey }
  | {
      readonly id: `payword-user:${string}`;
      readonly type: 'webcrypto';
      readonly privateKey: CryptoKey;
      readonly publicKey: Uint8Array;
    }
  | {
      readonly id: `payword-user:${string}`;
      /** Where WebCrypto has no Ed25519 (Chromium before 137): the seed, sealed. */
      readonly type: 'sealed';
      readonly secretKey: SealedSecret;
      readonly publicKey: Uint8Array;
    };

/** A bank the user trusts, with the keys pinned when they trusted it. */
export interface BankRecord {
  readonly url: string;
  readonly name: string;
  /** DER of the CA certificate. */
  readonly caCertificate: Uint8Array;
  readonly caFingerprint: string;
  readonly mintMasterKey: Uint8Array;
  readonly mintKeyFingerprint: string;
  readonly brokerId: string;
  readonly brokerKey: Uint8Array;
  readonly brokerKeyFingerprint: string;
  readonly trustedAt: number;
  /** How long after a PayWord certificate expires its unused credit stays held (`/v1/bank`). */
  readonly paywordGraceMs?: number | undefined;
}

export interface SessionRecord {
  readonly bankUrl: string;
  readonly account: string;
  readonly token: SealedSecret;
  readonly expiresAt: number;
  readonly scopes: readonly string[];
}

/** The latest mint key set of a bank, as fetched (wire JSON), checked under the master key. */
export interface KeySetRecord {
  readonly bankUrl: string;
  readonly wire: unknown;
  readonly fetchedAt: number;
}

export interface PlannedCoinRecord {
  readonly index: number;
  readonly denominationId: string;
  readonly minor: number;
}

export type WithdrawalStatus = 'planned' | 'sent' | 'done' | 'failed';

/** A withdrawal from the account, or change for one coin: coins derived from one seed. */
export interface WithdrawalRecord {
  /** The issuance id the mint keeps it under (a hash of the seed). */
  readonly id: string;
  readonly kind: 'withdraw' | 'change' | 'refund';
  readonly bankUrl: string;
  readonly currency: string;
  readonly seed: SealedSecret;
  readonly coins: readonly PlannedCoinRecord[];
  readonly total: number;
  readonly status: WithdrawalStatus;
  readonly taskId: string;
  /** Change: the coin spent for these. Refund: the spent coin whose refunded credit paid them. */
  readonly changeOf?: string;
  readonly createdAt: number;
}

export type CoinStatus =
  /** Can pay. */
  | 'spendable'
  /** Promised to one payment or change (`reservedBy`); back to spendable only by refreshing. */
  | 'reserved'
  | 'spent';

export interface CoinRecord {
  /** base64url of the coin's Ed25519 public key. */
  readonly coinPub: string;
  readonly bankUrl: string;
  readonly currency: string;
  readonly minor: number;
  readonly denominationId: string;
  /** The withdrawal (issuance id) whose seed derives the coin's key, and its index there. */
  readonly source: string;
  readonly index: number;
  readonly messagePrefix: Uint8Array;
  readonly signature: Uint8Array;
  readonly status: CoinStatus;
  readonly reservedBy: string | null;
  readonly updatedAt: number;
}

export interface PaywordCertificateRecord {
  readonly id: string;
  readonly bankUrl: string;
  /** Wire JSON from the broker. */
  readonly json: unknown;
  readonly keyId: `payword-user:${string}`;
  readonly creditLimit: Money;
  /** Minor units promised to chains made under it (length × value per word). */
  readonly committed: number;
  readonly expiresAt: number;
  readonly createdAt: number;
}

export type PaywordChainStatus = 'open' | 'closed';

export interface PaywordChainRecord {
  readonly id: string;
  readonly bankUrl: string;
  readonly vendorId: string;
  readonly certificateId: string;
  readonly seed: SealedSecret;
  readonly length: number;
  readonly valuePerWord: Money;
  /** Wire JSON of the signed commitment. */
  readonly commitment: unknown;
  /** The last index promised to a payment (words up to it are spoken for). */
  readonly reservedIndex: number;
  /** The last index the vendor accepted. */
  readonly acceptedIndex: number;
  readonly status: PaywordChainStatus;
  readonly expiresAt: number;
  readonly createdAt: number;
  /**
   * The words made ready for a hovered link (../instruments/payword/prepared.ts): reserved,
   * and counted in the budgets by their journal entry, but never sent unless a click stored the
   * payment `paymentId` first. While no such payment exists the words are still the wallet's,
   * and the next transaction that reserves on the chain gives them back.
   */
  readonly prepared?: PreparedWords;
}

/** Words of a chain reserved for a hovered link, before its click (PaywordChainRecord). */
export interface PreparedWords {
  /** The payment the click stores; until it exists, nothing of these words has left. */
  readonly paymentId: string;
  /** The journal entry that counts them in the budgets meanwhile. */
  readonly journalId: string;
  /** The chain's reserved index with them (the payment's index), and how many they are. */
  readonly index: number;
  readonly words: number;
}

/** A merchant descriptor fetched from an origin, kept for a few minutes. */
export interface DescriptorRecord {
  readonly origin: string;
  readonly json: unknown;
  readonly fetchedAt: number;
}

// Payments (payment-records.ts): a union tagged by the instrument that pays them.
export type {
  EcashPaymentRecord,
  PaymentInstrument,
  PaymentRecord,
  PaymentStatus,
  PaywordPaymentRecord,
  PursePaymentRecord,
} from './payment-records.ts';

export interface ReceiptRecord {
  readonly receiptId: string;
  readonly paymentId: string;
  readonly origin: string;
  readonly merchantName: string;
  readonly resource: string;
  readonly title: string;
  readonly price: Money;
  readonly instrument: Instrument;
  readonly paidAt: number;
  /** Wire JSON as the merchant signed it. */
  readonly json: unknown;
}

/** One spend, written before the network: budgets count `reserved` and `confirmed` ones. */
export interface JournalRecord {
  readonly id: string;
  readonly paymentId: string;
  readonly origin: string;
  readonly day: number;
  readonly price: Money;
  readonly status: 'reserved' | 'confirmed' | 'failed';
  readonly at: number;
}

export interface SiteRecord {
  readonly origin: string;
  readonly name: string | null;
  readonly budget: Money | null;
  readonly blocked: boolean;
  readonly lastPaidAt: number | null;
}

export interface RefusalRecord {
  readonly id: string;
  readonly at: number;
  readonly origin: string;
  readonly resource: string | null;
  readonly error: WalletErrorJson;
}

export interface SettingsRecord {
  readonly id: 'settings';
  readonly currency: string;
  readonly autoPayThreshold: number;
  readonly defaultSiteBudget: number;
  readonly dailyBudget: number;
  readonly confirmFirstPayment: boolean;
  readonly seenVisibleMs: number;
  readonly seenShownMs: number;
  /** Minor units held at the broker for each new PayWord certificate. */
  readonly paywordCredit: number;
}

export interface TaskRecord {
  readonly id: string;
  readonly kind: TaskKind;
  readonly status: TaskStatus;
  /** The withdrawal, payment or certificate the task drives. */
  readonly ref: string;
  readonly amount: Money | null;
  readonly progress: { readonly done: number; readonly total: number } | null;
  readonly error: WalletErrorJson | null;
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

// --- SET card payments (wallet/instruments/card/), version 4

export type CardStatus = 'pending' | 'registered';

/**
 * A card registered with a bank's cardholder CA. The card number, expiry and card secret are
 * only ever stored sealed under the wallet key (`sealedCard`); what the wallet shows is the last
 * four digits. The cardholder key is a non-extractable WebCrypto Ed25519 key.
 */
export interface CardRecord {
  /** The registration id the CA keeps the registration under. */
  readonly id: string;
  readonly bankUrl: string;
  readonly status: CardStatus;
  readonly lastFour: string;
  /** The name as printed on the card, as the user typed it. */
  readonly name: string;
  /** JSON `{ pan, expiry, cardSecret }` sealed under the wallet key (keys.ts). */
  readonly sealedCard: SealedSecret;
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array;
  /** The signed registration request as sent (JSON text): resent byte for byte. */
  readonly registration: string;
  /** DER: the cardholder certificate, then the bank's CA certificate (once registered). */
  readonly certificates: readonly Uint8Array[] | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The purchase's state as the history shows it (contract.ts). */
export type { CardPaymentStatus };

/** A card purchase: written with its request before the request leaves the wallet. */
export interface CardPaymentRecord {
  readonly transactionId: string;
  readonly cardId: string;
  readonly origin: string;
  readonly merchantId: string;
  /** The name the merchant's certificate gives it. */
  readonly merchantName: string;
  readonly merchantKey: Uint8Array;
  readonly purchaseUrl: string;
  /** The order as the merchant committed to it (wire form) and its total. */
  readonly order: unknown;
  readonly total: Money;
  /** The signed purchase request exactly as sent (JSON text). */
  readonly request: string;
  readonly status: CardPaymentStatus;
  /** Minor units the merchant has given back (SET credits). */
  readonly credited: number;
  readonly receiptId: string | null;
  readonly error: WalletErrorJson | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

// --- refunds (wallet/refunds/), version 5

/**
 * A refund the merchant signed for one of our receipts, as its refund URL showed it. E-cash:
 * the mint credited the value back to the payment's coins; `refreshed` once the wallet turned
 * that credit into fresh coins. PayWord: the broker credited the account; nothing left to do.
 */
export interface RefundRecord {
  /** `<receiptId>:<refundId>`. */
  readonly id: string;
  readonly receiptId: string;
  readonly paymentId: string;
  readonly refundId: string;
  readonly instrument: 'ecash' | 'payword';
  readonly amount: Money;
  readonly refundedAt: number;
  /** The merchant-signed refund, wire JSON. */
  readonly json: unknown;
  readonly status: 'credited' | 'refreshed';
  readonly learnedAt: number;
}

/**
 * Version 6: the recovery phrase's master secret (wallet/recovery/) and the next counter of
 * each seed derived from it. A wallet made before keeps its random seeds until it makes one.
 */
export interface RecoveryRecord {
  readonly id: 'master';
  /** The phrase's 256-bit entropy, sealed. */
  readonly secret: SealedSecret;
  readonly next: { readonly withdrawal: number; readonly change: number; readonly chain: number };
  /** When the user typed words of the phrase back; null until then. */
  readonly confirmedAt: number | null;
  readonly origin: 'created' | 'restored';
  /**
   * Restored wallets: when lost coins were last recovered (which moves the counters past the
   * seeds in use); null until then, and no withdrawal seed is handed out before it.
   */
  readonly recoveredAt?: number | null;
  readonly createdAt: number;
}

/**
 * Version 7: a paid resource whose content did not arrive (wallet/delivery/). `content`: the
 * paid page answered 5xx and the wallet fetches it again with the grant; `payment`: the pay
 * endpoint failed after the credential left, and the task runner resends the same credential.
 * After `notDeliveredAfterMs` of failures it is `not_delivered`, with a refund request offered.
 */
export interface DeliveryRecord {
  /** The payment's id (one record per payment). */
  readonly paymentId: string;
  readonly what: 'content' | 'payment';
  /** The paid page (content) or the pay endpoint (payment). */
  readonly url: string;
  readonly status: DeliveryStatus;
  readonly firstFailureAt: number;
  readonly lastCheckAt: number;
  readonly checks: number;
  /** The last answer's HTTP status; null when nothing answered. */
  readonly lastStatus: number | null;
  /** What the merchant gave back on the refund request. */
  readonly refunded: Money | null;
  readonly error: WalletErrorJson | null;
  readonly updatedAt: number;
}

export interface WalletDb extends DBSchema {
  keys: { key: string; value: KeyRecord };
  banks: { key: string; value: BankRecord };
  sessions: { key: string; value: SessionRecord };
  keySets: { key: string; value: KeySetRecord };
  withdrawals: { key: string; value: WithdrawalRecord; indexes: { status: WithdrawalStatus } };
  coins: {
    key: string;
    value: CoinRecord;
    indexes: { status: CoinStatus; reservedBy: string; source: string };
  };
  paywordCertificates: {
    key: string;
    value: PaywordCertificateRecord;
    indexes: { bankUrl: string };
  };
  paywordChains: {
    key: string;
    value: PaywordChainRecord;
    indexes: { vendor: [string, string] };
  };
  descriptors: { key: string; value: DescriptorRecord };
  payments: {
    key: string;
    value: PaymentRecord;
    indexes: {
      status: PaymentStatus;
      offerHash: string;
      createdAt: number;
      /** Every payment for one merchant's resource, whatever offer it paid (version 2). */
      resource: [string, string];
    };
  };
  receipts: { key: string; value: ReceiptRecord; indexes: { paidAt: number } };
  journal: {
    key: string;
    value: JournalRecord;
    indexes: { originDay: [string, number]; day: number; paymentId: string };
  };
  sites: { key: string; value: SiteRecord };
  refusals: { key: string; value: RefusalRecord; indexes: { at: number } };
  settings: { key: string; value: SettingsRecord };
  tasks: { key: string; value: TaskRecord; indexes: { status: TaskStatus; createdAt: number } };
  /** The hardware purse (purse/records.ts): the paired reader, and each payment's proof. */
  purseReaders: { key: string; value: PurseReaderRecord };
  purseProofs: { key: string; value: PurseProofRecord; indexes: { status: string } };
  /** Version 4: SET cards and card purchases (wallet/instruments/card/). */
  cards: { key: string; value: CardRecord; indexes: { status: CardStatus } };
  cardPayments: {
    key: string;
    value: CardPaymentRecord;
    indexes: { status: CardPaymentStatus; createdAt: number };
  };
  /** Version 5: refunds of our receipts (wallet/refunds/). */
  refunds: { key: string; value: RefundRecord; indexes: { receiptId: string } };
  /** Version 6: the recovery phrase (wallet/recovery/). */
  recovery: { key: string; value: RecoveryRecord };
  /** Version 7: payments whose content did not arrive (wallet/delivery/). */
  deliveries: { key: string; value: DeliveryRecord; indexes: { status: DeliveryRecord['status'] } };
}

export type WalletDatabase = IDBPDatabase<WalletDb>;
export type WalletStore = StoreNames<WalletDb>;
export type WalletTx<S extends WalletStore[]> = IDBPTransaction<WalletDb, S, 'readwrite'>;

type Migration = (
  db: IDBPDatabase<WalletDb>,
  tx: IDBPTransaction<WalletDb, WalletStore[], 'versionchange'>,
) => void;

/** `migrations[n]` takes the schema from version n to n + 1 (exported for its tests). */
export const migrations: readonly Migration[] = [
  (db) => {
    db.createObjectStore('keys', { keyPath: 'id' });
    db.createObjectStore('banks', { keyPath: 'url' });
    db.createObjectStore('sessions', { keyPath: 'bankUrl' });
    db.createObjectStore('keySets', { keyPath: 'bankUrl' });
    db.createObjectStore('withdrawals', { keyPath: 'id' }).createIndex('status', 'status');
    const coins = db.createObjectStore('coins', { keyPath: 'coinPub' });
    coins.createIndex('status', 'status');
    coins.createIndex('reservedBy', 'reservedBy');
    coins.createIndex('source', 'source');
    db.createObjectStore('paywordCertificates', { keyPath: 'id' }).createIndex(
      'bankUrl',
      'bankUrl',
    );
    db.createObjectStore('paywordChains', { keyPath: 'id' }).createIndex('vendor', [
      'vendorId',
      'status',
    ]);
    db.createObjectStore('descriptors', { keyPath: 'origin' });
    const payments = db.createObjectStore('payments', { keyPath: 'id' });
    payments.createIndex('status', 'status');
    payments.createIndex('offerHash', 'offerHash');
    payments.createIndex('createdAt', 'createdAt');
    db.createObjectStore('receipts', { keyPath: 'receiptId' }).createIndex('paidAt', 'paidAt');
    const journal = db.createObjectStore('journal', { keyPath: 'id' });
    journal.createIndex('originDay', ['origin', 'day']);
    journal.createIndex('day', 'day');
    journal.createIndex('paymentId', 'paymentId');
    db.createObjectStore('sites', { keyPath: 'origin' });
    db.createObjectStore('refusals', { keyPath: 'id' }).createIndex('at', 'at');
    db.createObjectStore('settings', { keyPath: 'id' });
    const tasks = db.createObjectStore('tasks', { keyPath: 'id' });
    tasks.createIndex('status', 'status');
    tasks.createIndex('createdAt', 'createdAt');
  },
  // 2: payments by (merchant, resource): a fresh offer for something the user owns, or two
  // offers for one resource clicked at once, find the payment already made or in flight.
  (_db, tx) => {
    tx.objectStore('payments').createIndex('resource', ['merchantId', 'resource']);
  },
  // The hardware purse (issue 17): the paired reader, and the challenge and proof of each purse
  // payment, kept until the merchant took the proof (purse/records.ts).
  (db) => {
    db.createObjectStore('purseReaders', { keyPath: 'id' });
    db.createObjectStore('purseProofs', { keyPath: 'paymentId' }).createIndex('status', 'status');
  },
  // 4: SET cards (registered, or pending at the CA) and card purchases.
  (db) => {
    db.createObjectStore('cards', { keyPath: 'id' }).createIndex('status', 'status');
    const cardPayments = db.createObjectStore('cardPayments', { keyPath: 'transactionId' });
    cardPayments.createIndex('status', 'status');
    cardPayments.createIndex('createdAt', 'createdAt');
  },
  // 5: refunds the merchants signed for our receipts (wallet/refunds/).
  (db) => {
    db.createObjectStore('refunds', { keyPath: 'id' }).createIndex('receiptId', 'receiptId');
  },
  // 6: the recovery phrase's master secret and its seed counters (wallet/recovery/).
  (db) => {
    db.createObjectStore('recovery', { keyPath: 'id' });
  },
  // 7: payments tagged by instrument, each with its own fields only (payment-records.ts).
  (_db, tx) => {
    const payments = tx.objectStore('payments');
    void payments.getAll().then((stored) => {
      for (const record of stored) {
        const payment = paymentFromVersion6(record);
        if (payment !== undefined) void payments.put(payment);
      }
    });
  },
  // 8: payments whose content did not arrive, retried and then offered a refund (wallet/delivery/).
  (db) => {
    db.createObjectStore('deliveries', { keyPath: 'paymentId' }).createIndex('status', 'status');
  },
];

/** One version per migration step: appending a step is all a new version takes. */
export const walletDbVersion = migrations.length;

export const defaultWalletDbName = 'farthing-wallet';

export function openWalletDb(name: string = defaultWalletDbName): Promise<WalletDatabase> {
  return openDB<WalletDb>(name, walletDbVersion, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let version = oldVersion; version < walletDbVersion; version++) {
        migrations[version]!(db, tx);
      }
    },
  });
}

/** A read-write transaction for money: strict durability (the commit reaches the disk). */
export function moneyTx<S extends WalletStore[]>(db: WalletDatabase, stores: S): WalletTx<S> {
  return db.transaction(stores, 'readwrite', { durability: 'strict' });
}

/**
 * One record written alone in a money transaction, on disk when this resolves: `add` refuses a
 * key already there, `put` replaces the record.
 */
export async function writeDurably<N extends WalletStore>(
  db: WalletDatabase,
  store: N,
  how: 'add' | 'put',
  record: StoreValue<WalletDb, N>,
): Promise<void> {
  const tx = moneyTx(db, [store]);
  await tx.objectStore(store)[how](record);
  await tx.done;
}

/**
 * A read-write transaction whose loss in a crash costs nothing, because a strict transaction
 * written before any network call, or a task's resume, rebuilds it: the e-cash reservation that
 * only precedes the strict `sent` write (the backing store logs commits in order, so that
 * write's sync covers the reservation too), and the confirmation after the merchant answered
 * (resume resends the stored credential byte for byte and the merchant answers with the same
 * receipt). No fsync: a paid click waits for one disk sync, the one that stores its credential
 * (for PayWord, the reservation itself, which reveals the word).
 */
export function rebuildableTx<S extends WalletStore[]>(db: WalletDatabase, stores: S): WalletTx<S> {
  return db.transaction(stores, 'readwrite', { durability: 'relaxed' });
}

/** A unique id for records the wallet makes. */
export function newId(): string {
  return crypto.randomUUID();
}
