/**
 * The purse applet: the card's side of every command (protocol/src/purse/apdu.ts), over the
 * state in its EEPROM (record.ts, storage.ts).
 *
 * Every command that changes the state builds the whole new state, commits it atomically, and
 * only then answers and takes it as current: a power cut at any point leaves either the old
 * state or the new one. The wrong-PIN counter is decremented and committed before the PIN is
 * compared (and restored after a match), so cutting power at the comparison cannot give an
 * attacker free tries — the usual anti-tearing order of smart-card PIN checks.
 *
 * Replay of a merchant challenge: the card keeps the nonces of the challenges it paid within
 * a 24-hour window of their own time (at most 64; when it must forget one, it refuses any
 * challenge dated at or before the forgotten one), and refuses challenges dated more than 24
 * hours before the latest issuer time it saw. A card has no clock: certificate validity of the
 * merchant is judged at the challenge's signed time, which that rule keeps from lying far back.
 *
 * Long because it is the card: every APDU command and its all-or-nothing state change sit
 * together, so the anti-tearing order can be read in one place.
 */
import { createHash } from 'node:crypto';
import {
  type Amount,
  addAmounts,
  compareAmounts,
  formatAmount,
  subtractAmounts,
  zero,
} from '@farthing/protocol/amount';
import { ed25519PublicKey, ed25519Signer } from '@farthing/protocol/ed25519';
import { equalBytes } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import {
  decodePurseCommand,
  encodePurseResponse,
  purseCla,
  purseInstructions,
  statusOk,
  statusWordFor,
} from '@farthing/protocol/purse/apdu';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import {
  balances,
  type CardInfo,
  decodeAmount,
  decodePayCommand,
  decodePin,
  encodeCardInfo,
  encodeLog,
  loadResults,
  type PurseLogEntry,
  personalisations,
  pinTries,
  purseLogLength,
} from '@farthing/protocol/purse/card-commands';
import { purseChallenges, verifyPurseChallenge } from '@farthing/protocol/purse/challenge';
import { purseLoadAuthorizations, purseLoadRequests } from '@farthing/protocol/purse/load';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import {
  type CardRecord,
  decodeCardRecord,
  encodeCardRecord,
  maxSeenChallenges,
  type PurseRecord,
} from './record.ts';
import type { CardStorage } from './storage.ts';

export const challengeWindowMs = 24 * 3_600_000;

/** What the reader shows before the holder decides; all of it authenticated by the card. */
export interface PaymentPrompt {
  readonly amount: Amount;
  /** The name in the merchant's certificate. */
  readonly payee: string;
  readonly merchantId: string;
  readonly balance: Amount;
}

/** The reader's part in a payment: show the prompt, wait for the confirm or cancel button. */
export interface CardHolderInterface {
  confirmPayment(prompt: PaymentPrompt): Promise<boolean>;
}

function pinHash(salt: Uint8Array, pin: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(salt).update(pin, 'ascii').digest());
}

function refuse(code: ConstructorParameters<typeof FarthingError>[0], message: string) {
  return new FarthingError(code, message);
}

/** Writes a blank card (a fresh id and key) unless the storage already holds one. */
export async function manufactureCard(
  storage: CardStorage,
  options: { cardId?: string; secretKey?: Uint8Array } = {},
): Promise<void> {
  if ((await storage.load()) !== undefined) return;
  const cardId =
    options.cardId ??
    Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
  const secretKey = options.secretKey ?? crypto.getRandomValues(new Uint8Array(32));
  await storage.commit(encodeCardRecord({ cardId, secretKey, purse: undefined }));
}

export class PurseApplet {
  readonly #storage: CardStorage;
  #record: CardRecord;
  /** RAM, cleared by SELECT and by losing power. */
  #pinVerified = false;

  private constructor(storage: CardStorage, record: CardRecord) {
    this.#storage = storage;
    this.#record = record;
  }

  /** Power-on: reads the committed state (a manufactured card must exist). */
  static async powerOn(storage: CardStorage): Promise<PurseApplet> {
    const bytes = await storage.load();
    if (bytes === undefined) throw new Error(`no card in ${storage.path}; manufacture one first`);
    return new PurseApplet(storage, decodeCardRecord(bytes));
  }

  get cardId(): string {
    return this.#record.cardId;
  }

  /** The state, for the reader's own display (balance reader) and for tests. */
  get record(): CardRecord {
    return this.#record;
  }

  /** One command APDU in, one response APDU out; refusals become status words. */
  async process(command: Uint8Array, holder: CardHolderInterface): Promise<Uint8Array> {
    try {
      const { cla, ins, data } = decodePurseCommand(command);
      if (cla !== purseCla) throw refuse('purse_command_unknown', 'class not supported');
      return encodePurseResponse(await this.#dispatch(ins, data, holder), statusOk);
    } catch (error) {
      if (error instanceof PowerCut) throw error;
      return encodePurseResponse(new Uint8Array(0), statusWordFor(error));
    }
  }

  async #dispatch(ins: number, data: Uint8Array, holder: CardHolderInterface) {
    switch (ins) {
      case purseInstructions.select:
        this.#pinVerified = false;
        return encodeCardInfo(this.info());
      case purseInstructions.personalise:
        return this.#personalise(data);
      case purseInstructions.verifyPin:
        return this.#verifyPin(data);
      case purseInstructions.loadRequest:
        return this.#loadRequest(data);
      case purseInstructions.load:
        return this.#load(data);
      case purseInstructions.pay:
        return this.#pay(data, holder);
      case purseInstructions.proofAgain:
        return this.#proofAgain(data);
      case purseInstructions.balance: {
        const purse = this.#personalised();
        return balances.encode({ balance: purse.balance, maximum: purse.maximum });
      }
      case purseInstructions.readLog:
        return encodeLog(this.#personalised().log);
      default:
        throw refuse('purse_command_unknown', `instruction 0x${ins.toString(16)} not supported`);
    }
  }

  info(): CardInfo {
    const { cardId, secretKey, purse } = this.#record;
    const publicKey = ed25519PublicKey(secretKey);
    if (purse === undefined) return { cardId, publicKey, state: 'blank' };
    return {
      cardId,
      publicKey,
      state: purse.pinTriesLeft === 0 ? 'pin-blocked' : 'active',
      purse: {
        balance: purse.balance,
        maximum: purse.maximum,
        sno: purse.sno,
        loadCounter: purse.loadCounter,
        pinTriesLeft: purse.pinTriesLeft,
        certificate: purse.certificate,
      },
    };
  }

  async #commit(purse: PurseRecord): Promise<void> {
    const next = { ...this.#record, purse };
    await this.#storage.commit(encodeCardRecord(next));
    this.#record = next;
  }

  #personalised(): PurseRecord {
    const { purse } = this.#record;
    if (purse === undefined) throw refuse('purse_not_personalised', 'the card is blank');
    return purse;
  }

  /** Personalised and its PIN not blocked: what every money command needs. */
  #usable(): PurseRecord {
    const purse = this.#personalised();
    if (purse.pinTriesLeft === 0) throw refuse('purse_pin_blocked', 'the card is blocked');
    return purse;
  }

  async #personalise(data: Uint8Array): Promise<Uint8Array> {
    if (this.#record.purse !== undefined) {
      throw refuse('purse_already_personalised', 'the card was personalised already');
    }
    const p = personalisations.decode(data);
    // The card has no clock: the certificate is checked at its own start of validity, which
    // proves it chains to the root and names this card and key.
    const notBefore = parseCertificate(p.certificate, 'certificate').notBefore;
    const certified = verifyPurseCardCertificate({
      chain: [p.certificate],
      trustedRoots: [p.issuerRoot],
      now: notBefore,
    });
    if (
      certified.cardId !== this.#record.cardId ||
      !equalBytes(certified.cardPublicKey, ed25519PublicKey(this.#record.secretKey))
    ) {
      throw refuse('purse_wrong_card', 'the certificate is for another card');
    }
    formatAmount(p.maximum);
    const pinSalt = crypto.getRandomValues(new Uint8Array(16));
    await this.#commit({
      certificate: p.certificate,
      issuerRoot: p.issuerRoot,
      issuerLoadKey: p.issuerLoadKey,
      pinSalt,
      pinHash: pinHash(pinSalt, p.pin),
      pinTriesLeft: pinTries,
      maximum: p.maximum,
      balance: zero(p.maximum.currency),
      sno: 0,
      loadCounter: 0,
      clock: notBefore,
      challengeFloor: 0,
      seenChallenges: [],
      log: [],
    });
    return encodeCardInfo(this.info());
  }

  async #verifyPin(data: Uint8Array): Promise<Uint8Array> {
    const purse = this.#usable();
    const pin = decodePin(data);
    const triesLeft = purse.pinTriesLeft - 1;
    await this.#commit({ ...purse, pinTriesLeft: triesLeft });
    if (equalBytes(pinHash(purse.pinSalt, pin), purse.pinHash)) {
      await this.#commit({ ...purse, pinTriesLeft: pinTries });
      this.#pinVerified = true;
      return new Uint8Array(0);
    }
    this.#pinVerified = false;
    if (triesLeft === 0) throw refuse('purse_pin_blocked', 'wrong PIN; the card is now blocked');
    throw new FarthingError('purse_pin_wrong', 'wrong PIN', { details: { triesLeft } });
  }

  async #loadRequest(data: Uint8Array): Promise<Uint8Array> {
    const purse = this.#usable();
    if (!this.#pinVerified) throw refuse('purse_pin_required', 'verify the PIN first');
    const requested = decodeAmount(data);
    if (requested.minor === 0) throw refuse('invalid_amount', 'load more than zero');
    this.#assertFits(purse, requested);
    const request = await purseLoadRequests.sign(
      { cardId: this.#record.cardId, loadCounter: purse.loadCounter, amount: requested },
      ed25519Signer(this.#record.secretKey),
    );
    return purseLoadRequests.encode(request);
  }

  #assertFits(purse: PurseRecord, amount: Amount): void {
    if (amount.currency !== purse.balance.currency) {
      throw refuse('currency_mismatch', `the card holds ${purse.balance.currency}`);
    }
    if (compareAmounts(addAmounts(purse.balance, amount), purse.maximum) > 0) {
      throw refuse('purse_over_maximum', `the card holds at most ${formatAmount(purse.maximum)}`);
    }
  }

  async #load(data: Uint8Array): Promise<Uint8Array> {
    const purse = this.#usable();
    const authorization = purseLoadAuthorizations.decode(data);
    purseLoadAuthorizations.verify(authorization, purse.issuerLoadKey);
    if (authorization.cardId !== this.#record.cardId) {
      throw refuse('purse_wrong_card', 'the load authorization is for another card');
    }
    if (authorization.loadCounter !== purse.loadCounter) {
      throw refuse('purse_load_replayed', 'the load authorization was used already');
    }
    this.#assertFits(purse, authorization.amount);
    const entry: PurseLogEntry = {
      type: 'load',
      amount: authorization.amount,
      loadCounter: authorization.loadCounter,
      at: authorization.issuedAt,
    };
    const next: PurseRecord = {
      ...purse,
      balance: addAmounts(purse.balance, authorization.amount),
      loadCounter: purse.loadCounter + 1,
      clock: Math.max(purse.clock, authorization.issuedAt),
      log: [entry, ...purse.log].slice(0, purseLogLength),
    };
    await this.#commit(next);
    return loadResults.encode({ balance: next.balance, loadCounter: next.loadCounter });
  }

  async #pay(data: Uint8Array, holder: CardHolderInterface): Promise<Uint8Array> {
    const purse = this.#usable();
    const command = decodePayCommand(data);
    const challenge = purseChallenges.decode(command.challenge);
    if (
      challenge.issuedAt <= purse.challengeFloor ||
      challenge.issuedAt < purse.clock - challengeWindowMs ||
      purse.seenChallenges.some((seen) => equalBytes(seen.nonce, challenge.nonce))
    ) {
      throw refuse('purse_challenge_replayed', 'this challenge was paid already or is too old');
    }
    const merchant = verifyPurseChallenge(challenge, {
      merchantChain: command.merchantChain,
      trustedRoots: [purse.issuerRoot],
      now: challenge.issuedAt,
    });
    if (challenge.amount.currency !== purse.balance.currency) {
      throw refuse('currency_mismatch', `the card holds ${purse.balance.currency}`);
    }
    if (compareAmounts(challenge.amount, purse.balance) > 0) {
      throw refuse('purse_insufficient_balance', `the card holds ${formatAmount(purse.balance)}`);
    }
    const confirmed = await holder.confirmPayment({
      amount: challenge.amount,
      payee: merchant.name,
      merchantId: merchant.merchantId,
      balance: purse.balance,
    });
    if (!confirmed) throw refuse('purse_cancelled', 'the holder cancelled on the reader');

    const sno = purse.sno + 1;
    // Ed25519 is deterministic: the same proof can be made again from the log after a cut.
    const proof = await purseProofs.sign(
      {
        cardId: this.#record.cardId,
        sno,
        merchantId: challenge.merchantId,
        tno: challenge.tno,
        amount: challenge.amount,
        nonce: challenge.nonce,
      },
      ed25519Signer(this.#record.secretKey),
    );
    // Forgetting by the issuer's time only: what falls out here is refused by the same rule
    // above, whatever time a merchant writes into its challenges.
    const window = purse.seenChallenges.filter(
      (seen) => seen.at >= purse.clock - challengeWindowMs,
    );
    const seen = [...window, { nonce: challenge.nonce, at: challenge.issuedAt }].sort(
      (a, b) => a.at - b.at,
    );
    const forgotten = seen.splice(0, Math.max(0, seen.length - maxSeenChallenges));
    const entry: PurseLogEntry = {
      type: 'pay',
      amount: challenge.amount,
      sno,
      merchantId: challenge.merchantId,
      tno: challenge.tno,
      at: challenge.issuedAt,
    };
    await this.#commit({
      ...purse,
      balance: subtractAmounts(purse.balance, challenge.amount),
      sno,
      challengeFloor: Math.max(purse.challengeFloor, ...forgotten.map((f) => f.at)),
      seenChallenges: seen,
      log: [entry, ...purse.log].slice(0, purseLogLength),
    });
    return purseProofs.encode(proof);
  }

  /**
   * PROOF AGAIN: the host lost the answer to a PAY (the reader was unplugged as the card
   * signed). A payment is found by its log entry (merchant, TNo, amount, time) and the nonce the
   * card remembers for it; Ed25519 is deterministic, so the proof is the very one made then and
   * cannot pay anything twice. Nothing changes on the card.
   */
  async #proofAgain(data: Uint8Array): Promise<Uint8Array> {
    const purse = this.#usable();
    const challenge = purseChallenges.decode(decodePayCommand(data).challenge);
    const entry = purse.log.find(
      (e) =>
        e.type === 'pay' &&
        e.merchantId === challenge.merchantId &&
        e.tno === challenge.tno &&
        e.at === challenge.issuedAt &&
        compareAmounts(e.amount, challenge.amount) === 0,
    );
    const seen = purse.seenChallenges.some(
      (s) => s.at === challenge.issuedAt && equalBytes(s.nonce, challenge.nonce),
    );
    if (entry?.type !== 'pay' || !seen) {
      throw refuse('purse_proof_unknown', 'the card has not paid this challenge');
    }
    const proof = await purseProofs.sign(
      {
        cardId: this.#record.cardId,
        sno: entry.sno,
        merchantId: challenge.merchantId,
        tno: challenge.tno,
        amount: challenge.amount,
        nonce: challenge.nonce,
      },
      ed25519Signer(this.#record.secretKey),
    );
    return purseProofs.encode(proof);
  }
}

/** Thrown by a storage standing in for a power cut (tests); never turned into a status word. */
export class PowerCut extends Error {
  override readonly name = 'PowerCut';
}
