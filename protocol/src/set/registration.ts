/**
 * Cardholder registration (SET Book 1 §3.3): the cardholder proves it holds a card and gets a
 * certificate for its signing key. The card details (PAN, expiry, the card secret) travel only
 * inside an HPKE envelope to the cardholder CA's key-exchange key, bound to this registration
 * and this key; the registration message itself is signed with the key being certified (proof
 * of possession), so nobody can have another's key certified for their card.
 */
import * as v from 'valibot';
import { type CanonicalWriter, toBase64url } from '../encoding.ts';
import { bytesSchema } from '../schema.ts';
import { type CardAccount, cardSecretLength, isCardExpiry, isPan } from './card-account.ts';
import { digestLength } from './fields.ts';
import {
  type EnvelopeKeyPair,
  openJsonEnvelope,
  type SealedEnvelope,
  sealJsonEnvelope,
} from './hpke.ts';

interface RegistrationEnvelopeParameters {
  readonly registrationId: string;
  readonly cardholderPublicKey: Uint8Array;
  readonly caFingerprint: Uint8Array;
}

/** The card envelope is for this CA, this registration and the key being certified. */
function registrationEnvelopeBinding(parameters: RegistrationEnvelopeParameters) {
  return {
    purpose: 'registration',
    recipientFingerprint: parameters.caFingerprint,
    context: (w: CanonicalWriter) =>
      w
        .string(parameters.registrationId, 'registrationId')
        .fixed(parameters.cardholderPublicKey, 32, 'cardholderPublicKey'),
  } as const;
}

export async function sealCardEnvelope(
  parameters: RegistrationEnvelopeParameters & {
    readonly account: CardAccount;
    readonly caPublicKey: Uint8Array;
  },
): Promise<SealedEnvelope> {
  const { account } = parameters;
  return sealJsonEnvelope({
    recipientPublicKey: parameters.caPublicKey,
    ...registrationEnvelopeBinding(parameters),
    content: {
      pan: account.pan,
      expiry: account.expiry,
      cardSecret: toBase64url(account.cardSecret),
    },
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
export async function openCardEnvelope(
  parameters: RegistrationEnvelopeParameters & {
    readonly envelope: SealedEnvelope;
    readonly ca: EnvelopeKeyPair;
  },
): Promise<CardAccount> {
  if (parameters.caFingerprint.length !== digestLength) throw new Error('fingerprint length');
  return openJsonEnvelope(
    {
      recipient: parameters.ca,
      envelope: parameters.envelope,
      ...registrationEnvelopeBinding(parameters),
    },
    cardContentSchema,
    { code: 'card_invalid', message: 'the envelope does not hold a valid card', field: 'card' },
  );
}
