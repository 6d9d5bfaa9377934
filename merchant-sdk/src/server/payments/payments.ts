/**
 * Taking one payment (DESIGN.md "Priced link", step 4): check the credential against its
 * offer, let the instrument's flow verify and record it, and hand back the stored payment with
 * its signed receipt and access grant.
 *
 * Idempotence: a payment is stored under its credential id (SHA-256 over the offer hash and
 * what the credential spends), so the same credential for the same offer always gets the
 * first receipt back, while the same paywords or coins in any other credential are refused
 * by the chain state or the mint. Every refusal happens before anything is stored.
 *
 * The receipt is signed while the payment is stored, and the answer waits for both: its fields
 * (receipt id, paid-at time) are fixed before the commit and stored in it, so a retry signs the
 * same fields again and gets the identical receipt (receipts.ts); a failed commit serves none.
 * When the payment is durable and its signature has not come back from the signing thread
 * (a loaded machine: signing/signer.ts), the event loop signs the receipt itself (`signNow`,
 * the same deterministic signature) instead of waiting for the thread to get a core.
 *
 * Longer than 400 lines on purpose: this is the one desk every instrument's payment passes
 * (credential id, offer check, dispatch, receipt templates, recording), and the PayWord hot path
 * runs through it as one piece that is tuned for speed; the instruments' own checks live in
 * their folders (ecash/, payword/, purse/, card/).
 */
import { createHash } from 'node:crypto';
import {
  type AccessGrantIssuer,
  accessGrantIssuer,
  verifyAccessGrant,
} from '@farthing/protocol/access-grant';
import type { Credential } from '@farthing/protocol/credential';
import { equalBytes } from '@farthing/protocol/encoding';
import { type ErrorCode, FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { parseFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import {
  type ReceiptSigningTemplate,
  receiptSigningTemplate,
  receipts,
} from '@farthing/protocol/receipt';
import { type PaymentRecord, paymentIdLength, type SdkInstrument } from '../../store/store.ts';
import type { BankClient } from '../bank/bank-client.ts';
import type { MerchantCard } from '../card/card-pay.ts';
import type { ResolvedConfig } from '../config.ts';
import { depositCoins, sortedCoins } from '../ecash/ecash.ts';
import { type FindStoredPayment, PaywordVendor } from '../payword/payword.ts';
import type { OfferBook } from '../pricing/offers.ts';
import type { PurseDesk } from '../purse/purse-desk.ts';
import { clearedAtIssuer } from '../purse/purse-pay.ts';
import { canSignNow } from '../signing/signer.ts';
import { CredentialReader } from './credential-reader.ts';
import { PaymentWaiters } from './payment-waiters.ts';
import {
  signReceiptJson,
  signStoredReceipt,
  unsignedReceiptJsonTemplate,
  withSignature,
} from './receipts.ts';

/** Refusals a retry of an already stored payment runs into; the stored payment answers them. */
const retryCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'offer_expired',
  'payword_replayed',
  'payword_commitment_expired',
]);

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** What makes two credentials "the same payment": the offer and exactly what is spent. */
export function credentialIdOf(credential: Credential, hash: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(
    `farthing-merchant-sdk/credential/${credential.type}\0`,
  );
  digest.update(hash);
  if (credential.type === 'payword') {
    const { payment } = credential;
    digest.update(payment.commitmentId).update(u32(payment.index)).update(payment.word);
  } else if (credential.type === 'purse') {
    digest.update(credential.proofBytes); // card id and SNo: what the card spent
  } else if (credential.type === 'card') {
    // The transaction and the cardholder's signature over this very request (card-merchant.ts
    // refuses any other request for a paid transaction).
    const { purchase } = credential;
    digest.update(`${purchase.body.transactionId}\0`).update(purchase.signature);
  } else {
    for (const coin of sortedCoins(credential.coins)) {
      digest.update(coin.coin.coinPublicKey).update(coin.signature);
    }
  }
  return new Uint8Array(digest.digest());
}

/**
 * What every receipt and grant of one offer paid by one instrument share, encoded once: a shop
 * sells the same few resources over and over, and encoding the offer's fields anew for each
 * click was ~12% of the pay endpoint's event-loop time under load (`npm run bench`, profiled).
 */
interface ReceiptTemplates {
  readonly receiptBytes: ReceiptSigningTemplate;
  readonly receiptJson: (paidAt: number, receiptId: Uint8Array) => string;
  readonly grant: AccessGrantIssuer;
}

/** Offers whose templates are kept; an offer's are rebuilt when it comes back after eviction. */
const maxTemplates = 1024;

/** A stored payment as the payer gets it: with its receipt signed. */
export interface PaidPayment extends Omit<PaymentRecord, 'unsignedReceipt'> {
  /** The signed receipt's wire JSON text. */
  readonly receipt: string;
  /** A card payment's signed SET purchase response (wire JSON), answered beside the receipt. */
  readonly purchase?: unknown;
}

/** A payment record about to be stored, and its receipt being signed meanwhile. */
interface IssuedPayment {
  readonly record: PaymentRecord;
  readonly paid: Promise<PaidPayment>;
  /** What the receipt's signature signs (`signNow` signs it again when `paid` is late). */
  readonly signingBytes: Uint8Array;
  /** Set once `paid` has its receipt. */
  settled: boolean;
}

function paidPayment(record: PaymentRecord, receipt: string): PaidPayment {
  const { unsignedReceipt: _, ...paid } = record;
  return { ...paid, receipt };
}

/** Takes payments: parse, check, the instrument's flow, receipt and grant. */
export class PaymentDesk {
  readonly #config: ResolvedConfig;
  readonly #offers: OfferBook;
  readonly #bank: BankClient;
  readonly #reader: CredentialReader;
  /** Per offer hash and instrument, oldest first (`#templatesFor`). */
  readonly #templates = new Map<string, ReceiptTemplates>();
  readonly payword: PaywordVendor;
  readonly #purse: PurseDesk | undefined;
  readonly #card: MerchantCard | undefined;
  /** Navigations waiting for their payment, by navigation id (payment-waiters.ts). */
  readonly waiters: PaymentWaiters;

  constructor(
    config: ResolvedConfig,
    offers: OfferBook,
    bank: BankClient,
    purse?: PurseDesk,
    card?: MerchantCard,
    waiters: PaymentWaiters = new PaymentWaiters(),
  ) {
    this.waiters = waiters;
    this.#config = config;
    this.#purse = purse;
    this.#card = card;
    this.#offers = offers;
    this.#bank = bank;
    this.#reader = new CredentialReader(config, offers);
    this.payword = new PaywordVendor(config, bank);
  }

  /**
   * The payment the payer made already for this credential's resource, when the request
   * carries a valid access grant for it (`grantTokens`: the grant cookies the request sent for a
   * resource; the same browser): what the payer holds is not sold again, and the pay endpoint
   * answers with that payment's receipt instead of taking this credential. Undefined when there
   * is no such grant (or the credential is a retry of that very payment): take the payment.
   * Nothing the payer sent is trusted here beyond the grant, which only this merchant can tag.
   */
  async heldPayment(
    bytes: Uint8Array,
    grantTokens: (resource: string) => readonly string[],
  ): Promise<PaidPayment | undefined> {
    let credential: Credential;
    let hash: Uint8Array;
    try {
      ({ credential, hash } = this.#reader.parse(bytes));
      this.#checkOwnOffer(credential.offer);
    } catch {
      return undefined; // `pay` refuses it with the right problem
    }
    const { resource } = credential.offer;
    const tokens = grantTokens(resource);
    if (tokens.length === 0) return undefined;
    const credentialId = credentialIdOf(credential, hash);
    const now = this.#config.now();
    for (const token of tokens) {
      try {
        verifyAccessGrant(token, {
          key: this.#config.grantKey,
          merchantId: this.#config.merchantId,
          resource,
          now,
        });
      } catch {
        continue;
      }
      const stored = await this.#config.store.findPaymentByGrant(token);
      if (stored === undefined || equalBytes(stored.credentialId, credentialId)) continue;
      return this.#signStored(stored);
    }
    return undefined;
  }

  /**
   * Takes the payment the credential bytes make (the pay endpoint's body, or the
   * `Authorization` credential); returns the stored payment with its signed receipt and grant.
   * `resource`: the credential must pay for this resource (an inline payment at its URL).
   */
  async pay(bytes: Uint8Array, resource?: string): Promise<PaidPayment> {
    const parsed = this.#reader.parse(bytes);
    const { credential, hash } = parsed;
    if (resource !== undefined && credential.offer.resource !== resource) {
      throw new FarthingError('offer_mismatch', 'the credential pays for another resource', {
        details: { field: 'offer.resource' },
      });
    }
    const credentialId = credentialIdOf(credential, hash);
    const findStored: FindStoredPayment = async () => {
      const stored = await this.#config.store.findPayment(credentialId);
      return stored !== undefined && equalBytes(stored.offerHash, hash) ? stored : undefined;
    };
    if (credential.type === 'ecash') {
      // A retry must not reach the mint again; the offer is checked before answering.
      const stored = await findStored();
      if (stored !== undefined) {
        this.#checkOwnOffer(credential.offer);
        return this.#signStored(stored);
      }
    }
    try {
      this.#reader.check(parsed);
      return await this.#payChecked(credential, hash, credentialId, findStored);
    } catch (error) {
      // These codes come after the offer's signature was checked (`check`).
      if (isFarthingError(error) && retryCodes.has(error.code)) {
        const stored = await findStored();
        if (stored !== undefined) return this.#signStored(stored);
      }
      throw error;
    }
  }

  async #payChecked(
    credential: Credential,
    hash: Uint8Array,
    credentialId: Uint8Array,
    findStored: FindStoredPayment,
  ): Promise<PaidPayment> {
    // The last record handed to the store (a PayWord round lost to another payment makes a new one).
    let issued: IssuedPayment | undefined;
    const issue = (instrument: SdkInstrument, commitmentId?: Uint8Array) => {
      issued = this.#issue(credential.offer, hash, credentialId, instrument, commitmentId);
      return issued.record;
    };
    let stored: PaymentRecord;
    let purchase: unknown;
    switch (credential.type) {
      case 'payword':
        stored = await this.payword.accept(
          credential.offer,
          credential.payment,
          (commitmentId) => issue('payword', commitmentId),
          findStored,
        );
        break;
      case 'ecash':
        await depositCoins(this.#bank, {
          coins: credential.coins,
          credentialId,
          price: credential.offer.amount,
        });
        stored = await this.#config.store.recordEcashPayment(issue('ecash'));
        break;
      case 'purse': {
        if (this.#purse === undefined) {
          throw new FarthingError(
            'instrument_not_accepted',
            'this merchant does not take the purse',
          );
        }
        // The proof is kept (purse store) before the payment is; `acceptPayment` takes the very
        // same proof again, so a retry after a crash between the two records the payment once.
        const accepted = this.#purse.acceptPayment(
          { proof: credential.proofBytes, cardCertificate: credential.cardCertificate },
          hash,
        );
        // Served only on money the issuer holds: the card's signature alone cannot tell a real
        // card from a key made up in software, nor a card reported lost and refunded.
        await clearedAtIssuer(this.#purse, accepted.tno);
        // Insert-or-return-existing by credential id, as for e-cash.
        stored = await this.#config.store.recordEcashPayment(issue('purse'));
        break;
      }
      case 'card':
        // Authorized (and in `sale` mode captured) before the payment is stored; a retry of the
        // same request gets the same purchase response and, by credential id, the same payment.
        if (this.#card === undefined) {
          throw new FarthingError('instrument_not_accepted', 'this merchant does not take cards');
        }
        purchase = await this.#card.pay(credential.purchase, credentialId);
        stored = await this.#config.store.recordEcashPayment(issue('card'));
        break;
      default:
        return exhaustive(credential);
    }
    // Only now, with the payment durable, is its receipt served.
    const paid =
      issued !== undefined && stored.unsignedReceipt === issued.record.unsignedReceipt
        ? await this.#receiptOf(issued)
        : await this.#signStored(stored);
    return purchase === undefined ? paid : { ...paid, purchase };
  }

  /**
   * The issued payment with its signed receipt, now that it is durable: the signing thread's
   * signature when it is back, else this thread's own (`signNow`, module comment).
   */
  #receiptOf(issued: IssuedPayment): Promise<PaidPayment> | PaidPayment {
    const { signer } = this.#config;
    if (issued.settled || !canSignNow(signer)) return issued.paid;
    const { record } = issued;
    return paidPayment(
      record,
      withSignature(record.unsignedReceipt, signer.signNow(issued.signingBytes)),
    );
  }

  /** A payment stored earlier (a retry): its receipt signed again, identically. */
  async #signStored(stored: PaymentRecord): Promise<PaidPayment> {
    return paidPayment(
      stored,
      await signStoredReceipt(stored.unsignedReceipt, this.#config.signer),
    );
  }

  #checkOwnOffer(offer: SignedOffer): void {
    if (offer.merchantId !== this.#config.merchantId) {
      throw new FarthingError(
        'merchant_mismatch',
        'the credential pays an offer of another merchant',
      );
    }
    verifyOffer(offer, {
      merchantPublicKey: this.#config.publicKey,
      ed25519Verify: this.#offers.verify,
    });
  }

  /**
   * The receipt's fields and the tagged access grant, fixed before the payment is stored with
   * them; the receipt's signature is started here and made while the payment is stored.
   */
  #issue(
    offer: SignedOffer,
    hash: Uint8Array,
    credentialId: Uint8Array,
    instrument: SdkInstrument,
    commitmentId?: Uint8Array,
  ): IssuedPayment {
    const { signer, grantLifetimeMs } = this.#config;
    const templates = this.#templatesFor(offer, hash, instrument);
    const paidAt = this.#config.now();
    const grantExpiresAt = paidAt + grantLifetimeMs;
    // The grant's id and the receipt's are the credential id's first bytes, so the store finds
    // the payment by either through its primary key (store.ts `paymentIdLength`).
    const paymentId = credentialId.slice(0, paymentIdLength);
    const grant = templates.grant({
      issuedAt: paidAt,
      expiresAt: grantExpiresAt,
      grantId: paymentId,
    });
    // The receipt stays an Ed25519 signature: the wallet checks it.
    const receiptId = paymentId;
    const signingBytes = templates.receiptBytes(paidAt, receiptId);
    const unsignedReceipt = templates.receiptJson(paidAt, receiptId);
    const record: PaymentRecord = {
      credentialId,
      instrument,
      offerHash: hash,
      resource: offer.resource,
      amount: offer.amount,
      paidAt,
      unsignedReceipt,
      grantToken: grant.token,
      grantExpiresAt,
      ...(commitmentId === undefined ? {} : { commitmentId }),
    };
    const paid = signReceiptJson(signingBytes, unsignedReceipt, signer).then((signed) =>
      paidPayment(record, signed),
    );
    const issued: IssuedPayment = { record, paid, signingBytes, settled: false };
    // Read only once the payment is stored; a failed commit leaves it unread, not unhandled. A
    // signature the thread failed to make is made by `signNow` when the payment is durable.
    paid.then(
      () => {
        issued.settled = true;
      },
      () => undefined,
    );
    return issued;
  }

  /** The receipt and grant templates of an offer paid by `instrument` (`ReceiptTemplates`). */
  #templatesFor(offer: SignedOffer, hash: Uint8Array, instrument: SdkInstrument): ReceiptTemplates {
    const key = `${instrument}:${Buffer.from(hash).toString('latin1')}`;
    let templates = this.#templates.get(key);
    if (templates === undefined) {
      const { merchantId, grantKey } = this.#config;
      const fields = {
        version: receipts.type.version,
        offerHash: hash,
        merchantId,
        resource: offer.resource,
        amount: offer.amount,
        instrument,
      } as const;
      templates = {
        receiptBytes: receiptSigningTemplate(fields),
        receiptJson: unsignedReceiptJsonTemplate(fields),
        grant: accessGrantIssuer(
          { merchantId, resource: offer.resource, offerHash: hash },
          grantKey,
        ),
      };
      if (this.#templates.size >= maxTemplates) {
        this.#templates.delete(this.#templates.keys().next().value as string);
      }
      this.#templates.set(key, templates);
    }
    return templates;
  }
}

/**
 * The credential bytes of a request: `Authorization: Farthing credential="…"`
 * (http/farthing-auth.ts) when present, else the JSON body.
 */
export function credentialBytes(
  authorization: string | null,
  body: Uint8Array | undefined,
): Uint8Array {
  if (authorization !== null && isFarthingAuthorization(authorization)) {
    return parseFarthingCredentials(authorization).credential;
  }
  if (body === undefined || body.length === 0) {
    throw new FarthingError(
      'invalid_message',
      'send the credential as the JSON body or in "Authorization: Farthing credential=…"',
      { details: { field: 'credential' } },
    );
  }
  return body;
}

/** Whether an `Authorization` value is of the Farthing scheme (RFC 9110 §11.1: any case). */
export function isFarthingAuthorization(authorization: string): boolean {
  return /^farthing(\s|$)/i.test(authorization.trimStart());
}

/** The signed receipt's wire JSON, for the response body. */
export function receiptJson(payment: PaidPayment): unknown {
  return JSON.parse(payment.receipt);
}

function exhaustive(value: never): never {
  throw new FarthingError('internal', `unexpected credential ${JSON.stringify(value)}`);
}
