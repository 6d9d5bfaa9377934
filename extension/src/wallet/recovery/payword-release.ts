/**
 * The PayWord credit of a lost wallet (issue 20, recovery): a restored wallet cannot spend the
 * old certificates (their user key was a non-extractable key of the lost profile, not derived
 * from the phrase), so it asks the broker to end every live certificate of the account that
 * this wallet does not hold (`POST /v1/broker/certificates/:serial/end`,
 * bank/src/broker/early-release.ts). Vendors keep the usual redemption grace from then for the
 * words the lost wallet paid with; the rest comes back to the account after that grace, not
 * after the certificate's expiry plus grace.
 *
 * Asked by the user, never on its own: a certificate this wallet does not hold may be another
 * browser's that still works (the same account in two profiles), and ending it is for good.
 */
import * as v from 'valibot';
import { loggedInBank } from '../bank/banks.ts';
import type { WalletContext } from '../context.ts';
import { bankParty, requestJson } from '../http.ts';

const statusSchema = v.object({
  serial: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  remaining: v.string(),
  expiresAt: v.number(),
  redeemableUntil: v.number(),
  released: v.boolean(),
});
const listSchema = v.object({ certificates: v.array(statusSchema) });
const serialOfHeld = v.object({ serial: v.number() });

export interface EndLostCreditResult {
  /** Certificates ended now. */
  readonly ended: number;
  /** When the last of their credit comes back (the latest end plus the grace); null if none. */
  readonly returnsBy: number | null;
}

export async function endLostPaywordCredit(
  ctx: WalletContext,
  bankUrl: string,
): Promise<EndLostCreditResult> {
  const { bank, token } = await loggedInBank(ctx, bankUrl);
  const held = new Set<number>();
  for (const certificate of await ctx.db.getAllFromIndex(
    'paywordCertificates',
    'bankUrl',
    bank.url,
  )) {
    const parsed = v.safeParse(serialOfHeld, certificate.json);
    if (parsed.success) held.add(parsed.output.serial);
  }
  const listed = await requestJson(
    ctx.platform,
    bankParty,
    { method: 'GET', url: `${bank.url}/v1/broker/certificates`, token },
    listSchema,
  );
  const now = ctx.platform.now();
  let ended = 0;
  let returnsBy: number | null = null;
  for (const certificate of listed.certificates) {
    if (certificate.released || held.has(certificate.serial) || certificate.expiresAt <= now) {
      continue;
    }
    const answer = await requestJson(
      ctx.platform,
      bankParty,
      {
        method: 'POST',
        url: `${bank.url}/v1/broker/certificates/${certificate.serial}/end`,
        token,
      },
      statusSchema,
    );
    ended++;
    returnsBy = Math.max(returnsBy ?? 0, answer.redeemableUntil);
  }
  return { ended, returnsBy };
}
