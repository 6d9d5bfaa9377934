/**
 * The card payments in the bank's crash test (crash.test.ts; issue 14, "Done when"): SET
 * authorizations of purchases by the test's customers at the test's merchants, and captures
 * of authorized purchases. Each request is signed once, when it is written down, and sent
 * again byte for byte under the same Idempotency-Key after a kill. What the bank kept is read
 * from its SQLite file through a read-only connection (there is no purchase inquiry route
 * yet): the transaction row and the ledger transfers that name it.
 */
import { randomUUID } from 'node:crypto';
import { amount as money } from '@farthing/protocol/amount';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import {
  authorizationRequest,
  type CardClient,
  type Cardholder,
  fetchGateway,
  gatewayAnswer,
  issueCard,
  type Merchant,
  makePurchase,
  openMerchant,
  registerCardholder,
  signedRequest,
} from './card-client.fixture.ts';
import type { HttpBank, HttpCustomer } from './http-bank.fixture.ts';

/** Each customer's card: enough credit that no authorization of the run is refused. */
const creditLimit = 10_000_000;

export interface CardParties {
  readonly client: CardClient;
  readonly cardholders: readonly Cardholder[];
  readonly merchants: readonly Merchant[];
}

/** A card for every customer, registered with the cardholder CA; merchants with certificates. */
export async function openCardParties(
  bank: HttpBank,
  bankId: string,
  customers: readonly HttpCustomer[],
  merchantNames: readonly string[],
): Promise<CardParties> {
  const client: CardClient = { bank, bankId, gateway: await fetchGateway(bank) };
  const cardholders: Cardholder[] = [];
  for (const customer of customers) {
    const card = await issueCard(client, customer, creditLimit);
    cardholders.push(await registerCardholder(client, customer, card));
  }
  const merchants: Merchant[] = [];
  for (const name of merchantNames) merchants.push(await openMerchant(client, name));
  return { client, cardholders, merchants };
}

export interface CardAnswer {
  readonly status: string;
  readonly authorized: number;
  readonly captured: number;
}

export interface Authorization {
  readonly kind: 'authorization';
  readonly key: string;
  readonly merchant: Merchant;
  readonly transactionId: string;
  readonly body: unknown;
  readonly total: number;
  acknowledged?: CardAnswer;
}

export interface Capture {
  readonly kind: 'capture';
  readonly key: string;
  readonly merchant: Merchant;
  readonly authorization: Authorization;
  readonly body: unknown;
  /** What the merchant is paid: all of the hold, or part (the rest goes back to the card). */
  readonly total: number;
  acknowledged?: CardAnswer;
}

export type CardOperation = Authorization | Capture;

export const cardPath = (operation: CardOperation) =>
  operation.kind === 'authorization' ? '/v1/set/authorizations' : '/v1/set/captures';

export async function newAuthorization(
  parties: CardParties,
  cardholder: Cardholder,
  merchant: Merchant,
): Promise<Authorization> {
  const total = 1 + Math.floor(Math.random() * 5000);
  const purchase = await makePurchase(parties.client, cardholder, {
    merchantId: merchant.name,
    amount: total,
    description: `crash order ${randomUUID()}`,
  });
  return {
    kind: 'authorization',
    key: randomUUID(),
    merchant,
    transactionId: purchase.oi.transactionId,
    body: await authorizationRequest(merchant, purchase),
    total,
  };
}

export async function newCapture(authorization: Authorization): Promise<Capture> {
  const { merchant, transactionId } = authorization;
  const total = Math.random() < 0.3 ? Math.ceil(authorization.total / 2) : authorization.total;
  const body = await signedRequest(merchant, 'capture-request', {
    transactionId,
    merchantId: merchant.name,
    amount: money('EUR', total),
    requestedAt: Date.now(),
  });
  return { kind: 'capture', key: randomUUID(), merchant, authorization, body, total };
}

/**
 * The gateway's 2xx answer, its signature checked; throws unless it says what the operation
 * asked for.
 */
export function cardAnswer(parties: CardParties, operation: CardOperation, json: unknown) {
  const body =
    operation.kind === 'authorization'
      ? gatewayAnswer(parties.client, 'authorization-response', json)
      : gatewayAnswer(parties.client, 'capture-response', json);
  const answer: CardAnswer = {
    status: body.status,
    authorized: body.authorized.minor,
    captured: body.captured.minor,
  };
  const transactionId =
    operation.kind === 'authorization'
      ? operation.transactionId
      : operation.authorization.transactionId;
  const authorized =
    operation.kind === 'authorization' ? operation.total : operation.authorization.total;
  const expected =
    operation.kind === 'authorization'
      ? { status: 'authorized', authorized, captured: 0 }
      : { status: 'captured', authorized, captured: operation.total };
  if (body.transactionId !== transactionId || JSON.stringify(answer) !== JSON.stringify(expected)) {
    throw new Error(`${operation.kind} ${transactionId} answered ${JSON.stringify(answer)}`);
  }
  return answer;
}

export interface CardBooks {
  /** The gateway's transactions by transaction id. */
  readonly transactions: Map<string, { status: string; authorized: number; captured: number }>;
  /** How many ledger transfers of each card kind name each transaction id. */
  readonly transfers: Map<string, number>;
  readonly transferCount: number;
}

export const transferOf = (kind: string, transactionId: string) => `${kind} ${transactionId}`;

/** What the bank's database holds of card payments; the bank may be running. */
export function readCardBooks(databasePath: string): CardBooks {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const transactions: CardBooks['transactions'] = new Map();
    const rows = db
      .prepare('SELECT transaction_id, status, authorized, captured FROM card_transactions')
      .all() as { transaction_id: string; status: string; authorized: number; captured: number }[];
    for (const row of rows) {
      const { status, authorized, captured } = row;
      transactions.set(row.transaction_id, { status, authorized, captured });
    }
    const transfers = new Map<string, number>();
    const kinds = db
      .prepare("SELECT kind, reference FROM transfers WHERE kind LIKE 'card-%'")
      .all() as { kind: string; reference: string }[];
    for (const { kind, reference } of kinds) {
      // The reference is `<merchant account id>:<transaction id>`.
      const name = transferOf(kind, reference.slice(reference.indexOf(':') + 1));
      transfers.set(name, (transfers.get(name) ?? 0) + 1);
    }
    return { transactions, transfers, transferCount: kinds.length };
  } finally {
    db.close();
  }
}

/** Whether the bank committed this operation (answered or not). */
export function committed(books: CardBooks, operation: CardOperation): boolean {
  if (operation.kind === 'authorization') return books.transactions.has(operation.transactionId);
  return books.transactions.get(operation.authorization.transactionId)?.status === 'captured';
}

/**
 * The end of the run, every operation answered: each authorization held exactly once (one
 * `card-authorization` transfer, the row with its amount), each capture paid exactly once (one
 * `card-capture` transfer, the row captured with its amount, so the hold moved), and no card
 * transfer or transaction besides. Returns what is still on hold and what merchants were paid.
 */
export function expectCardBooks(books: CardBooks, operations: readonly CardOperation[]) {
  const authorizations = operations.filter((o) => o.kind === 'authorization');
  const captures = operations.filter((o) => o.kind === 'capture');
  const captureOf = new Map(captures.map((c) => [c.authorization.transactionId, c]));
  let held = 0;
  for (const authorization of authorizations) {
    const { transactionId, total } = authorization;
    expect(authorization.acknowledged, transactionId).toBeDefined();
    const capture = captureOf.get(transactionId);
    if (capture === undefined) held += total;
    else expect(capture.acknowledged, `capture of ${transactionId}`).toBeDefined();
    expect(books.transactions.get(transactionId), transactionId).toEqual({
      status: capture === undefined ? 'authorized' : 'captured',
      authorized: total,
      captured: capture?.total ?? 0,
    });
    const transfers = (kind: string) => books.transfers.get(transferOf(kind, transactionId)) ?? 0;
    expect(transfers('card-authorization'), `holds of ${transactionId}`).toBe(1);
    expect(transfers('card-capture'), `captures of ${transactionId}`).toBe(capture ? 1 : 0);
  }
  expect(captures.length).toBe(captureOf.size);
  expect(books.transactions.size).toBe(authorizations.length);
  expect(books.transferCount).toBe(authorizations.length + captures.length);
  return { held, captured: captures.reduce((sum, c) => sum + c.total, 0) };
}
