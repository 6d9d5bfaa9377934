/**
 * Cardholder registration (SET Book 1 §3.3): the cardholder proves it holds a card and gets a
 * certificate for its signing key. The card details (PAN, expiry, the card secret) travel only
 * inside an HPKE envelope to the cardholder CA's key-exchange key, bound to this registration
 * and this key; the registration message itself is signed with the key being certified (proof
 * of possession), so nobody can have another's key certified for their card.
 */
import * as v from 'valibot';
import { concatBytes, signingBytes, toBase64url, utf8Bytes } from '../encoding.ts';
import { FarthingError } from '../errors.ts';
import { bytesSchema } from '../schema.ts';
import { type CardAccount, cardSecretLength, isCardExpiry, isPan } from './card-account.ts';
import { type EnvelopeKeyPair, openEnvelope, type SealedEnvelope, sealEnvelope } from './hpke.ts';
import { digestLength } from './purchase.ts';

export function registrationEnvelopeInfo(caFingerprint: Uint8Array): Uint8Array {
  return concatBytes(utf8Bytes('farthing/set/registration-envelope/v1'), caFingerprint);
}

export function registrationEnvelopeAad(
  registrationId: string,
  cardholderPublicKey: Uint8Array,
): Uint8Array {
  return signingBytes('setEnvelopeContext', 1, (w) =>
    w
      .string(registrationId, 'registrationId')
      .fixed(cardholderPublicKey, 32, 'cardholderPublicKey'),
  );
}

export async function sealCardEnvelope(parameters: {
  readonly account: CardAccount;
  readonly registrationId: string;
  readonly cardholderPublicKey: Uint8Array;
  readonly caPublicKey: Uint8Array;
  readonly caFingerprint: Uint8Array;
}): Promise<SealedEnvelope> {
  const { account } = parameters;
  const content = {
    pan: account.pan,
    expiry: account.expiry,
    cardSecret: toBase64url(account.cardSecret),
  };
  return sealEnvelope({
    recipientPublicKey: parameters.caPublicKey,
    info: registrationEnvelopeInfo(parameters.caFingerprint),
    aad: registrationEnvelopeAad(parameters.registrationId, parameters.cardholderPublicKey),
    plaintext: utf8Bytes(JSON.stringify(content)),
  });
}

const cardContentSchema = v.object({
  pan: v.pipe(
    v.string(),
    v.check((t: string) => isPan(t)),
  ),
  expiry: v.pipe(
    v.string(),
    v.check((t: string) => isCardExpiry(t)),
  ),
  cardSecret: bytesSchema(cardSecretLength),
});

/** The CA opens the envelope; a malformed card inside is `card_invalid`. */
export async function openCardEnvelope(parameters: {
  readonly envelope: SealedEnvelope;
  readonly ca: EnvelopeKeyPair;
  readonly caFingerprint: Uint8Array;
  readonly registrationId: string;
  readonly cardholderPublicKey: Uint8Array;
}): Promise<CardAccount> {
  if (parameters.caFingerprint.length !== digestLength) throw new Error('fingerprint length');
  const plaintext = await openEnvelope({
    recipient: parameters.ca,
    envelope: parameters.envelope,
    info: registrationEnvelopeInfo(parameters.caFingerprint),
    aad: registrationEnvelopeAad(parameters.registrationId, parameters.cardholderPublicKey),
  });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch (cause) {
    throw new FarthingError('set_envelope_invalid', 'the envelope does not hold JSON', { cause });
  }
  const result = v.safeParse(cardContentSchema, json);
  if (!result.success) {
    throw new FarthingError('card_invalid', 'the envelope does not hold a valid card', {
      details: { field: v.getDotPath(result.issues[0]) ?? 'card' },
    });
  }
  return result.output;
}
