/**
 * Cardholder registration (SET Book 1 §3.3, "cardholder registration"), in the wallet.
 *
 * The user types the card number, expiry and the name as printed. The wallet makes the
 * cardholder key (non-extractable WebCrypto Ed25519), a fresh card secret, and seals
 * `{ pan, expiry, cardSecret }` with HPKE to the bank's key-exchange certificate, which it
 * checks against the CA certificate pinned when the user trusted the bank; so the number
 * travels only inside that envelope. The signed request is written to IndexedDB (the card
 * data sealed under the wallet key, the request as text) before it is sent; the answer's
 * certificate is checked (the pinned CA, the key the wallet made) before the card counts as
 * registered. A registration whose answer was lost is resumed with a signed certificate query,
 * or the same request resent byte for byte under the same idempotency key.
 *
 * What leaves this module for display is the last four digits, never more.
 */
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import {
  type CardAccount,
  cardSecretLength,
  isCardExpiry,
  isPan,
} from '@farthing/protocol/set/card-account';
import {
  cardholderCertificateVerifier,
  type VerifiedGateway,
  verifyGatewayCertificates,
} from '@farthing/protocol/set/certificates';
import {
  parseSetMessage,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { sealCardEnvelope } from '@farthing/protocol/set/registration';
import * as v from 'valibot';
import { loggedInBank, sessionToken, trustedBank } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import { type CardRecord, moneyTx, newId, writeDurably } from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import { bankParty, causeOf, checkAnswer, requestJson } from '../../http.ts';
import { hasWebCryptoEd25519 } from '../../keys.ts';
import { cardSigner } from './card-key.ts';

export interface CardView {
  readonly id: string;
  readonly bankUrl: string;
  readonly status: CardRecord['status'];
  readonly lastFour: string;
  readonly name: string;
}

export const cardView = (card: CardRecord): CardView => ({
  id: card.id,
  bankUrl: card.bankUrl,
  status: card.status,
  lastFour: card.lastFour,
  name: card.name,
});

export interface RegisterCardParameters {
  readonly bankUrl: string;
  /** As typed: digits, spaces or dashes allowed. */
  readonly cardNumber: string;
  /** `MM/YY`, `MM/YYYY` or `YYYY-MM`. */
  readonly expiry: string;
  readonly name: string;
}

/** `YYYY-MM` from what a person types off a card. */
export function normalizeExpiry(typed: string): string | undefined {
  const text = typed.trim();
  if (isCardExpiry(text)) return text;
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(text);
  if (match === null) return undefined;
  const month = match[1]!.padStart(2, '0');
  const year = match[2]!.length === 2 ? `20${match[2]}` : match[2]!;
  const expiry = `${year}-${month}`;
  return isCardExpiry(expiry) ? expiry : undefined;
}

const gatewaySchema = v.object({
  signatureChain: v.array(v.string()),
  keyExchangeChain: v.array(v.string()),
});

/** The bank's SET gateway as the wallet checked it, with the CA it was checked against. */
export type BankGateway = VerifiedGateway & { readonly caCertificate: Uint8Array };

/** The bank's SET certificates, checked against the CA the user pinned. */
export async function bankGateway(ctx: WalletContext, bankUrl: string): Promise<BankGateway> {
  const bank = await trustedBank(ctx, bankUrl);
  const published = await requestJson(
    ctx.platform,
    bankParty,
    { method: 'GET', url: `${bank.url}/v1/set/gateway` },
    gatewaySchema,
  );
  try {
    const verified = verifyGatewayCertificates({
      signatureChain: published.signatureChain.map((der) => fromBase64url(der)),
      keyExchangeChain: published.keyExchangeChain.map((der) => fromBase64url(der)),
      trustedRoots: [bank.caCertificate],
      now: ctx.platform.now(),
    });
    return { ...verified, caCertificate: bank.caCertificate };
  } catch (cause) {
    throw new WalletFailure(
      'bank_keys_changed',
      `The bank at ${bank.url} presents card certificates its pinned CA did not issue.`,
      { hint: 'settings#banks', cause },
    );
  }
}

const registrationAnswerSchema = v.unknown();

/** Registers a card; the card record (pending, then registered) is written before sending. */
export async function registerCard(
  ctx: WalletContext,
  parameters: RegisterCardParameters,
): Promise<CardView> {
  const pan = parameters.cardNumber.replace(/[\s-]/g, '');
  const expiry = normalizeExpiry(parameters.expiry);
  const name = parameters.name.trim();
  if (!isPan(pan) || expiry === undefined || name.length === 0 || name.length > 64) {
    throw new WalletFailure(
      'card_invalid',
      'Check the card number, the expiry (MM/YY) and the name as printed on the card.',
      { hint: 'settings#cards' },
    );
  }
  const { bank, token } = await loggedInBank(ctx, parameters.bankUrl);
  const gateway = await bankGateway(ctx, bank.url);
  if (!(await hasWebCryptoEd25519())) {
    throw new WalletFailure(
      'card_not_registered',
      'This browser cannot keep a card key safely (WebCrypto Ed25519, Chromium 137 or later).',
    );
  }
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const account: CardAccount = {
    pan,
    expiry,
    cardSecret: crypto.getRandomValues(new Uint8Array(cardSecretLength)),
  };
  const id = `reg-${newId()}`;
  const signer = cardSigner(pair.privateKey, publicKey);
  const cardEnvelope = await sealCardEnvelope({
    account,
    registrationId: id,
    cardholderPublicKey: publicKey,
    caPublicKey: gateway.keyExchangePublicKey,
    caFingerprint: gateway.fingerprint,
  });
  const request = JSON.stringify(
    setMessageToWire(
      await signSetMessage(
        'cardholder-registration',
        {
          registrationId: id,
          cardholderPublicKey: publicKey,
          cardEnvelope,
          requestedAt: ctx.platform.now(),
        },
        signer,
      ),
    ),
  );
  const sealedCard = await ctx.sealer.seal(
    new TextEncoder().encode(
      JSON.stringify({ pan, expiry, cardSecret: toBase64url(account.cardSecret) }),
    ),
  );
  account.cardSecret.fill(0);
  const now = ctx.platform.now();
  const record: CardRecord = {
    id,
    bankUrl: bank.url,
    status: 'pending',
    lastFour: pan.slice(-4),
    name,
    sealedCard,
    privateKey: pair.privateKey,
    publicKey,
    registration: request,
    certificates: null,
    createdAt: now,
    updatedAt: now,
  };
  await writeDurably(ctx.db, 'cards', 'add', record);
  return sendRegistration(ctx, record, token, gateway);
}

/**
 * Sends the registration request as it was written, under the card's id as idempotency key (a
 * resend is the same request); the CA's answer registers the card.
 */
async function sendRegistration(
  ctx: WalletContext,
  card: CardRecord,
  token: string,
  gateway: BankGateway,
): Promise<CardView> {
  const answer = await requestJson(
    ctx.platform,
    bankParty,
    {
      method: 'POST',
      url: `${card.bankUrl}/v1/set/cardholder-registrations`,
      token,
      text: card.registration,
      idempotencyKey: card.id,
    },
    registrationAnswerSchema,
  );
  return cardView(
    await acceptCertificate(ctx, card, gateway, answer, 'cardholder-registration-response'),
  );
}

/** Checks the CA's answer and stores the certificate: the card is registered from now on. */
async function acceptCertificate(
  ctx: WalletContext,
  card: CardRecord,
  gateway: BankGateway,
  json: unknown,
  type: 'cardholder-registration-response' | 'certificate-query-response',
): Promise<CardRecord> {
  const certificates = checkAnswer(
    'bank_error',
    'The bank answered the card registration with a certificate the wallet cannot accept.',
    () => {
      const answer = parseSetMessage(type, json);
      verifySetMessage(answer, gateway.signaturePublicKey);
      if (answer.body.registrationId !== card.id) {
        throw new WalletFailure('bank_error', 'The answer is for another card registration.');
      }
      const chain = [answer.body.certificates[0]!, gateway.caCertificate];
      const verified = cardholderCertificateVerifier({ trustedRoots: [gateway.caCertificate] })(
        chain,
        ctx.platform.now(),
      );
      if (toBase64url(verified.publicKey) !== toBase64url(card.publicKey)) {
        throw new WalletFailure('bank_error', 'The card certificate is for another key.');
      }
      return chain;
    },
  );
  const registered: CardRecord = {
    ...card,
    status: 'registered',
    certificates,
    updatedAt: ctx.platform.now(),
  };
  await writeDurably(ctx.db, 'cards', 'put', registered);
  return registered;
}

/**
 * Finishes a registration whose answer never arrived: asks the CA for the certificate (a
 * query signed by the cardholder key); if the CA never got the request, sends it again as it
 * was written, under the same idempotency key.
 */
export async function resumeCardRegistration(ctx: WalletContext, id: string): Promise<CardView> {
  const card = await ctx.db.get('cards', id);
  if (card === undefined) {
    throw new WalletFailure('card_not_registered', 'No such card in this wallet.', {
      hint: 'settings#cards',
    });
  }
  if (card.status === 'registered') return cardView(card);
  const gateway = await bankGateway(ctx, card.bankUrl);
  const query = setMessageToWire(
    await signSetMessage(
      'certificate-query',
      { registrationId: card.id, requestedAt: ctx.platform.now() },
      cardSigner(card.privateKey, card.publicKey),
    ),
  );
  try {
    const answer = await requestJson(
      ctx.platform,
      bankParty,
      { method: 'POST', url: `${card.bankUrl}/v1/set/certificate-queries`, body: query },
      registrationAnswerSchema,
    );
    return cardView(
      await acceptCertificate(ctx, card, gateway, answer, 'certificate-query-response'),
    );
  } catch (error) {
    if (causeOf(error) !== 'set_registration_unknown') throw error;
  }
  return sendRegistration(ctx, card, await sessionToken(ctx, card.bankUrl), gateway);
}

/** Resumes every pending registration (at start-up); failures stay pending for next time. */
export async function resumePendingCards(ctx: WalletContext): Promise<void> {
  for (const card of await ctx.db.getAllFromIndex('cards', 'status', 'pending')) {
    await resumeCardRegistration(ctx, card.id).catch(() => undefined);
  }
}

export async function listCards(ctx: WalletContext): Promise<CardView[]> {
  return (await ctx.db.getAll('cards')).map(cardView);
}

/** Forgets a card (its key and sealed data go with the record). */
export async function removeCard(ctx: WalletContext, id: string): Promise<void> {
  const tx = moneyTx(ctx.db, ['cards']);
  await tx.objectStore('cards').delete(id);
  await tx.done;
}

/** The card data, opened for one payment (the caller wipes `cardSecret` after use). */
export async function openCardAccount(ctx: WalletContext, card: CardRecord): Promise<CardAccount> {
  const json = JSON.parse(new TextDecoder().decode(await ctx.sealer.open(card.sealedCard))) as {
    pan: string;
    expiry: string;
    cardSecret: string;
  };
  return { pan: json.pan, expiry: json.expiry, cardSecret: fromBase64url(json.cardSecret) };
}
