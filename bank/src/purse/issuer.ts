/**
 * The bank as purse issuer (DESIGN.md "Hardware purse"): certifies cards to accounts, turns a
 * card-signed load request into an issuer-signed load authorization (the account debited and
 * the card's shadow account credited in one transaction), and clears merchants' batches of
 * payment proofs against the shadow accounts.
 *
 * The CPU work (signatures, certificates) happens here, before the write; the write checks
 * only what needs the current state (card status, duplicates, the shadow balance).
 */
import { randomBytes } from 'node:crypto';
import { type Amount, amount, formatAmount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError, isFarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import {
  purseCardCertificateTemplate,
  verifyPurseCardCertificate,
} from '@farthing/protocol/purse/card-certificate';
import {
  loadIdLength,
  purseLoadAuthorizations,
  purseLoadRequests,
} from '@farthing/protocol/purse/load';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import { randomSerialNumber } from '../ca/certificate-authority.ts';
import { clockSkewAllowance } from '../ca/merchant-certificates.ts';
import type { BankContext } from '../http/context.ts';
import type {
  AccountRecord,
  IdempotencyClaim,
  PurseCardRecord,
  PurseClearingClaim,
  PurseClearingOutcome,
} from '../store/store.ts';

/** How long a card certificate lives: a card's life, cut short at the CA's own expiry. */
export const cardCertificateValidity = 4 * 365 * 86_400_000;

export function cardView(card: PurseCardRecord, ctx: BankContext) {
  return {
    cardId: card.cardId,
    status: card.status,
    shadowBalance: formatAmount(amount(ctx.config.currency, card.shadowBalance)),
    blockedAt: card.blockedAt ?? null,
    refunded: formatAmount(amount(ctx.config.currency, card.refunded)),
    certificate: toBase64url(card.certificate),
  };
}

/** What the holder's software sends the card in PERSONALISE, besides the PIN. */
export function personalisationView(card: PurseCardRecord, ctx: BankContext) {
  return {
    ...cardView(card, ctx),
    issuerRoot: toBase64url(ctx.ca.certificate),
    issuerLoadKey: toBase64url(ctx.keys.purseIssuer.publicKey),
    maximum: formatAmount(amount(ctx.config.currency, ctx.config.purseMaximum)),
  };
}

export async function issuePurseCard(
  ctx: BankContext,
  account: AccountRecord,
  input: { cardId: string; publicKey: Uint8Array },
  claim: IdempotencyClaim,
) {
  const now = ctx.now();
  const notBefore = Math.max(
    Math.floor((now - clockSkewAllowance) / 1000) * 1000,
    ctx.ca.notBefore,
  );
  const certificate = await signCertificate(
    purseCardCertificateTemplate({
      cardId: input.cardId,
      cardPublicKey: input.publicKey,
      serialNumber: randomSerialNumber(),
      notBefore,
      notAfter: Math.min(now + cardCertificateValidity, ctx.ca.notAfter),
    }),
    ctx.ca.issuer,
  );
  return ctx.store.issuePurseCard(
    { cardId: input.cardId, accountId: account.id, publicKey: input.publicKey, certificate, now },
    (card) => personalisationView(card, ctx),
    claim,
  );
}

/**
 * Checks the card's signed load request (the card signs only after its PIN verified), then
 * debits the account, credits the shadow account and signs the authorization for the card.
 */
export async function loadPurse(
  ctx: BankContext,
  account: AccountRecord,
  requestBytes: Uint8Array,
  claim: IdempotencyClaim,
) {
  const request = purseLoadRequests.decode(requestBytes);
  const card = await ctx.store.getPurseCard(request.cardId);
  if (card === undefined || card.accountId !== account.id) {
    throw new FarthingError('purse_card_unknown', 'no such card on this account');
  }
  if (card.status !== 'active')
    throw new FarthingError('purse_card_blocked', 'the card is blocked');
  purseLoadRequests.verify(request, card.publicKey, nodeEd25519Verify);
  checkLoadAmount(ctx, request.amount);
  const now = ctx.now();
  const loadId = new Uint8Array(randomBytes(loadIdLength));
  const authorization = purseLoadAuthorizations.encode(
    await purseLoadAuthorizations.sign(
      {
        cardId: request.cardId,
        loadCounter: request.loadCounter,
        amount: request.amount,
        loadId,
        issuedAt: now,
      },
      ctx.keys.purseIssuer,
    ),
  );
  return ctx.store.loadPurse(
    {
      cardId: request.cardId,
      loadCounter: request.loadCounter,
      amount: request.amount.minor,
      loadId,
      authorization,
      accountId: account.id,
      now,
    },
    (load) => ({
      cardId: load.cardId,
      loadCounter: load.loadCounter,
      amount: formatAmount(amount(ctx.config.currency, load.amount)),
      authorization: toBase64url(load.authorization),
    }),
    claim,
  );
}

function checkLoadAmount(ctx: BankContext, value: Amount): void {
  if (value.currency !== ctx.config.currency) {
    throw new FarthingError('currency_mismatch', `this bank loads cards in ${ctx.config.currency}`);
  }
  if (value.minor > ctx.config.purseMaximum) {
    throw new FarthingError('purse_over_maximum', 'a card holds at most the purse maximum');
  }
}

/** GeldKarte's fee: a share of the payment, at least the minimum, never more than it. */
export function purseFee(ctx: BankContext, minor: number): number {
  const { purseFeeBasisPoints: bp, purseFeeMinimum: min } = ctx.config;
  if (bp === 0 && min === 0) return 0;
  return Math.min(minor, Math.max(min, Math.ceil((minor * bp) / 10_000)));
}

export type ClearingItemView =
  | { status: 'cleared'; cardId: string; sno: number; tno: number; amount: string; fee: string }
  | { status: 'rejected'; index: number; code: string; detail: string };

/**
 * Verifies every proof (encoding, card known, card certificate under this bank's CA, the
 * card's signature, made for this merchant, in this currency), then clears the good ones in
 * one write. Each proof succeeds or fails alone, with a stable code.
 */
export async function clearPurseProofs(
  ctx: BankContext,
  merchant: AccountRecord,
  proofs: readonly Uint8Array[],
  claim: IdempotencyClaim,
) {
  const now = ctx.now();
  const results: (ClearingItemView | PurseClearingClaim)[] = [];
  // A batch holds many proofs of few cards: each card's certificate is checked once.
  const cards = new Map<string, Promise<Uint8Array>>();
  const cardKey = async (cardId: string): Promise<Uint8Array> => {
    const card = await ctx.store.getPurseCard(cardId);
    if (card === undefined) {
      throw new FarthingError('purse_card_unknown', 'the bank did not issue this card');
    }
    return verifyPurseCardCertificate({
      chain: [card.certificate],
      trustedRoots: [ctx.ca.certificate],
      now,
      ed25519Verify: nodeEd25519Verify,
    }).cardPublicKey;
  };
  for (const [index, bytes] of proofs.entries()) {
    try {
      const proof = purseProofs.decode(bytes);
      let key = cards.get(proof.cardId);
      if (key === undefined) {
        key = cardKey(proof.cardId);
        key.catch(() => undefined);
        cards.set(proof.cardId, key);
      }
      purseProofs.verify(proof, await key, nodeEd25519Verify);
      if (proof.merchantId !== merchant.name) {
        throw new FarthingError('merchant_mismatch', 'the proof pays another merchant', {
          details: { expected: merchant.name, got: proof.merchantId },
        });
      }
      if (proof.amount.currency !== ctx.config.currency) {
        throw new FarthingError('currency_mismatch', `this bank clears ${ctx.config.currency}`);
      }
      results.push({
        cardId: proof.cardId,
        sno: proof.sno,
        tno: proof.tno,
        amount: proof.amount.minor,
        fee: purseFee(ctx, proof.amount.minor),
        proof: bytes,
      });
    } catch (error) {
      if (!isFarthingError(error)) throw error;
      results.push({ status: 'rejected', index, code: error.code, detail: error.shortMessage });
    }
  }
  const claims = results.filter((r): r is PurseClearingClaim => !('status' in r));
  const money = (minor: number) => formatAmount(amount(ctx.config.currency, minor));
  return ctx.store.clearPurseProofs(
    { merchantAccountId: merchant.id, merchantId: merchant.name, claims, now },
    (outcomes: readonly PurseClearingOutcome[]) => {
      let next = 0;
      const items = results.map((result, index): ClearingItemView => {
        if ('status' in result) return result;
        const outcome = outcomes[next++]!;
        if (outcome.status === 'cleared') {
          return { ...outcome, amount: money(outcome.amount), fee: money(outcome.fee) };
        }
        const error = isFarthingError(outcome.error)
          ? outcome.error
          : new FarthingError('internal', 'clearing failed');
        return { status: 'rejected', index, code: error.code, detail: error.shortMessage };
      });
      const cleared = items.filter((item) => item.status === 'cleared');
      return { items, cleared: cleared.length, rejected: items.length - cleared.length };
    },
    claim,
  );
}
