/**
 * Taking one payment (DESIGN.md "Priced link", step 4): check the credential against its
 * offer, let the instrument's flow verify and record it, and hand back the stored payment with
 * its signed receipt and access grant.
 *
 * Idempotence: a payment is stored under its credential id (SHA-256 over the offer hash and
 * what the credential spends), so the same credential for the same offer always gets the
 * first receipt back, while the same paywords or coins in any other credential are refused
 * by the chain state or the mint. Every refusal happens before anything is stored.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { grantIdLength, issueAccessGrant } from '@farthing/protocol/access-grant';
import type { Credential } from '@farthing/protocol/credential';
import { equalBytes } from '@farthing/protocol/encoding';
import { type ErrorCode, FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { parseFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import { receiptIdLength, receiptToWire, signReceipt } from '@farthing/protocol/receipt';
import type { PaymentRecord, SdkInstrument } from '../store/store.ts';
import type { BankClient } from './bank-client.ts';
import type { ResolvedConfig } from './config.ts';
import { CredentialReader } from './credential-reader.ts';
import { depositCoins, sortedCoins } from './ecash.ts';
import type { OfferBook } from './offers.ts';
import { PaywordVendor } from './payword.ts';

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
  } else {
    for (const coin of sortedCoins(credential.coins)) {
      digest.update(coin.coin.coinPublicKey).update(coin.signature);
    }
  }
  return new Uint8Array(digest.digest());
}

/**
 * Grant and receipt ids (16 bytes each) cut from one larger draw of the CSPRNG: a draw is a
 * system call, and one per id showed as ~4% of the pay endpoint's event-loop time under load.
 */
class RandomIds {
  #pool = new Uint8Array(0);
  #offset = 0;

  next(length: number): Uint8Array {
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomFillSync(new Uint8Array(4096));
      this.#offset = 0;
    }
    const id = this.#pool.slice(this.#offset, this.#offset + length);
    // Wipe what was handed out, so the pool never holds an id already in use.
    this.#pool.fill(0, this.#offset, this.#offset + length);
    this.#offset += length;
    return id;
  }
}

/** Takes payments: parse, check, the instrument's flow, receipt and grant. */
export class PaymentDesk {
  readonly #config: ResolvedConfig;
  readonly #offers: OfferBook;
  readonly #bank: BankClient;
  readonly #reader: CredentialReader;
  readonly #ids = new RandomIds();
  readonly payword: PaywordVendor;

  constructor(config: ResolvedConfig, offers: OfferBook, bank: BankClient) {
    this.#config = config;
    this.#offers = offers;
    this.#bank = bank;
    this.#reader = new CredentialReader(config, offers);
    this.payword = new PaywordVendor(config, bank);
  }

  /**
   * Takes the payment the credential bytes make (the pay endpoint's body, or the
   * `Authorization` credential); returns the stored payment with its receipt and grant.
   * `resource`: the credential must pay for this resource (an inline payment at its URL).
   */
  async pay(bytes: Uint8Array, resource?: string): Promise<PaymentRecord> {
    const parsed = this.#reader.parse(bytes);
    const { credential, hash } = parsed;
    if (resource !== undefined && credential.offer.resource !== resource) {
      throw new FarthingError('offer_mismatch', 'the credential pays for another resource', {
        details: { field: 'offer.resource' },
      });
    }
    const credentialId = credentialIdOf(credential, hash);
    const findStored = async () => {
      const stored = await this.#config.store.findPayment(credentialId);
      return stored !== undefined && equalBytes(stored.offerHash, hash) ? stored : undefined;
    };
    if (credential.type === 'ecash') {
      // A retry must not reach the mint again; the offer is checked before answering.
      const stored = await findStored();
      if (stored !== undefined) {
        this.#checkOwnOffer(credential.offer);
        return stored;
      }
    }
    try {
      this.#reader.check(parsed);
      return await this.#payChecked(credential, hash, credentialId, findStored);
    } catch (error) {
      // These codes come after the offer's signature was checked (`check`).
      if (isFarthingError(error) && retryCodes.has(error.code)) {
        const stored = await findStored();
        if (stored !== undefined) return stored;
      }
      throw error;
    }
  }

  async #payChecked(
    credential: Credential,
    hash: Uint8Array,
    credentialId: Uint8Array,
    findStored: () => Promise<PaymentRecord | undefined>,
  ): Promise<PaymentRecord> {
    const issue = (instrument: SdkInstrument, commitmentId?: Uint8Array) =>
      this.#issue(credential.offer, hash, credentialId, instrument, commitmentId);
    switch (credential.type) {
      case 'payword':
        return this.payword.accept(
          credential.offer,
          credential.payment,
          (commitmentId) => issue('payword', commitmentId),
          findStored,
        );
      case 'ecash': {
        await depositCoins(this.#bank, {
          coins: credential.coins,
          credentialId,
          price: credential.offer.amount,
        });
        return this.#config.store.recordEcashPayment(await issue('ecash'));
      }
      default:
        return exhaustive(credential);
    }
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

  /** The signed receipt and the tagged access grant, made before the payment is stored with them. */
  async #issue(
    offer: SignedOffer,
    hash: Uint8Array,
    credentialId: Uint8Array,
    instrument: SdkInstrument,
    commitmentId?: Uint8Array,
  ): Promise<PaymentRecord> {
    const { merchantId, signer, grantKey, grantLifetimeMs } = this.#config;
    const paidAt = this.#config.now();
    const grantExpiresAt = paidAt + grantLifetimeMs;
    const grant = issueAccessGrant(
      {
        merchantId,
        resource: offer.resource,
        offerHash: hash,
        issuedAt: paidAt,
        expiresAt: grantExpiresAt,
        grantId: this.#ids.next(grantIdLength),
      },
      grantKey,
    );
    // The receipt stays an Ed25519 signature: the wallet checks it.
    const receipt = await signReceipt(
      {
        offerHash: hash,
        merchantId,
        resource: offer.resource,
        amount: offer.amount,
        instrument,
        paidAt,
        receiptId: this.#ids.next(receiptIdLength),
      },
      signer,
    );
    return {
      credentialId,
      instrument,
      offerHash: hash,
      resource: offer.resource,
      amount: offer.amount,
      paidAt,
      receipt: JSON.stringify(receiptToWire(receipt)),
      grantToken: grant.token,
      grantExpiresAt,
      ...(commitmentId === undefined ? {} : { commitmentId }),
    };
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

/** The stored receipt's wire JSON, for the response body. */
export function receiptJson(payment: PaymentRecord): unknown {
  return JSON.parse(payment.receipt);
}

function exhaustive(value: never): never {
  throw new FarthingError('internal', `unexpected credential ${JSON.stringify(value)}`);
}
