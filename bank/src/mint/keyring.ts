/**
 * The mint's denomination keys in memory, their rotation and the signed key set.
 *
 * Each key is loaded once (at startup or when generated): the protocol `Denomination`, its
 * id, a native blind signer and a native public key for verification, so no request ever
 * parses a key. Keys are plain `rsa` keys, not `rsa-pss`: OpenSSL refuses the raw RSA
 * operation RFC 9474 blind signing needs on id-RSASSA-PSS keys (protocol/src/node/blind-rsa.ts).
 *
 * Rotation (policy.ts): for every value there is always a key that signs now, and the next
 * one is generated `lookaheadMs` before the current one stops signing. The key set lists every
 * key whose coins can still be deposited, including keys not valid yet, and is signed with the
 * master key once per change of that list.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { amount, formatAmount } from '@farthing/protocol/amount';
import type { BlindRsaSigner } from '@farthing/protocol/blind-rsa';
import { publicKeyToJwk } from '@farthing/protocol/blind-rsa/public-key';
import {
  checkDenominationUsable,
  type Denomination,
  type DenominationPublicKey,
  type DenominationUse,
  denominationCipher,
  denominationId,
} from '@farthing/protocol/coin/denomination';
import {
  type MintKeySetWire,
  mintKeySets,
  signMintKeySet,
} from '@farthing/protocol/coin/mint-key-set';
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import { equalBytes, fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { nodeBlindRsaSigner } from '@farthing/protocol/node/blind-rsa';
import type { Logger } from '../log.ts';
import type { BankStore, DenominationRecord } from '../store/store.ts';
import { checkMintKeyPolicy, type MintKeyPolicy } from './policy.ts';

const generateRsaKeyPair = promisify(generateKeyPair);

/** One denomination key, ready for signing and verifying. */
export interface DenominationKey {
  readonly id: Uint8Array;
  /** `id` as base64url, for logs and errors. */
  readonly idText: string;
  readonly denomination: Denomination;
  readonly signer: BlindRsaSigner;
  readonly verifyKey: KeyObject;
}

export interface KeyringOptions {
  readonly store: BankStore;
  readonly log: Logger;
  /** The mint's Ed25519 master key (`BankKeys.mintMaster`). */
  readonly masterKey: Ed25519Signer;
  readonly currency: string;
  readonly now: () => number;
  readonly policy: MintKeyPolicy;
}

/** Map key of an id: latin1 keeps one character per byte without copying the bytes first. */
function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

interface CachedKeySet {
  readonly generation: number;
  /** The first moment a listed key's deposit window ends, which changes the list. */
  readonly validUntil: number;
  readonly json: Promise<string>;
}

export class Keyring {
  readonly #options: KeyringOptions;
  readonly #byId = new Map<string, DenominationKey>();
  readonly #verifyKeys = new WeakMap<DenominationPublicKey, KeyObject>();
  readonly #listeners = new Set<(key: DenominationKey) => void>();
  #generation = 0;
  #keySet: CachedKeySet | undefined;
  #rotation: Promise<number> | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: KeyringOptions) {
    this.#options = { ...options, policy: checkMintKeyPolicy(options.policy) };
  }

  /** Loads the stored keys and generates whatever the policy says is missing. */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(options);
    const records = await options.store.listDenominations();
    for (const record of records) {
      if (record.currency === options.currency) keyring.#add(loadKey(record));
    }
    options.log.info({ denominations: keyring.#byId.size }, 'mint keys loaded');
    await keyring.rotate();
    return keyring;
  }

  /** The native public key of one of this mint's denominations, for RFC 9474 §4.5 checks. */
  verifyKeyOf(publicKey: DenominationPublicKey): KeyObject | undefined {
    return this.#verifyKeys.get(publicKey);
  }

  /**
   * Calls `listener` with every key added from now on (rotation), so copies of the public keys
   * held elsewhere (the deposit worker threads) stay complete; returns the unsubscribe.
   */
  onKeyAdded(listener: (key: DenominationKey) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  find(id: Uint8Array): DenominationKey | undefined {
    return this.#byId.get(idKey(id));
  }

  /** The key with this id if it may be used for `use` now; the protocol's coded errors if not. */
  usable(id: Uint8Array, use: DenominationUse, now: number): DenominationKey {
    const key = this.find(id);
    if (key === undefined) {
      throw new FarthingError('unknown_denomination', 'the mint does not know this coin key', {
        details: { field: 'denominationId', denominationId: toBase64url(id) },
      });
    }
    checkDenominationUsable(key.denomination, use, now);
    return key;
  }

  /** Every key held, oldest first within each value. */
  list(): DenominationKey[] {
    return [...this.#byId.values()].sort(
      (a, b) =>
        a.denomination.value.minor - b.denomination.value.minor ||
        a.denomination.validFrom - b.denomination.validFrom,
    );
  }

  /** The signed key set as JSON text, signed again only when the list of keys changed. */
  keySetJson(): Promise<string> {
    const now = this.#options.now();
    const cached = this.#keySet;
    if (cached !== undefined && cached.generation === this.#generation && now < cached.validUntil) {
      return cached.json;
    }
    const live = this.list().filter((key) => now < key.denomination.depositUntil);
    if (live.length === 0) {
      return Promise.reject(new FarthingError('internal', 'the mint has no denomination keys'));
    }
    const validUntil = Math.min(...live.map((key) => key.denomination.depositUntil));
    const json = signMintKeySet(
      { issuedAt: now, denominations: live.map((key) => key.denomination) },
      this.#options.masterKey,
    ).then((signed) => JSON.stringify(mintKeySets.signedToWire(signed) satisfies MintKeySetWire));
    const entry: CachedKeySet = { generation: this.#generation, validUntil, json };
    this.#keySet = entry;
    json.catch(() => {
      if (this.#keySet === entry) this.#keySet = undefined;
    });
    return json;
  }

  /**
   * Generates the keys the policy calls for at the current time; resolves to how many. Calls
   * that overlap share one run.
   */
  rotate(): Promise<number> {
    this.#rotation ??= this.#rotate().finally(() => {
      this.#rotation = undefined;
    });
    return this.#rotation;
  }

  /** Checks the keys every `checkIntervalMs` until `stop()`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.rotate().catch((error: unknown) =>
        this.#options.log.error({ err: error }, 'mint key rotation failed'),
      );
    }, this.#options.policy.checkIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One bank process at a time (`BankStore.exclusively`): another on the same database
   * (PostgreSQL) rotating at the same moment waits, then finds the keys this one made.
   */
  #rotate(): Promise<number> {
    return this.#options.store.exclusively('mint-key-rotation', () => this.#rotateNow());
  }

  async #rotateNow(): Promise<number> {
    const { policy, log } = this.#options;
    // Other bank processes on the same database (PostgreSQL) may have made keys since: take
    // theirs first, so this one neither misses them nor makes the same windows again. Their
    // keys reach this process within one check interval.
    for (const record of await this.#options.store.listDenominations()) {
      if (record.currency === this.#options.currency && this.find(record.id) === undefined) {
        this.#add(loadKey(record));
      }
    }
    const now = this.#options.now();
    const due = policy.values.flatMap((value) => this.#dueKeys(value, now));
    if (due.length === 0) return 0;
    log.info({ keys: due.length }, 'generating mint denomination keys (RSA-2048)');
    let done = 0;
    // Key generation runs on libuv's thread pool, so the keys are made in parallel.
    await Promise.all(
      due.map(async (window) => {
        const key = await this.#generate(window);
        done++;
        log.info(
          {
            value: formatAmount(key.denomination.value),
            validFrom: new Date(key.denomination.validFrom).toISOString(),
            denominationId: key.idText,
            progress: `${done}/${due.length}`,
          },
          'mint key generated',
        );
      }),
    );
    return due.length;
  }

  /** The windows of the keys `value` still needs at `now` (at most two; policy.ts). */
  #dueKeys(value: number, now: number): KeyWindow[] {
    const { withdrawPeriodMs, depositPeriodMs, overlapMs, lookaheadMs } = this.#options.policy;
    const window = (validFrom: number): KeyWindow => ({
      value,
      validFrom,
      withdrawUntil: validFrom + withdrawPeriodMs,
      depositUntil: validFrom + depositPeriodMs,
    });
    const keys = [...this.#byId.values()]
      .map((key) => key.denomination)
      .filter((d) => d.value.minor === value);
    const due: KeyWindow[] = [];
    if (!keys.some((d) => d.validFrom <= now && now < d.withdrawUntil)) due.push(window(now));
    let lastEnd = Math.max(...keys.map((d) => d.withdrawUntil), ...due.map((w) => w.withdrawUntil));
    while (lastEnd - now < lookaheadMs) {
      const next = window(lastEnd - overlapMs);
      due.push(next);
      lastEnd = next.withdrawUntil;
    }
    return due;
  }

  async #generate(window: KeyWindow): Promise<DenominationKey> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const denomination: Denomination = {
      value: amount(this.#options.currency, window.value),
      publicKey: { n: fromBase64url(jwk.n, 'n'), e: fromBase64url(jwk.e, 'e') },
      cipher: denominationCipher,
      validFrom: window.validFrom,
      withdrawUntil: window.withdrawUntil,
      depositUntil: window.depositUntil,
    };
    const id = denominationId(denomination);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    await this.#options.store.insertDenomination({
      id,
      currency: denomination.value.currency,
      value: window.value,
      publicN: denomination.publicKey.n,
      publicE: denomination.publicKey.e,
      privateKey: new Uint8Array(der.buffer, der.byteOffset, der.byteLength),
      validFrom: window.validFrom,
      withdrawUntil: window.withdrawUntil,
      depositUntil: window.depositUntil,
      createdAt: this.#options.now(),
    });
    const key = ready(id, denomination, privateKey);
    this.#add(key);
    return key;
  }

  #add(key: DenominationKey): void {
    this.#byId.set(idKey(key.id), key);
    this.#verifyKeys.set(key.denomination.publicKey, key.verifyKey);
    this.#generation++;
    for (const listener of this.#listeners) listener(key);
  }
}

interface KeyWindow {
  readonly value: number;
  readonly validFrom: number;
  readonly withdrawUntil: number;
  readonly depositUntil: number;
}

function ready(id: Uint8Array, denomination: Denomination, privateKey: KeyObject): DenominationKey {
  return Object.freeze({
    id,
    idText: toBase64url(id),
    denomination: Object.freeze({
      ...denomination,
      publicKey: Object.freeze({ ...denomination.publicKey }),
    }),
    signer: nodeBlindRsaSigner(privateKey),
    verifyKey: createPublicKey(privateKey),
  });
}

/** A stored key, checked: its id must hash from its fields and its private key match `n`. */
function loadKey(record: DenominationRecord): DenominationKey {
  const denomination: Denomination = {
    value: amount(record.currency, record.value),
    publicKey: { n: record.publicN, e: record.publicE },
    cipher: denominationCipher,
    validFrom: record.validFrom,
    withdrawUntil: record.withdrawUntil,
    depositUntil: record.depositUntil,
  };
  const id = denominationId(denomination);
  const privateKey = createPrivateKey({
    key: Buffer.from(record.privateKey),
    format: 'der',
    type: 'pkcs8',
  });
  const key = ready(id, denomination, privateKey);
  if (
    !equalBytes(id, record.id) ||
    publicKeyToJwk(key.signer.publicKey).n !== toBase64url(record.publicN)
  ) {
    throw new Error(`stored denomination ${toBase64url(record.id)} does not match its key`);
  }
  return key;
}
