/**
 * The host's view of the card: one method per command (protocol/src/purse/apdu.ts), over any
 * way of moving an APDU there and back — the applet directly in unit tests, the HID report
 * stream in everything else (hid/host-link.ts).
 */
import type { Amount } from '../amount.ts';
import {
  decodePurseResponse,
  encodePurseCommand,
  type PurseInstruction,
  purseInstructions,
} from './apdu.ts';
import {
  type BalanceResult,
  balances,
  type CardInfo,
  decodeCardInfo,
  decodeLog,
  encodeAmount,
  encodePayCommand,
  encodePin,
  type LoadResult,
  loadResults,
  type Personalisation,
  type PurseLogEntry,
  personalisations,
} from './card-commands.ts';
import { purseLoadRequests, type SignedPurseLoadRequest } from './load.ts';
import { purseProofs, type SignedPurseProof } from './proof.ts';

export type Transmit = (command: Uint8Array) => Promise<Uint8Array>;

export class PurseCardClient {
  readonly #transmit: Transmit;

  constructor(transmit: Transmit) {
    this.#transmit = transmit;
  }

  async #send(ins: PurseInstruction, data: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    return decodePurseResponse(await this.#transmit(encodePurseCommand({ ins, data })));
  }

  async select(): Promise<CardInfo> {
    return decodeCardInfo(await this.#send(purseInstructions.select));
  }

  async personalise(personalisation: Personalisation): Promise<CardInfo> {
    return decodeCardInfo(
      await this.#send(purseInstructions.personalise, personalisations.encode(personalisation)),
    );
  }

  async verifyPin(pin: string): Promise<void> {
    await this.#send(purseInstructions.verifyPin, encodePin(pin));
  }

  /** The card-signed request to take to the issuer (needs the PIN verified). */
  async loadRequest(
    value: Amount,
  ): Promise<{ bytes: Uint8Array; request: SignedPurseLoadRequest }> {
    const bytes = await this.#send(purseInstructions.loadRequest, encodeAmount(value));
    return { bytes, request: purseLoadRequests.decode(bytes) };
  }

  async load(authorization: Uint8Array): Promise<LoadResult> {
    return loadResults.decode(await this.#send(purseInstructions.load, authorization));
  }

  /** Waits for the holder's button on the reader; resolves with the card's proof. */
  async pay(
    challenge: Uint8Array,
    merchantChain: readonly Uint8Array[],
  ): Promise<{ bytes: Uint8Array; proof: SignedPurseProof }> {
    const bytes = await this.#send(
      purseInstructions.pay,
      encodePayCommand({ challenge, merchantChain }),
    );
    return { bytes, proof: purseProofs.decode(bytes) };
  }

  /**
   * The proof of a payment the card made for `challenge` already (its answer was lost on the
   * way), byte for byte as first signed; `purse_proof_unknown` when the card never paid it.
   */
  async proofAgain(challenge: Uint8Array): Promise<{ bytes: Uint8Array; proof: SignedPurseProof }> {
    const bytes = await this.#send(
      purseInstructions.proofAgain,
      encodePayCommand({ challenge, merchantChain: [] }),
    );
    return { bytes, proof: purseProofs.decode(bytes) };
  }

  async balance(): Promise<BalanceResult> {
    return balances.decode(await this.#send(purseInstructions.balance));
  }

  async readLog(): Promise<PurseLogEntry[]> {
    return decodeLog(await this.#send(purseInstructions.readLog));
  }
}
