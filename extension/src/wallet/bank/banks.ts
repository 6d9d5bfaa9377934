/**
 * Banks the user trusts (DESIGN.md "E-cash", "PayWord"): inspecting a bank shows its name and
 * the fingerprints of its CA certificate, mint master key and broker key; trusting it pins them.
 * A bank that later shows other keys is refused (`bank_keys_changed`) until the user looks
 * again. Logging in keeps the session token (sealed), never the password.
 *
 * The name is the one the bank publishes at `/v1/bank` (its CA certificate's subject is a
 * technical name like "farthing-bank Merchant CA"), pinned with the keys; a bank that does not
 * publish one is called by its host. The fingerprints it publishes there must match the keys
 * it serves, or it is not treated as a bank.
 *
 * A little past 400 lines: inspecting, trusting and logging in share the pinned-key checks, kept
 * in one file to review.
 */
import { parseAmount } from '@farthing/protocol/amount';
import {
  mintKeySets,
  type SignedMintKeySet,
  verifyMintKeySet,
} from '@farthing/protocol/coin/mint-key-set';
import { fromBase64url } from '@farthing/protocol/encoding';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { idAtCommonName } from '@farthing/protocol/x509/oids';
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import type { BankInspection, BankView } from '../../messages/contract.ts';
import type { WalletContext } from '../context.ts';
import type { BankRecord, SessionRecord } from '../db/schema.ts';
import { WalletFailure } from '../errors.ts';
import { bankParty, checkAnswer, requestJson, unacceptableAnswer } from '../http.ts';
import { amountView } from '../money.ts';
import { assertSecureBankUrl } from './secure-url.ts';

const caAnswer = v.object({ name: v.string(), der: v.string() });
const brokerKeyAnswer = v.object({ brokerId: v.string(), publicKey: v.string() });
const identityAnswer = v.object({
  name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
  fingerprints: v.object({ certificate: v.string(), coinKey: v.string(), paywordKey: v.string() }),
  paywordRedeemGraceSeconds: v.optional(
    v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(366 * 86_400)),
  ),
});
const sessionAnswer = v.object({
  token: v.string(),
  expiresAt: v.number(),
  scopes: v.array(v.string()),
  account: v.object({ name: v.string() }),
});
const accountAnswer = v.object({ name: v.string(), balance: v.string() });

/** `AB:CD:…`: SHA-256 in hex pairs, as people compare fingerprints. */
export function fingerprint(bytes: Uint8Array): string {
  return Array.from(sha256(bytes), (byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(
    ':',
  );
}

/**
 * The bank's URL as the wallet keys it: no trailing slash, no query or fragment. HTTPS only,
 * except loopback (`bank_not_secure`, secure-url.ts).
 */
export function bankKey(url: string): string {
  const parsed = assertSecureBankUrl(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

interface Fetched {
  readonly inspection: BankInspection & { readonly brokerKeyFingerprint: string };
  readonly record: Omit<BankRecord, 'trustedAt'>;
  readonly keySetWire: unknown;
}

async function fetchBank(ctx: WalletContext, url: string): Promise<Fetched> {
  const base = bankKey(url);
  const get = <S extends v.GenericSchema>(path: string, schema: S) =>
    requestJson(ctx.platform, bankParty, { method: 'GET', url: `${base}${path}` }, schema);
  const [ca, keySetWire, broker, identity] = await Promise.all([
    get('/v1/ca/certificate', caAnswer),
    get('/v1/mint/keys', v.unknown()),
    get('/v1/broker/key', brokerKeyAnswer),
    // Banks from before `/v1/bank` do not publish a name: they are called by their host.
    get('/v1/bank', identityAnswer).catch((error: unknown) => {
      if (error instanceof WalletFailure && error.detail?.status === 404) return undefined;
      throw error;
    }),
  ]);
  const { keySet, caCertificate, brokerKey } = checkAnswer(
    'bank_error',
    'This server does not look like a Farthing bank.',
    () => {
      const parsed = mintKeySets.parse(keySetWire);
      verifyMintKeySet(parsed, { masterPublicKey: parsed.masterPublicKey });
      return {
        keySet: parsed,
        caCertificate: fromBase64url(ca.der, 'der'),
        brokerKey: fromBase64url(broker.publicKey, 'publicKey', 32),
      };
    },
  );
  const record = {
    url: base,
    name: identity?.name ?? new URL(base).host,
    caCertificate,
    caFingerprint: fingerprint(caCertificate),
    mintMasterKey: keySet.masterPublicKey,
    mintKeyFingerprint: fingerprint(keySet.masterPublicKey),
    brokerId: broker.brokerId,
    brokerKey,
    brokerKeyFingerprint: fingerprint(brokerKey),
    ...(identity?.paywordRedeemGraceSeconds === undefined
      ? {}
      : { paywordGraceMs: identity.paywordRedeemGraceSeconds * 1000 }),
  };
  if (
    identity !== undefined &&
    (identity.fingerprints.certificate !== record.caFingerprint ||
      identity.fingerprints.coinKey !== record.mintKeyFingerprint ||
      identity.fingerprints.paywordKey !== record.brokerKeyFingerprint)
  ) {
    throw unacceptableAnswer(
      'bank_error',
      'This server publishes other fingerprints than the keys it uses: it does not look like a Farthing bank.',
    );
  }
  return {
    record,
    keySetWire,
    inspection: {
      url: base,
      name: record.name,
      caFingerprint: record.caFingerprint,
      mintKeyFingerprint: record.mintKeyFingerprint,
      brokerKeyFingerprint: record.brokerKeyFingerprint,
      denominations: denominationViews(keySet, ctx.platform.now()),
    },
  };
}

function denominationViews(keySet: SignedMintKeySet, now: number) {
  const values = new Map<string, { currency: string; minor: number }>();
  for (const d of keySet.denominations) {
    if (d.validFrom <= now && now < d.withdrawUntil) {
      values.set(`${d.value.currency}:${d.value.minor}`, d.value);
    }
  }
  return [...values.values()]
    .sort((a, b) => a.minor - b.minor)
    .map((value) => amountView(value.currency, value.minor));
}

export async function inspectBank(ctx: WalletContext, url: string): Promise<BankInspection> {
  return (await fetchBank(ctx, url)).inspection;
}

export interface TrustBankParameters {
  readonly url: string;
  readonly caFingerprint: string;
  readonly mintKeyFingerprint: string;
  readonly brokerKeyFingerprint?: string;
}

function keysChanged(url: string): WalletFailure {
  return new WalletFailure(
    'bank_keys_changed',
    `The bank at ${url} now shows other keys than the ones you checked. Do not continue unless the bank told you it changed them.`,
    { hint: 'settings#banks' },
  );
}

export async function trustBank(
  ctx: WalletContext,
  params: TrustBankParameters,
): Promise<BankView> {
  const fetched = await fetchBank(ctx, params.url);
  const { record } = fetched;
  if (
    record.caFingerprint !== params.caFingerprint ||
    record.mintKeyFingerprint !== params.mintKeyFingerprint ||
    (params.brokerKeyFingerprint !== undefined &&
      record.brokerKeyFingerprint !== params.brokerKeyFingerprint)
  ) {
    throw keysChanged(record.url);
  }
  const tx = ctx.db.transaction(['banks', 'keySets'], 'readwrite', { durability: 'strict' });
  const existing = await tx.objectStore('banks').get(record.url);
  if (
    existing !== undefined &&
    (existing.caFingerprint !== record.caFingerprint ||
      existing.mintKeyFingerprint !== record.mintKeyFingerprint ||
      existing.brokerKeyFingerprint !== record.brokerKeyFingerprint)
  ) {
    tx.abort();
    await tx.done.catch(() => undefined);
    throw keysChanged(record.url);
  }
  const trusted: BankRecord = { ...record, trustedAt: existing?.trustedAt ?? ctx.platform.now() };
  await tx.objectStore('banks').put(trusted);
  await tx
    .objectStore('keySets')
    .put({ bankUrl: record.url, wire: fetched.keySetWire, fetchedAt: ctx.platform.now() });
  await tx.done;
  return bankView(ctx, trusted);
}

export async function trustedBank(ctx: WalletContext, url: string): Promise<BankRecord> {
  const bank = await ctx.db.get('banks', bankKey(url));
  if (bank === undefined) {
    throw new WalletFailure('bank_not_trusted', `Add the bank at ${url} in the settings first.`, {
      hint: 'settings#banks',
    });
  }
  return bank;
}

/**
 * The bank's key set, checked under the pinned master key: the stored one while fresh, else
 * fetched again. A key set that does not verify under the pinned key is `bank_keys_changed`.
 */
export async function keySetOf(
  ctx: WalletContext,
  bank: BankRecord,
  options: { readonly maxAgeMs?: number } = {},
): Promise<SignedMintKeySet> {
  const stored = await ctx.db.get('keySets', bank.url);
  const now = ctx.platform.now();
  let wire = stored?.wire;
  if (stored === undefined || now - stored.fetchedAt > (options.maxAgeMs ?? 60_000)) {
    wire = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'GET', url: `${bank.url}/v1/mint/keys` },
      v.unknown(),
    );
  }
  let keySet: SignedMintKeySet;
  try {
    keySet = mintKeySets.parse(wire);
    verifyMintKeySet(keySet, { masterPublicKey: bank.mintMasterKey });
  } catch {
    throw keysChanged(bank.url);
  }
  if (wire !== stored?.wire)
    await ctx.db.put('keySets', { bankUrl: bank.url, wire, fetchedAt: now });
  return keySet;
}

export async function logIn(
  ctx: WalletContext,
  params: { readonly url: string; readonly username: string; readonly password: string },
): Promise<BankView> {
  const bank = await trustedBank(ctx, params.url);
  const answer = await requestJson(
    ctx.platform,
    bankParty,
    {
      method: 'POST',
      url: `${bank.url}/v1/sessions`,
      body: {
        name: params.username,
        password: params.password,
        scopes: ['account', 'withdraw', 'payword'],
      },
    },
    sessionAnswer,
  );
  const session: SessionRecord = {
    bankUrl: bank.url,
    account: answer.account.name,
    token: await ctx.sealer.seal(new TextEncoder().encode(answer.token)),
    expiresAt: answer.expiresAt,
    scopes: answer.scopes,
  };
  await ctx.db.put('sessions', session);
  return bankView(ctx, bank);
}

export async function logOut(ctx: WalletContext, url: string): Promise<BankView> {
  const bank = await trustedBank(ctx, url);
  const token = await sessionToken(ctx, bank.url).catch(() => undefined);
  await ctx.db.delete('sessions', bank.url);
  if (token !== undefined) {
    await requestJson(
      ctx.platform,
      bankParty,
      { method: 'DELETE', url: `${bank.url}/v1/sessions/current`, token },
      v.unknown(),
    ).catch(() => undefined);
  }
  return bankView(ctx, bank);
}

/** A trusted bank the user is logged in to, with the session's bearer token. */
export interface LoggedInBank {
  readonly bank: BankRecord;
  readonly token: string;
}

/** The trusted bank at `url` and the user's session there: `bank_not_trusted` or `not_logged_in`. */
export async function loggedInBank(ctx: WalletContext, url: string): Promise<LoggedInBank> {
  const bank = await trustedBank(ctx, url);
  return { bank, token: await sessionToken(ctx, bank.url) };
}

/** The session token for `bankUrl`, or `not_logged_in`. */
export async function sessionToken(ctx: WalletContext, bankUrl: string): Promise<string> {
  const session = await ctx.db.get('sessions', bankUrl);
  if (session === undefined || session.expiresAt <= ctx.platform.now()) {
    throw new WalletFailure('not_logged_in', `Log in to the bank at ${bankUrl} first.`, {
      hint: 'settings#banks',
    });
  }
  return new TextDecoder().decode(await ctx.sealer.open(session.token));
}

/** The CA certificate's common name, which banks were called by before they published names. */
function caCommonName(der: Uint8Array): string | undefined {
  try {
    return parseCertificate(der).subjectAttributes.find((a) => a.type === idAtCommonName)?.value;
  } catch {
    return undefined;
  }
}

/**
 * A bank trusted before banks published their names carries its CA certificate's name
 * ("farthing-bank Merchant CA"). It takes the name the bank publishes, once, and only when the
 * fingerprints published with it are the pinned ones: the same bank, named by itself.
 */
async function withPublishedName(ctx: WalletContext, bank: BankRecord): Promise<BankRecord> {
  if (bank.name !== caCommonName(bank.caCertificate)) return bank;
  let identity: v.InferOutput<typeof identityAnswer>;
  try {
    identity = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'GET', url: `${bank.url}/v1/bank` },
      identityAnswer,
    );
  } catch {
    return bank;
  }
  const { fingerprints } = identity;
  if (
    fingerprints.certificate !== bank.caFingerprint ||
    fingerprints.coinKey !== bank.mintKeyFingerprint ||
    fingerprints.paywordKey !== bank.brokerKeyFingerprint
  ) {
    return bank;
  }
  const tx = ctx.db.transaction('banks', 'readwrite', { durability: 'strict' });
  const current = await tx.store.get(bank.url);
  if (current === undefined || current.caFingerprint !== bank.caFingerprint) {
    await tx.done;
    return current ?? bank;
  }
  const named: BankRecord = {
    ...current,
    name: identity.name,
    ...(identity.paywordRedeemGraceSeconds === undefined
      ? {}
      : { paywordGraceMs: identity.paywordRedeemGraceSeconds * 1000 }),
  };
  await tx.store.put(named);
  await tx.done;
  return named;
}

export async function bankView(ctx: WalletContext, stored: BankRecord): Promise<BankView> {
  const bank = await withPublishedName(ctx, stored);
  const session = await ctx.db.get('sessions', bank.url);
  const keySet = await ctx.db.get('keySets', bank.url);
  let denominations: BankView['denominations'] = [];
  try {
    if (keySet !== undefined)
      denominations = denominationViews(mintKeySets.parse(keySet.wire), ctx.platform.now());
  } catch {
    denominations = [];
  }
  let accountBalance: BankView['accountBalance'] = null;
  const loggedIn = session !== undefined && session.expiresAt > ctx.platform.now();
  if (loggedIn) {
    try {
      const token = await sessionToken(ctx, bank.url);
      const account = await requestJson(
        ctx.platform,
        bankParty,
        { method: 'GET', url: `${bank.url}/v1/accounts/me`, token },
        accountAnswer,
      );
      const balance = parseAmount(account.balance);
      accountBalance = amountView(balance.currency, balance.minor);
    } catch {
      accountBalance = null;
    }
  }
  return {
    url: bank.url,
    name: bank.name,
    caFingerprint: bank.caFingerprint,
    mintKeyFingerprint: bank.mintKeyFingerprint,
    brokerKeyFingerprint: bank.brokerKeyFingerprint,
    denominations,
    trustedAt: bank.trustedAt,
    account: loggedIn ? session.account : null,
    accountBalance,
  };
}
