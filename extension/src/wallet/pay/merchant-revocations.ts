/**
 * Refusing merchants whose certificate the bank revoked (issue 18). Each bank publishes the
 * serials of its revoked, unexpired merchant certificates, dated and signed by its CA key
 * (`GET /v1/ca/merchant-revocations`, protocol x509/merchant-revocations.ts). Before an offer
 * is trusted the wallet looks the merchant's certificate up in that bank's list, fetching the
 * list again when its copy is `revocationCheckIntervalMs` old.
 *
 * The window: a certificate revoked at time t is refused by every wallet from t + 5 minutes
 * (plus the time one fetch takes). A list is fetched at most once per interval per bank, and
 * only when a payment to one of that bank's merchants is being checked, so a wallet that pays
 * no one asks nothing. Fail closed: when the list cannot be had (the bank does not answer, the
 * signature does not verify, it is dated more than 5 minutes from this device's clock), the
 * wallet does not pay that bank's merchants, since the window could not be kept otherwise;
 * paying them needs the bank online anyway (deposits, redemptions). The list is kept in the
 * worker's memory only: a restarted worker fetches it again before the next payment.
 */
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { verifyMerchantRevocations } from '@farthing/protocol/x509/merchant-revocations';
import * as v from 'valibot';
import { perDatabase, type WalletContext } from '../context.ts';
import type { BankRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { bankParty, requestJson } from '../http.ts';

/** How old the wallet's copy of a bank's revocation list may be when it pays. */
export const revocationCheckIntervalMs = 5 * 60_000;

interface KnownList {
  readonly caFingerprint: string;
  readonly serials: ReadonlySet<string>;
  readonly fetchedAt: number;
}

/** Per database and bank URL: the list, or the fetch in flight (one at a time per bank). */
const listsOf = perDatabase<string, KnownList | Promise<KnownList>>();

async function fetchList(ctx: WalletContext, bank: BankRecord): Promise<KnownList> {
  const json = await requestJson(
    ctx.platform,
    bankParty,
    { method: 'GET', url: `${bank.url}/v1/ca/merchant-revocations` },
    v.unknown(),
  );
  const now = ctx.platform.now();
  const caKey = parseCertificate(bank.caCertificate).publicKey;
  try {
    if (caKey.type !== 'ed25519') throw new TypeError('the bank CA key is not Ed25519');
    const list = verifyMerchantRevocations(json, { caPublicKey: caKey.raw, now });
    return { caFingerprint: bank.caFingerprint, serials: new Set(list.serials), fetchedAt: now };
  } catch (cause) {
    throw new WalletFailure(
      'merchant_not_certified',
      `${bank.name} did not confirm which merchant certificates it revoked; nothing was paid. Check this device's clock and try again.`,
      { cause },
    );
  }
}

/** The bank's list, no older than `revocationCheckIntervalMs`. */
async function currentList(ctx: WalletContext, bank: BankRecord): Promise<KnownList> {
  const lists = listsOf(ctx.db);
  const known = lists.get(bank.url);
  const now = ctx.platform.now();
  if (known instanceof Promise) return known;
  if (
    known !== undefined &&
    known.caFingerprint === bank.caFingerprint &&
    now >= known.fetchedAt &&
    now - known.fetchedAt < revocationCheckIntervalMs
  ) {
    return known;
  }
  const fetching = fetchList(ctx, bank);
  lists.set(bank.url, fetching);
  try {
    const fetched = await fetching;
    lists.set(bank.url, fetched);
    return fetched;
  } catch (error) {
    lists.delete(bank.url);
    throw error;
  }
}

/**
 * Throws `merchant_not_certified` if `bank` revoked the certificate `serialNumber` (lower-case
 * hex), or its list cannot be had (`bank_unreachable` when the bank does not answer).
 */
export async function assertMerchantCertificateNotRevoked(
  ctx: WalletContext,
  bank: BankRecord,
  serialNumber: string,
): Promise<void> {
  const list = await currentList(ctx, bank);
  if (list.serials.has(serialNumber)) {
    throw new WalletFailure(
      'merchant_not_certified',
      `${bank.name} has revoked this merchant's certificate; nothing was paid.`,
      { detail: { revoked: true, serialNumber } },
    );
  }
}
