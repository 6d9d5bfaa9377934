/**
 * The merchant's side of SET card payments: the `card` instrument.
 *
 *   initiate   a signed purchase-initiation-response: a fresh transaction id, the amount, the
 *              digest of the order, the merchant's and the gateway's certificates;
 *   pay        takes the cardholder's purchase request: checks that its OI is this order (id,
 *              merchant, amount, order digest, this gateway), the cardholder's certificate
 *              chain to the bank, the request's signature and the dual signature over H(PI)
 *              and H(OI); then asks the gateway to authorize (or, in `sale` mode, to capture at
 *              once) and answers with a signed purchase-response carrying the receipt id;
 *   settle     captures what is authorized (the settlement job calls it);
 *   capture    captures one authorized purchase now (the dashboard's button);
 *   reverse    an authorization reversal: releases the cardholder's hold, nothing is paid;
 *   refund     a SET credit of all or part of what was captured;
 *   inquiry    answers a cardholder's signed purchase inquiry from the store;
 *   notify     a signed purchase notification of the purchase's state.
 *
 * The merchant never sees the card: PI reaches it only as the sealed envelope it forwards.
 * Calls to the gateway carry idempotency keys derived from the transaction, so a retry after
 * a lost answer cannot authorize or capture twice.
 *
 * Longer than 400 lines on purpose: it is SET's merchant role whole, each operation above a
 * short method over the same signing, store and gateway-call helpers, which splitting would
 * have to export across files.
 */
import { randomBytes } from 'node:crypto';
import { type Amount, formatAmount } from '@farthing/protocol/amount';
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import { equalBytes, fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import {
  cardholderCertificateVerifier,
  type VerifiedGateway,
  verifyGatewayCertificates,
} from '@farthing/protocol/set/certificates';
import {
  parseSetMessage,
  type SetMessage,
  type SetMessageBody,
  type SetMessageType,
  setMessageSigningBytes,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { orderInformationDigest, verifyDualSignature } from '@farthing/protocol/set/purchase';
import { BankClient } from '../bank/bank-client.ts';
import {
  type CardPurchaseRecord,
  type CardPurchaseStatus,
  type CardPurchaseStore,
  cardInitiationLifetimeMs,
} from './card-store.ts';

export interface CardMerchantOptions {
  readonly merchantId: string;
  /** The offer key the bank certified (merchant certificate); signs every card message. */
  readonly signer: Ed25519Signer;
  /** The merchant's certificate chain (DER), sent to the cardholder in the initiation. */
  readonly merchantCertificates: readonly Uint8Array[];
  /** The bank's URL and the merchant's API key there. */
  readonly bank: {
    readonly url: string;
    readonly apiKey: string;
    readonly fetch?: typeof globalThis.fetch;
  };
  /** CA certificates of the banks whose cardholders and gateway the merchant trusts. */
  readonly trustedRoots: readonly Uint8Array[];
  readonly store: CardPurchaseStore;
  /** `sale`: capture with the authorization; `settlement`: authorize now, capture in `settle`. */
  readonly capture: 'sale' | 'settlement';
  readonly now?: () => number;
  /** Structured events for the shop's log (never card data: the merchant has none). */
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
}

type GatewayAnswer = SetMessageBody<'authorization-response'>;

/** Batches one `settle()` captures at most before it leaves the rest to the next run. */
const maxCaptureBatchesPerRun = 64;

/** What the store records of a purchase whose authorization the gateway has reversed. */
const reversed = (record: CardPurchaseRecord) => ({
  transactionId: record.transactionId,
  status: 'reversed' as const,
  captured: 0,
  credited: 0,
});

/**
 * The gateway's route and the message types of each step on an authorization; the step's name
 * begins its idempotency key.
 */
const authorizationSteps = {
  capture: { path: 'captures', request: 'capture-request', answer: 'capture-response' },
  reversal: {
    path: 'authorization-reversals',
    request: 'authorization-reversal-request',
    answer: 'authorization-reversal-response',
  },
} as const;

/** A purchase's state as an inquiry response and a notification both tell it. */
function purchaseState(record: CardPurchaseRecord): SetMessageBody<'purchase-notification'> {
  const money = (minor: number) => ({ currency: record.currency, minor });
  return {
    transactionId: record.transactionId,
    status: record.status,
    amount: money(record.amount),
    at: record.updatedAt,
    captured: money(record.captured),
    credited: money(record.credited),
  };
}

/** Whether `message` is the purchase request stored (its JSON text) for a transaction. */
function sameRequest(stored: string | undefined, message: SetMessage<'purchase-request'>) {
  if (stored === undefined) return false;
  const first = parseSetMessage('purchase-request', JSON.parse(stored));
  return (
    equalBytes(first.signature, message.signature) &&
    equalBytes(
      setMessageSigningBytes('purchase-request', first.body),
      setMessageSigningBytes('purchase-request', message.body),
    )
  );
}

export class CardMerchant {
  readonly #options: CardMerchantOptions;
  readonly #bank: BankClient;
  readonly #now: () => number;
  readonly #verifyCardholder: ReturnType<typeof cardholderCertificateVerifier>;
  #gateway:
    | { verified: VerifiedGateway; signatureChain: Uint8Array[]; keyExchangeChain: Uint8Array[] }
    | undefined;

  constructor(options: CardMerchantOptions) {
    this.#options = options;
    this.#bank = new BankClient({
      url: options.bank.url,
      apiKey: options.bank.apiKey,
      fetch: options.bank.fetch ?? globalThis.fetch,
    });
    this.#now = options.now ?? Date.now;
    this.#verifyCardholder = cardholderCertificateVerifier({
      trustedRoots: options.trustedRoots,
      ed25519Verify: nodeEd25519Verify,
    });
  }

  /** The gateway's certificates, fetched once and checked against the trusted roots. */
  async gateway() {
    if (this.#gateway === undefined) {
      const published = (await this.#bank.get('/v1/set/gateway', { pass: 'all' })) as {
        signatureChain: string[];
        keyExchangeChain: string[];
      };
      const signatureChain = published.signatureChain.map((der) => fromBase64url(der));
      const keyExchangeChain = published.keyExchangeChain.map((der) => fromBase64url(der));
      const verified = verifyGatewayCertificates({
        signatureChain,
        keyExchangeChain,
        trustedRoots: this.#options.trustedRoots,
        now: this.#now(),
        ed25519Verify: nodeEd25519Verify,
      });
      this.#gateway = { verified, signatureChain, keyExchangeChain };
    }
    return this.#gateway;
  }

  async #sign<T extends SetMessageType>(type: T, body: SetMessageBody<T>) {
    return setMessageToWire(await signSetMessage(type, body, this.#options.signer));
  }

  /** Starts a purchase of `amount` for an order whose description digests to `orderDigest`. */
  async initiate(order: { amount: Amount; orderDigest: Uint8Array; description: string }) {
    const gateway = await this.gateway();
    const transactionId = `set-${toBase64url(randomBytes(16))}`;
    this.#options.store.initiate({
      transactionId,
      currency: order.amount.currency,
      amount: order.amount.minor,
      orderDigest: order.orderDigest,
      description: order.description,
      now: this.#now(),
    });
    this.#options.log?.('card.initiated', { transactionId, amount: formatAmount(order.amount) });
    return this.#sign('purchase-initiation-response', {
      transactionId,
      merchantId: this.#options.merchantId,
      amount: order.amount,
      orderDigest: order.orderDigest,
      merchantCertificates: [...this.#options.merchantCertificates],
      gatewaySignatureCertificates: gateway.signatureChain,
      gatewayKeyExchangeCertificates: gateway.keyExchangeChain,
    });
  }

  /** The pay endpoint for a card: a purchase request in, a signed purchase response out. */
  async pay(input: unknown) {
    const message = parseSetMessage('purchase-request', input);
    const request = message.body;
    const record = this.#options.store.get(request.transactionId);
    if (record === undefined) {
      throw new FarthingError(
        'set_order_mismatch',
        'no order of this shop has that transaction id',
      );
    }
    if (record.status !== 'initiated') {
      // The same request resent gets the first answer; any other for a paid transaction is a
      // replay (its answer would hand out the first payer's receipt).
      if (!sameRequest(record.purchaseRequest, message)) {
        throw new FarthingError('set_transaction_replayed', 'this purchase was paid already');
      }
      return this.#purchaseResponse(record);
    }
    if (this.#now() - record.createdAt >= cardInitiationLifetimeMs) {
      throw new FarthingError('offer_expired', 'this card order expired; start the checkout again');
    }
    const gateway = await this.gateway();
    // OI must be exactly this order.
    if (
      request.merchantId !== this.#options.merchantId ||
      request.amount.currency !== record.currency ||
      request.amount.minor !== record.amount ||
      !equalBytes(request.orderDigest, record.orderDigest)
    ) {
      throw new FarthingError('set_order_mismatch', 'the order information is for another order');
    }
    if (!equalBytes(request.gatewayFingerprint, gateway.verified.fingerprint)) {
      throw new FarthingError('set_gateway_mismatch', 'the payment names another gateway');
    }
    const now = this.#now();
    const cardholder = this.#verifyCardholder(request.cardholderCertificates, now);
    verifySetMessage(message, cardholder.publicKey, nodeEd25519Verify);
    const oiDigest = orderInformationDigest(request);
    verifyDualSignature({
      dualSignature: request.dualSignature,
      piDigest: request.piDigest,
      oiDigest,
      cardholderPublicKey: cardholder.publicKey,
      ed25519Verify: nodeEd25519Verify,
    });
    const sale = this.#options.capture === 'sale';
    const answer = await this.#call(
      'authorizations',
      `auth-${request.transactionId}`,
      'authorization-response',
      'authorization-request',
      {
        transactionId: request.transactionId,
        merchantId: this.#options.merchantId,
        amount: request.amount,
        oiDigest,
        piEnvelope: request.piEnvelope,
        dualSignature: request.dualSignature,
        cardholderCertificates: request.cardholderCertificates,
        capture: sale,
        // Fixed by the order, so a retry after a lost answer signs the very same bytes and
        // the gateway's idempotency key returns its first answer.
        requestedAt: record.createdAt,
      },
    );
    const receiptId = `rcpt-${toBase64url(randomBytes(16))}`;
    this.#options.store.recordPayment({
      transactionId: request.transactionId,
      status: answer.status as CardPurchaseStatus,
      purchaseRequest: JSON.stringify(input),
      cardholderKey: cardholder.publicKey,
      captured: answer.captured.minor,
      receiptId,
      now,
    });
    this.#options.log?.('card.authorized', {
      transactionId: request.transactionId,
      status: answer.status,
    });
    return this.#purchaseResponse(this.#options.store.get(request.transactionId)!);
  }

  async #purchaseResponse(record: CardPurchaseRecord) {
    if (record.receiptId === undefined) {
      throw new FarthingError('set_not_captured', 'this purchase was not paid');
    }
    return this.#sign('purchase-response', {
      transactionId: record.transactionId,
      status: record.status,
      amount: { currency: record.currency, minor: record.amount },
      at: record.updatedAt,
      receiptId: record.receiptId,
    });
  }

  /**
   * Captures authorized purchases in batches of `batchSize` (the settlement job calls it);
   * returns how many this run captured. Each capture is sent exactly once in effect: its
   * request is fixed by the record (idempotency key and bytes), so two overlapping runs, or a
   * run after a process died between the gateway's capture and the store's update, send the
   * same request and the gateway answers it with its first answer; a purchase is counted by
   * the run whose update moved it from authorized to captured. A capture that fails does not
   * stop the others; the first failure is thrown once the batch is done (tried again next run).
   */
  async settle(batchSize = 100): Promise<number> {
    let captured = 0;
    let failure: { error: unknown } | undefined;
    for (let batch = 0; batch < maxCaptureBatchesPerRun && failure === undefined; batch++) {
      const records = this.#options.store.withStatus('authorized', batchSize);
      for (const record of records) {
        try {
          if ((await this.#capture(record)).moved) captured++;
        } catch (error) {
          if (!isFarthingError(error, 'set_authorization_reversed')) failure ??= { error };
          // Reversed at the gateway by a call whose answer was lost: reversed, not stuck.
          else this.#options.store.recordCapture({ ...reversed(record), now: this.#now() });
        }
      }
      if (records.length < batchSize) break;
    }
    if (failure !== undefined) throw failure.error;
    return captured;
  }

  /** Captures one authorized purchase now (idempotent: a second call answers as the first). */
  async capture(transactionId: string) {
    const { answer } = await this.#capture(this.#authorized(transactionId));
    this.#options.log?.('card.captured', { transactionId });
    return answer;
  }

  /**
   * The capture request of `record`, under a key of its own: the same bytes on a retry.
   * `moved`: this call's update took the record from authorized to captured.
   */
  async #capture(record: CardPurchaseRecord): Promise<{ answer: GatewayAnswer; moved: boolean }> {
    const answer = await this.#answerAuthorization(record, 'capture');
    const moved = this.#options.store.recordCapture({
      transactionId: record.transactionId,
      status: answer.status as CardPurchaseStatus,
      captured: answer.captured.minor,
      credited: answer.credited.minor,
      now: this.#now(),
    });
    return { answer, moved };
  }

  /** SET authorization reversal: the hold on the card is released and nothing is captured. */
  async reverse(transactionId: string) {
    const record = this.#authorized(transactionId);
    const answer = await this.#answerAuthorization(record, 'reversal');
    this.#record(record.transactionId, answer);
    this.#options.log?.('card.reversed', { transactionId });
    return answer;
  }

  /**
   * Captures or reverses the authorization of `record`. The request is fixed by the record (as
   * for the authorization), so a retry sends the same bytes under the same key.
   */
  #answerAuthorization(record: CardPurchaseRecord, step: keyof typeof authorizationSteps) {
    const { path, answer, request } = authorizationSteps[step];
    return this.#call(path, `${step}-${record.transactionId}`, answer, request, {
      transactionId: record.transactionId,
      merchantId: this.#options.merchantId,
      amount: { currency: record.currency, minor: record.amount },
      requestedAt: record.updatedAt,
    });
  }

  /**
   * The purchase an SDK payment record is (by its credential id, as the shared pay endpoint
   * stored it): where a refund of a `card` receipt finds the transaction to credit.
   */
  transactionOfPayment(credentialId: Uint8Array): string | undefined {
    return this.#options.store.transactionOfPayment(credentialId);
  }

  /** Links a payment of the shared pay endpoint to its purchase (card/card-pay.ts). */
  linkPayment(credentialId: Uint8Array, transactionId: string): void {
    this.#options.store.linkPayment(credentialId, transactionId);
  }

  /** One purchase as the store holds it (no card data: the merchant has none). */
  purchase(transactionId: string): CardPurchaseRecord | undefined {
    return this.#options.store.get(transactionId);
  }

  /** The most recent paid purchases, newest first (the dashboard's list). */
  purchases(limit = 50): CardPurchaseRecord[] {
    return this.#options.store.recent(limit);
  }

  #purchase(transactionId: string): CardPurchaseRecord {
    const record = this.#options.store.get(transactionId);
    if (record === undefined) {
      throw new FarthingError('set_unknown_transaction', 'no such card purchase');
    }
    return record;
  }

  #authorized(transactionId: string): CardPurchaseRecord {
    const record = this.#purchase(transactionId);
    if (record.status === 'reversed') {
      throw new FarthingError('set_authorization_reversed', 'this authorization was reversed');
    }
    if (record.status !== 'authorized') {
      throw new FarthingError('set_already_captured', 'this purchase is not awaiting capture');
    }
    return record;
  }

  /**
   * A SET credit of `amount` minor units (default: all captured and not yet credited). The same
   * credit asked again is answered once: `creditId` names it (a site's own id for what it
   * refunds, e.g. one order line), or, without one, the amount and what was credited before it,
   * so a retry after a lost answer or a double-click before the first was recorded refunds once.
   */
  async refund(transactionId: string, amount?: number, options: { creditId?: string } = {}) {
    const record = this.#purchase(transactionId);
    const minor = amount ?? record.captured - record.credited;
    const creditId = options.creditId ?? `credit-${record.credited}-${minor}`;
    const answer = await this.#call(
      'credits',
      `credit-${transactionId}-${creditId}`,
      'credit-response',
      'credit-request',
      {
        transactionId,
        merchantId: this.#options.merchantId,
        creditId,
        amount: { currency: record.currency, minor },
        requestedAt: this.#now(),
      },
    );
    this.#record(transactionId, answer);
    this.#options.log?.('card.refunded', { transactionId, creditId });
    return { creditId, credited: answer.credited };
  }

  /** Answers a cardholder's signed inquiry from the store. */
  async inquiry(input: unknown) {
    const message = parseSetMessage('purchase-inquiry', input);
    const record = this.#options.store.get(message.body.transactionId);
    if (record?.cardholderKey === undefined) {
      throw new FarthingError('set_unknown_transaction', 'no such card purchase');
    }
    verifySetMessage(message, record.cardholderKey, nodeEd25519Verify);
    return this.#sign('purchase-inquiry-response', purchaseState(record));
  }

  /** A signed notification of the purchase's state, for the wallet. */
  async notify(transactionId: string) {
    return this.#sign('purchase-notification', purchaseState(this.#purchase(transactionId)));
  }

  #record(transactionId: string, answer: GatewayAnswer) {
    this.#options.store.recordMoney({
      transactionId,
      status: answer.status as CardPurchaseStatus,
      captured: answer.captured.minor,
      credited: answer.credited.minor,
      now: this.#now(),
    });
  }

  /** A signed request to the gateway; its signed answer, checked. */
  async #call<Q extends SetMessageType>(
    path: string,
    idempotencyKey: string,
    answerType:
      | 'authorization-response'
      | 'capture-response'
      | 'authorization-reversal-response'
      | 'credit-response',
    type: Q,
    body: SetMessageBody<Q>,
  ): Promise<GatewayAnswer> {
    const gateway = await this.gateway();
    const json = await this.#bank.post(
      `/v1/set/${path}`,
      JSON.stringify(await this.#sign(type, body)),
      {
        idempotencyKey,
        pass: 'all',
      },
    );
    const answer = parseSetMessage(answerType, json);
    verifySetMessage(answer, gateway.verified.signaturePublicKey, nodeEd25519Verify);
    return answer.body as GatewayAnswer;
  }
}
