/**
 * The payer's side of PayWord (DESIGN.md "PayWord"): a user certificate from the broker (one
 * per bank, under a non-extractable Ed25519 key), one chain per vendor made on first use and
 * committed to with that key, and words revealed per click.
 *
 * Getting a certificate is a task like any other: the key is made and the task written
 * (`reserved`) before the request; the request carries the task id as Idempotency-Key, so a
 * retry after a crash gets the same certificate and holds the credit only once.
 *
 * The credit asked for is the user's `paywordCredit` setting: the bank holds that much of the
 * account (bank/src/broker/certificates.ts) until sites redeem it or, after the certificate
 * expires and sites have had the bank's grace period to redeem, gives the rest back. The popup
 * and onboarding say so before the first PayWord payment takes the hold.
 */
import { amount, formatAmount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import {
  type PaywordUserCertificate,
  paywordCertificates,
  verifyPaywordUserCertificate,
} from '@farthing/protocol/payword/certificate';
import {
  createPaywordChain,
  type PaywordChain,
  randomChainSeed,
} from '@farthing/protocol/payword/chain';
import { type PaywordCommitment, paywordCommitments } from '@farthing/protocol/payword/commitment';
import * as v from 'valibot';
import type { TaskView } from '../../../messages/contract.ts';
import { recordMissing } from '../../../messages/failure.ts';
import { sessionToken, trustedBank } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import {
  type BankRecord,
  moneyTx,
  newId,
  type PaywordCertificateRecord,
  type PaywordChainRecord,
  type TaskRecord,
} from '../../db/schema.ts';
import { errorJson, WalletFailure } from '../../errors.ts';
import { bankParty, isTransient, requestJson } from '../../http.ts';
import { createUserKey, userSigner } from '../../keys.ts';
import { claimSeed } from '../../recovery/master.ts';
import { defaultSettings, loadSettings } from '../../settings.ts';
import { newTask, setTask, taskView } from '../../tasks.ts';

/** Credit held at the broker per certificate unless the settings say otherwise. */
export const paywordCreditLimit = defaultSettings.paywordCredit;
/** Words per chain (one minor unit each). */
export const paywordChainLength = 100;
/** PayWord is chosen for prices up to this (minor units); coins above. */
export const paywordMaxPrice = 10;
const certificateMinLifeMs = 60 * 60_000;
const chainLifeMs = 24 * 60 * 60_000;

export async function certificateOf(
  ctx: WalletContext,
  bankUrl: string,
  words: number,
): Promise<PaywordCertificateRecord | undefined> {
  const now = ctx.platform.now();
  const all = await ctx.db.getAllFromIndex('paywordCertificates', 'bankUrl', bankUrl);
  return all
    .filter(
      (c) => c.expiresAt > now + certificateMinLifeMs && c.creditLimit.minor - c.committed >= words,
    )
    .sort((a, b) => b.expiresAt - a.expiresAt)[0];
}

/** Writes the key and the task; `runCertificateTask` then asks the broker. */
export async function startCertificate(
  ctx: WalletContext,
  bank: BankRecord,
  currency: string,
): Promise<TaskRecord> {
  const settings = await loadSettings(ctx.db);
  const credit = settings.currency === currency ? settings.paywordCredit : paywordCreditLimit;
  const keyId = `payword-user:${newId()}` as const;
  await createUserKey(ctx.db, ctx.sealer, keyId);
  // The task names the key and the bank: `<key id> <bank url>`.
  const task = newTask(
    'payword_certificate',
    `${keyId} ${bank.url}`,
    { currency, minor: credit },
    ctx.platform.now(),
  );
  const tx = moneyTx(ctx.db, ['tasks']);
  await tx.objectStore('tasks').add(task);
  await tx.done;
  return task;
}

export async function runCertificateTask(ctx: WalletContext, task: TaskRecord): Promise<TaskView> {
  const [keyId, bankUrl] = task.ref.split(' ') as [`payword-user:${string}`, string];
  const bank = await trustedBank(ctx, bankUrl);
  const token = await sessionToken(ctx, bank.url);
  const signer = await userSigner(ctx.db, ctx.sealer, keyId);
  if (signer === undefined) throw recordMissing('PayWord key', keyId);
  const limit = task.amount ?? { currency: 'EUR', minor: paywordCreditLimit };
  if (task.status === 'reserved') {
    const tx = moneyTx(ctx.db, ['tasks']);
    await setTask(tx.objectStore('tasks'), task.id, { status: 'sent' }, ctx.platform.now());
    await tx.done;
  }
  let json: unknown;
  let certificate: PaywordUserCertificate;
  try {
    json = await requestJson(
      ctx.platform,
      bankParty,
      {
        method: 'POST',
        url: `${bank.url}/v1/broker/certificates`,
        token,
        idempotencyKey: task.id,
        body: {
          userPublicKey: toBase64url(signer.publicKey),
          creditLimit: formatAmount(amount(limit.currency, limit.minor)),
        },
      },
      v.unknown(),
    );
    certificate = paywordCertificates.parse(json);
    verifyPaywordUserCertificate(certificate, {
      brokerPublicKey: bank.brokerKey,
      now: ctx.platform.now(),
    });
  } catch (error) {
    if (
      !isTransient(error) &&
      !(error instanceof WalletFailure && error.code === 'not_logged_in')
    ) {
      const tx = moneyTx(ctx.db, ['tasks']);
      await setTask(
        tx.objectStore('tasks'),
        task.id,
        { status: 'failed', error: errorJson(error) },
        ctx.platform.now(),
      );
      await tx.done;
    }
    throw error instanceof WalletFailure
      ? error
      : new WalletFailure('bank_error', 'The bank’s PayWord certificate does not verify.', {
          cause: error,
        });
  }
  const now = ctx.platform.now();
  const record: PaywordCertificateRecord = {
    id: task.id,
    bankUrl: bank.url,
    json,
    keyId,
    creditLimit: {
      currency: certificate.creditLimit.currency,
      minor: certificate.creditLimit.minor,
    },
    committed: 0,
    expiresAt: certificate.expiresAt,
    createdAt: now,
  };
  const tx = moneyTx(ctx.db, ['paywordCertificates', 'tasks']);
  if ((await tx.objectStore('paywordCertificates').getKey(record.id)) === undefined) {
    await tx.objectStore('paywordCertificates').add(record);
  }
  const done = await setTask(tx.objectStore('tasks'), task.id, { status: 'confirmed' }, now);
  await tx.done;
  return taskView(done ?? task);
}

/** Chains restored this worker's lifetime (walking a chain again costs its length in hashes). */
const liveChains = new Map<string, { chain: PaywordChain; commitment: PaywordCommitment }>();

/** The chain as restored earlier in this worker's lifetime, if it was. */
export function restoredChain(
  record: PaywordChainRecord,
): { chain: PaywordChain; commitment: PaywordCommitment } | undefined {
  return liveChains.get(record.id);
}

export async function chainOf(
  ctx: WalletContext,
  record: PaywordChainRecord,
): Promise<{ chain: PaywordChain; commitment: PaywordCommitment }> {
  const live = liveChains.get(record.id);
  if (live !== undefined) return live;
  const seed = await ctx.sealer.open(record.seed);
  const chain = createPaywordChain(seed, record.length);
  seed.fill(0);
  const restored = { chain, commitment: paywordCommitments.parse(record.commitment) };
  liveChains.set(record.id, restored);
  return restored;
}

/**
 * Of the vendor's open chains (the `vendor` index at `[vendorId, 'open']`), one with `words`
 * left. A closed chain is never usable, whoever hands it in (the click path's remembered
 * chain included).
 */
export function usableChain(
  open: readonly PaywordChainRecord[],
  words: number,
  now: number,
): PaywordChainRecord | undefined {
  return open.find(
    (chain) =>
      chain.status === 'open' &&
      chain.reservedIndex + words <= chain.length &&
      chain.expiresAt > now + 60_000,
  );
}

/** The vendor's open chain with `words` left, if any. */
export async function openChainFor(
  ctx: WalletContext,
  vendorId: string,
  words: number,
): Promise<PaywordChainRecord | undefined> {
  const open = await ctx.db.getAllFromIndex('paywordChains', 'vendor', [vendorId, 'open']);
  return usableChain(open, words, ctx.platform.now());
}

/**
 * Makes and commits a new chain for `vendorId` under `certificate` (no network). Older open
 * chains for the vendor are closed: their unrevealed words are simply never spent.
 */
export async function createChain(
  ctx: WalletContext,
  certificate: PaywordCertificateRecord,
  vendorId: string,
): Promise<PaywordChainRecord> {
  const now = ctx.platform.now();
  const parsed = paywordCertificates.parse(certificate.json);
  const signer = await userSigner(ctx.db, ctx.sealer, certificate.keyId);
  if (signer === undefined) throw recordMissing('PayWord key', certificate.keyId);
  const length = Math.min(
    paywordChainLength,
    certificate.creditLimit.minor - certificate.committed,
  );
  const seed = (await claimSeed(ctx, 'payword-chain'))?.seed ?? randomChainSeed();
  const chain = createPaywordChain(seed, length);
  const valuePerWord = amount(certificate.creditLimit.currency, 1);
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate: parsed,
      root: chain.root,
      length,
      valuePerWord,
      createdAt: now,
      expiresAt: Math.min(parsed.expiresAt, now + chainLifeMs),
    },
    signer,
  );
  const record: PaywordChainRecord = {
    id: newId(),
    bankUrl: certificate.bankUrl,
    vendorId,
    certificateId: certificate.id,
    seed: await ctx.sealer.seal(seed),
    length,
    valuePerWord: { currency: valuePerWord.currency, minor: valuePerWord.minor },
    commitment: paywordCommitments.toJson(commitment),
    reservedIndex: 0,
    acceptedIndex: 0,
    status: 'open',
    expiresAt: commitment.expiresAt,
    createdAt: now,
  };
  seed.fill(0);
  const tx = moneyTx(ctx.db, ['paywordChains', 'paywordCertificates']);
  const certificates = tx.objectStore('paywordCertificates');
  const current = await certificates.get(certificate.id);
  if (current === undefined || current.creditLimit.minor - current.committed < length) {
    tx.abort();
    await tx.done.catch(() => undefined);
    throw new WalletFailure('insufficient_funds', 'The PayWord credit is used up.');
  }
  await certificates.put({ ...current, committed: current.committed + length });
  const chains = tx.objectStore('paywordChains');
  for (const old of await chains.index('vendor').getAll([vendorId, 'open'])) {
    await chains.put({ ...old, status: 'closed' });
  }
  await chains.add(record);
  await tx.done;
  liveChains.set(record.id, { chain, commitment });
  return record;
}
