/**
 * What the instrument tests share (not part of the wallet; no production file imports it): a
 * wallet on fake-indexeddb, a checked offer signed by a merchant key, a merchant that checks
 * credentials as the SDK does (deposit permissions against the denomination, PayWord words
 * against the last accepted one) and answers the same credential with the same receipt, and a
 * crash at any step of a payment: the k-th read-write transaction or request, made to throw as
 * if the service worker died there.
 */
import 'fake-indexeddb/auto';
import { amount } from '@farthing/protocol/amount';
import type { RsaPssVerify } from '@farthing/protocol/coin/coin';
import type { Denomination } from '@farthing/protocol/coin/denomination';
import { verifyDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { decodeCredential } from '@farthing/protocol/credential';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { equalBytes, toBase64url } from '@farthing/protocol/encoding';
import { offerHash, signOffer } from '@farthing/protocol/offer';
import { offerToken } from '@farthing/protocol/offer-token';
import { hashWordTimes } from '@farthing/protocol/payword/chain';
import { receipts, signReceipt } from '@farthing/protocol/receipt';
import { expect } from 'vitest';
import type { WalletContext } from '../context.ts';
import {
  type BankRecord,
  openWalletDb,
  type SettingsRecord,
  type WalletDatabase,
} from '../db/schema.ts';
import { openSealer } from '../keys.ts';
import type { CheckedOffer } from '../pay/offer.ts';
import { type PayHooks, runPayment } from '../pay/send.ts';
import type { WalletPlatform } from '../platform.ts';

/** 2026-01-01T00:00:00Z. */
export const now = Date.UTC(2026, 0, 1);
export const bankUrl = 'https://bank.example';
export const merchantSigner = ed25519Signer(new Uint8Array(32).fill(0x3d));

export class Crash extends Error {
  override readonly name = 'Crash';
}

/**
 * The steps of a payment where a worker can die: each read-write transaction (before it is
 * made: nothing of it commits) and each request (before it leaves, or after the merchant acted
 * on it and before the answer arrives). `crashAt` is the step that throws; `steps` counts them.
 */
export interface Steps {
  crashAt: number;
  steps: number;
}

/**
 * A crash test over every step: `round` runs once stopping nowhere, which counts the steps (at
 * least `least`), then once stopping at each of them and once past the last. Each round opens
 * its dying wallet with the `Steps` it is given and returns the checks to make after the stop
 * (the counting round's are not made).
 */
export async function atEveryStop(
  least: number,
  round: (steps: Steps) => Promise<() => Promise<void>>,
): Promise<void> {
  const counting: Steps = { crashAt: 0, steps: 0 };
  await round(counting);
  expect(counting.steps).toBeGreaterThanOrEqual(least);
  for (let crashAt = 1; crashAt <= counting.steps + 1; crashAt++) {
    const afterTheStop = await round({ crashAt, steps: 0 });
    await afterTheStop();
  }
}

/** Runs `work` in a dying wallet: the stop, or the merchant unreachable because of it, ends it. */
export async function untilStopped(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof Crash)) expect(error).toMatchObject({ code: 'merchant_unreachable' });
  }
}

/** One worker's view of the wallet: its own database connection and its own memory. */
export interface FixtureWallet extends WalletContext {
  readonly name: string;
}

/** Whoever answers the wallet's requests in a test: a merchant, a mint. */
export interface FixtureServer {
  answer(url: string, init: RequestInit): Promise<Response>;
}

export async function openFixtureWallet(
  name: string,
  merchant: FixtureServer,
  steps: Steps = { crashAt: 0, steps: 0 },
): Promise<FixtureWallet> {
  const db = await openWalletDb(name);
  await db.put('settings', settings);
  const step = () => {
    steps.steps += 1;
    if (steps.steps === steps.crashAt) throw new Crash(`worker stopped at step ${steps.steps}`);
  };
  const platform: WalletPlatform = {
    now: () => now,
    async fetch(url, init) {
      step();
      const response = await merchant.answer(url, init);
      step();
      return response;
    },
  };
  const crashing = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver);
      return (...args: Parameters<WalletDatabase['transaction']>) => {
        if (args[1] === 'readwrite') step();
        return target.transaction(...args);
      };
    },
  });
  return { name, db: crashing, sealer: await openSealer(db), platform };
}

/** The pay flow's hooks for a click nobody watches: every confirmation is accepted. */
export const hooks: PayHooks = { confirm: async () => true };

/** Runs every open payment task, as the task runner does when the worker starts again. */
export async function resumePayments(wallet: FixtureWallet): Promise<void> {
  for (const task of await wallet.db.getAll('tasks')) {
    if (task.kind === 'pay' && (task.status === 'reserved' || task.status === 'sent')) {
      await runPayment(wallet, hooks, task);
    }
  }
}

/** Lets the relaxed confirmation, committed after the click is answered, land. */
export function settled(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

export function freshWalletName(): string {
  return `instrument-${crypto.randomUUID()}`;
}

/** Settings under which nothing asks: limits far above the tests' prices. */
export const settings: SettingsRecord = {
  id: 'settings',
  currency: 'EUR',
  autoPayThreshold: 100,
  defaultSiteBudget: 1_000,
  dailyBudget: 1_000,
  confirmFirstPayment: false,
  seenVisibleMs: 0,
  seenShownMs: 0,
  paywordCredit: 100,
};

export const bank = {
  url: bankUrl,
  name: 'Fixture bank',
  brokerId: 'bank.example',
} as unknown as BankRecord;

/** An offer of `minor` cents for `resource`, as checkOffer hands it to the instruments. */
export async function checkedOffer(
  minor: number,
  resource: string,
  instruments: readonly ('ecash' | 'payword')[],
): Promise<CheckedOffer> {
  const offer = await signOffer(
    {
      merchantId: 'shop.example',
      merchantOrigin: 'https://shop.example',
      resource,
      amount: amount('EUR', minor),
      createdAt: now - 1_000,
      expiresAt: now + 600_000,
      instruments,
    },
    merchantSigner,
  );
  return {
    offer,
    token: offerToken(offer),
    hash: toBase64url(offerHash(offer)),
    origin: 'https://shop.example',
    resourceUrl: `https://shop.example${resource}`,
    payee: {
      name: 'Fixture shop',
      origin: 'https://shop.example',
      merchantId: 'shop.example',
      bankUrl,
    },
    bank,
    offerPublicKey: merchantSigner.publicKey,
    payEndpoint: 'https://shop.example/.well-known/farthing/pay',
    descriptorInstruments: instruments,
  };
}

/**
 * The merchant's side of a pay endpoint, as far as the wallet can tell: a credential that
 * verifies is taken and answered with a signed receipt; the same credential again gets the same
 * receipt; a coin or a word taken before for another credential is a double spend, answered
 * 409 and kept in `doubleSpends`.
 */
export class FixtureMerchant {
  readonly doubleSpends: string[] = [];
  /** coinPub → the credential that deposited it. */
  readonly deposited = new Map<string, string>();
  /** Per PayWord commitment: the last index accepted and its word. */
  readonly chains = new Map<string, { index: number; word: Uint8Array }>();
  readonly answers = new Map<string, unknown>();
  refuseNext = false;

  constructor(
    private readonly denomination?: Denomination,
    private readonly rsaVerify?: RsaPssVerify,
  ) {}

  async answer(url: string, init: RequestInit): Promise<Response> {
    if (!url.endsWith('/.well-known/farthing/pay')) return new Response('', { status: 404 });
    const text = String(init.body);
    const earlier = this.answers.get(text);
    if (earlier !== undefined) return Response.json(earlier);
    if (this.refuseNext) {
      this.refuseNext = false;
      return Response.json({ code: 'payment_refused', message: 'refused' }, { status: 402 });
    }
    const credential = decodeCredential(new TextEncoder().encode(text));
    if (credential.type === 'ecash') {
      for (const permission of credential.coins) {
        try {
          verifyDepositPermission(permission, this.denomination!, {
            now,
            rsaVerify: this.rsaVerify!,
          });
        } catch {
          return Response.json({ code: 'bad_signature' }, { status: 400 });
        }
        const coinPub = toBase64url(permission.coin.coinPublicKey);
        if (this.deposited.has(coinPub)) {
          this.doubleSpends.push(coinPub);
          return Response.json({ code: 'coin_already_spent' }, { status: 409 });
        }
      }
      for (const permission of credential.coins) {
        this.deposited.set(toBase64url(permission.coin.coinPublicKey), text);
      }
    } else if (credential.type === 'payword') {
      const { payment } = credential;
      const id = toBase64url(payment.commitmentId);
      const last =
        this.chains.get(id) ??
        (payment.commitment === undefined
          ? undefined
          : { index: 0, word: payment.commitment.root });
      if (last === undefined) return Response.json({ code: 'unknown_chain' }, { status: 409 });
      if (
        payment.index <= last.index ||
        !equalBytes(hashWordTimes(payment.word, payment.index - last.index), last.word)
      ) {
        this.doubleSpends.push(`${id}:${payment.index}`);
        return Response.json({ code: 'payword_replayed' }, { status: 409 });
      }
      this.chains.set(id, { index: payment.index, word: payment.word });
    } else {
      return Response.json({ code: 'instrument_unsupported' }, { status: 400 });
    }
    const receipt = await signReceipt(
      {
        offerHash: offerHash(credential.offer),
        merchantId: credential.offer.merchantId,
        resource: credential.offer.resource,
        amount: credential.offer.amount,
        instrument: credential.type,
        paidAt: now,
      },
      merchantSigner,
    );
    const answer = {
      receipt: receipts.signedToWire(receipt),
      grant: { resource: credential.offer.resource, expiresAt: now + 3_600_000 },
    };
    this.answers.set(text, answer);
    return Response.json(answer);
  }
}
