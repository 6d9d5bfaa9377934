/**
 * Merchant registration (SET's merchant registration; protocol x509/merchant-registration.ts):
 * the merchant signs a request with its offer key (proof of possession) naming the bank, and
 * the bank's CA certifies that key for the merchant's id, name and origins
 * (`POST /v1/merchants/me/certificates`, authenticated by the merchant's API key).
 *
 * Each origin must be proven to the bank first (bank/src/ca/origin-proof.ts): given
 * `challenges`, this function asks the bank for a challenge per origin, serves the answers
 * through that responder (origin-challenges.ts, which the site's server must answer from and
 * be listening with) while the bank fetches them, and removes them afterwards.
 *
 * Run it at set-up, and again before the certificate's `notAfter` (the bank issues short-lived
 * certificates): `merchant.keepCertificateRenewed({ renew: () =>
 * registerWithBank(...) })` does that while the site runs and takes this function's answer as it
 * is (certificate-renewal.ts). Keep the returned chain with the site's configuration, so a
 * restart serves the newest one.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Ed25519Signer } from '@farthing/protocol/ed25519';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import {
  brokerKeyAnswer,
  originChallengeAnswer,
  readBankAnswer,
  registrationAnswer,
} from '../bank/bank-answers.ts';
import { BankClient } from '../bank/bank-client.ts';
import type { OriginChallengeResponder } from './origin-challenges.ts';

/** What `registerWithBank` needs. */
export interface RegisterWithBankParameters {
  readonly bankUrl: string;
  /** The merchant's API key at the bank. */
  readonly apiKey: string;
  /** The merchant account's name at the bank. */
  readonly merchantId: string;
  /** The display name the bank knows the merchant by (it must match). */
  readonly name: string;
  readonly origins: readonly string[];
  /** The offer-signing key to certify: a 32-byte Ed25519 seed or a signer. */
  readonly offerKey: Uint8Array | Ed25519Signer;
  /** The bank's id; default: the broker id from `GET /v1/broker/key` (the bank is its broker). */
  readonly bankId?: string;
  readonly now?: () => number;
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Where the site serves the bank's origin challenges; without it the bank certifies only
   * origins this merchant proved within the last hour (or, on a bank in `unproven`
   * development mode, any origin).
   */
  readonly challenges?: OriginChallengeResponder;
}

/** The certificate chain to configure `createMerchant` with. */
export interface RegisterWithBankReturnType {
  /** DER: the merchant certificate, then the bank's CA certificate (`certificateChain`). */
  readonly certificateChain: readonly Uint8Array[];
  /** The same two certificates as PEM text. */
  readonly pem: string;
  readonly serialNumber: string;
  readonly notAfter: number;
}

/** Asks the bank to certify the offer key; returns the chain `createMerchant` takes. */
export async function registerWithBank(
  parameters: RegisterWithBankParameters,
): Promise<RegisterWithBankReturnType> {
  const signer =
    parameters.offerKey instanceof Uint8Array
      ? nodeEd25519Signer(parameters.offerKey)
      : parameters.offerKey;
  const bank = new BankClient({
    url: parameters.bankUrl,
    apiKey: parameters.apiKey,
    fetch: parameters.fetch ?? globalThis.fetch,
  });
  const bankId = parameters.bankId ?? (await brokerIdOf(bank));
  const tokens: string[] = [];
  try {
    if (parameters.challenges !== undefined) {
      for (const origin of parameters.origins) {
        const challenge = readBankAnswer(
          originChallengeAnswer,
          await bank.post('/v1/merchants/me/origin-challenges', JSON.stringify({ origin }), {
            idempotencyKey: randomUUID(),
            pass: 'all',
          }),
          'the origin challenge',
        );
        parameters.challenges.add(challenge.token, challenge.keyAuthorization);
        tokens.push(challenge.token);
      }
    }
    return await certify(bank, signer, bankId, parameters);
  } finally {
    for (const token of tokens) parameters.challenges?.remove(token);
  }
}

async function certify(
  bank: BankClient,
  signer: Ed25519Signer,
  bankId: string,
  parameters: RegisterWithBankParameters,
): Promise<RegisterWithBankReturnType> {
  const registration = await signMerchantRegistration(
    {
      merchantId: parameters.merchantId,
      name: parameters.name,
      origins: parameters.origins,
      bankId,
      createdAt: (parameters.now ?? Date.now)(),
    },
    signer,
  );
  // The key is the request's hash: sending this very request again is a retry.
  const idempotencyKey = createHash('sha256')
    .update(merchantRegistrations.signingBytes(registration))
    .digest('base64url');
  const answer = readBankAnswer(
    registrationAnswer,
    await bank.post(
      '/v1/merchants/me/certificates',
      JSON.stringify(merchantRegistrations.signedToWire(registration)),
      { idempotencyKey, pass: 'all' },
    ),
    'the registration',
  );
  return {
    certificateChain: answer.chain,
    pem: answer.pem,
    serialNumber: answer.serialNumber,
    notAfter: answer.notAfter,
  };
}

async function brokerIdOf(bank: BankClient): Promise<string> {
  const key = await bank.get('/v1/broker/key', { auth: false });
  return readBankAnswer(brokerKeyAnswer, key, 'the broker key').brokerId;
}
