/**
 * Proving that a merchant controls an origin before the CA certifies it (issue 18, finding 4),
 * modelled on ACME HTTP-01 (RFC 8555 §8.3; protocol x509/origin-challenge.ts):
 *
 * 1. `POST /v1/merchants/me/origin-challenges { origin }` hands the merchant a random token and
 *    the key authorization to serve at `<origin>/.well-known/farthing-challenge/<token>`.
 * 2. `POST /v1/merchants/me/certificates` (registration) then, for each origin it names, uses a
 *    challenge of this account that already succeeded, or fetches a pending one now: the bank
 *    GETs the path at that exact origin (5 s, at most 256 bytes, no redirects, outside
 *    development mode no private or loopback address: challenge-fetch.ts) and certifies
 *    only if the body, trimmed of whitespace, is the key authorization. A failed fetch marks
 *    the challenge invalid (as a failed ACME challenge is final), so a retry needs a new one.
 *    A proof holds until its challenge expires, an hour after it was handed out.
 * 3. One origin belongs to one merchant account at a time: a second account is refused
 *    (`origin_taken`) while a certificate of the first names it, unexpired and unrevoked. The
 *    check runs again inside the transaction that records the new certificate.
 *
 * Loopback origins name whatever runs on the wallet's own machine, so a bank that serves
 * wallets over the network never certifies them (`origin_loopback_refused`). In development
 * mode (`FARTHING_BANK_DEV_MODE=1`, the demo) they are allowed and proven like any other. In
 * `unproven` mode (test fixtures only) every origin is certified without a challenge and
 * without being held for one merchant.
 */
import { randomBytes } from 'node:crypto';
import { FarthingError } from '@farthing/protocol/errors';
import { isLoopbackHost } from '@farthing/protocol/x509/merchant-certificate';
import {
  maxKeyAuthorizationLength,
  originChallengePath,
  originKeyAuthorization,
} from '@farthing/protocol/x509/origin-challenge';
import type { DevMode } from '../config.ts';
import type { BankContext } from '../http/context.ts';
import type { AccountRecord, OriginChallengeRecord } from '../store/store.ts';
import { ChallengeFetchError, fetchChallengeAnswer } from './challenge-fetch.ts';

/** How long a challenge may be answered, and a proof used, after the bank handed it out. */
export const originChallengeLifetimeMs = 60 * 60_000;
/** The longest the bank waits for a merchant's answer (connect, headers and body). */
export const challengeFetchTimeoutMs = 5_000;

/** `origin_loopback_refused` for a loopback origin outside development mode; whether the origin
 * needs a proof (and is exclusive) under `devMode`. */
export function originNeedsProof(origin: string, devMode: DevMode, field: string): boolean {
  if (devMode === 'unproven') return false;
  if (!isLoopbackHost(new URL(origin).hostname)) return true;
  if (devMode === 'off') {
    throw new FarthingError(
      'origin_loopback_refused',
      'this bank certifies https origins only; loopback origins are for a bank in development mode',
      { details: { field, origin } },
    );
  }
  return true;
}

export function challengeView(
  challenge: OriginChallengeRecord,
  merchantId: string,
  bankId: string,
) {
  return {
    origin: challenge.origin,
    merchantId,
    token: challenge.token,
    keyAuthorization: originKeyAuthorization({
      token: challenge.token,
      bankId,
      merchantId,
      origin: challenge.origin,
    }),
    path: originChallengePath(challenge.token),
    status: challenge.status,
    expiresAt: challenge.expiresAt,
  };
}

export function newOriginChallenge(
  accountId: number,
  origin: string,
  now: number,
): OriginChallengeRecord {
  return {
    // RFC 8555 §8.3: at least 128 bits of entropy, base64url without padding.
    token: randomBytes(32).toString('base64url'),
    accountId,
    origin,
    status: 'pending',
    createdAt: now,
    expiresAt: now + originChallengeLifetimeMs,
  };
}

function challengeFailed(origin: string, reason: string, cause?: unknown): FarthingError {
  return new FarthingError(
    'origin_challenge_failed',
    `${origin} did not answer the challenge (${reason}); serve it and ask for a new one`,
    { details: { origin, reason }, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * Fetches the answer to `challenge` from its origin (challenge-fetch.ts) and compares it with
 * `expected`; throws `origin_challenge_failed` naming why it did not match.
 */
export async function fetchOriginChallenge(
  challenge: OriginChallengeRecord,
  expected: string,
  allowPrivate: boolean,
): Promise<void> {
  const url = `${challenge.origin}${originChallengePath(challenge.token)}`;
  let result: Awaited<ReturnType<typeof fetchChallengeAnswer>>;
  try {
    result = await fetchChallengeAnswer(url, {
      timeoutMs: challengeFetchTimeoutMs,
      maxBytes: maxKeyAuthorizationLength,
      allowPrivate,
    });
  } catch (error) {
    const reason = error instanceof ChallengeFetchError ? error.reason : 'unreachable';
    throw challengeFailed(challenge.origin, reason, error);
  }
  if (result.status !== 200) {
    const redirect = result.status >= 300 && result.status < 400;
    throw challengeFailed(challenge.origin, `${redirect ? 'redirect' : 'status'} ${result.status}`);
  }
  if (result.body === undefined) throw challengeFailed(challenge.origin, 'too long');
  // RFC 8555 §8.3: the key authorization, compared after trimming whitespace.
  if (result.body.trim() !== expected) throw challengeFailed(challenge.origin, 'wrong answer');
}

export interface ProveOriginsParameters {
  readonly account: AccountRecord;
  readonly origins: readonly string[];
}

/**
 * Checks the account may be certified for each origin (see the module comment) and returns
 * the origins it holds exclusively. Throws `origin_loopback_refused`, `origin_taken`,
 * `origin_not_proven` or `origin_challenge_failed`.
 */
export async function proveOrigins(
  ctx: BankContext,
  parameters: ProveOriginsParameters,
): Promise<string[]> {
  const { account, origins } = parameters;
  const now = ctx.now();
  const proven: string[] = [];
  for (const [index, origin] of origins.entries()) {
    if (originNeedsProof(origin, ctx.config.devMode, `origins.${index}`)) proven.push(origin);
  }
  await ctx.store.assertOriginsFree(proven, account.id, now);
  for (const origin of proven) {
    const open = await ctx.store.openOriginChallenges(account.id, origin, now);
    if (open.some((challenge) => challenge.status === 'valid')) continue;
    const pending = open[0];
    if (pending === undefined) {
      throw new FarthingError(
        'origin_not_proven',
        `prove control of ${origin} first: POST /v1/merchants/me/origin-challenges and serve the answer`,
        { details: { field: `origins.${origins.indexOf(origin)}`, origin } },
      );
    }
    const expected = challengeView(pending, account.name, ctx.config.bankId).keyAuthorization;
    try {
      // Only a bank in development mode may reach this machine or its private network.
      await fetchOriginChallenge(pending, expected, ctx.config.devMode !== 'off');
    } catch (error) {
      await ctx.store.settleOriginChallenge(pending.token, 'invalid', ctx.now());
      ctx.log.info({ origin, merchant: account.name, error }, 'origin challenge failed');
      throw error;
    }
    await ctx.store.settleOriginChallenge(pending.token, 'valid', ctx.now());
  }
  return proven;
}
