/**
 * The bank's SET keys, made on first start and kept in `bank_keys` like the CA: the payment
 * gateway's Ed25519 signature key and its X25519 key-exchange key (both as 32-byte seeds),
 * each with its certificate from the bank's CA (gateway profiles, protocol set/certificates.ts),
 * stored as the key's public part so every start serves the same certificates.
 *
 * One key-exchange key serves the bank's two SET roles that receive envelopes, the gateway
 * (PI) and the cardholder CA (card details at registration): the bank is one party, and the
 * two envelopes are bound to different `info` labels, so neither can be opened as the other.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { type Ed25519Signer, ed25519PublicKey, randomSecretKey } from '@farthing/protocol/ed25519';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import {
  certificateFingerprint,
  gatewayKeyExchangeCertificateTemplate,
  gatewaySignatureCertificateTemplate,
} from '@farthing/protocol/set/certificates';
import { type EnvelopeKeyPair, envelopeKeyPairFromSeed } from '@farthing/protocol/set/hpke';
import {
  type SetMessage,
  type SetMessageBody,
  type SetMessageType,
  setMessageSigningBytes,
} from '@farthing/protocol/set/messages';
import { signCertificate } from '@farthing/protocol/x509/certificate-builder';
import {
  type CertificateAuthority,
  ed25519SecretKeyToPkcs8,
  randomSerialNumber,
} from '../ca/certificate-authority.ts';
import { clockSkewAllowance } from '../ca/merchant-certificates.ts';
import type { BankContext } from '../http/context.ts';

export const gatewaySigningKeyName = 'set-gateway-signing';
export const gatewayKeyExchangeKeyName = 'set-gateway-key-exchange';

export interface SetAuthority {
  readonly gatewayId: string;
  readonly ca: CertificateAuthority;
  readonly signer: Ed25519Signer;
  readonly signatureCertificate: Uint8Array;
  readonly keyExchange: EnvelopeKeyPair;
  readonly keyExchangeCertificate: Uint8Array;
  /** SHA-256 of the key-exchange certificate: what OI and PI must name. */
  readonly fingerprint: Uint8Array;
  /** Signs a message at once (Node's Ed25519 is synchronous), so a store write can render a
   * signed answer inside its transaction and store it under the idempotency key. */
  signNow<T extends SetMessageType>(type: T, body: SetMessageBody<T>): SetMessage<T>;
}

async function ensureKey(
  ctx: BankContext,
  name: string,
  certify: (seed: Uint8Array, notBefore: number) => Promise<Uint8Array>,
): Promise<{ seed: Uint8Array; certificate: Uint8Array }> {
  let stored = await ctx.store.getBankKey(name);
  if (stored === undefined) {
    const seed = randomSecretKey();
    const now = ctx.now();
    const notBefore = Math.floor((now - clockSkewAllowance) / 1000) * 1000;
    stored = await ctx.store.ensureBankKey({
      name,
      secret: seed,
      publicKey: await certify(seed, notBefore),
      now,
    });
  }
  return { seed: stored.secret, certificate: stored.publicKey };
}

export async function openSetAuthority(ctx: BankContext): Promise<SetAuthority> {
  const { ca, config } = ctx;
  const common = (notBefore: number) => ({
    gatewayId: config.bankId,
    name: `${config.bankId} Payment Gateway`.slice(0, 64),
    serialNumber: randomSerialNumber(),
    notBefore,
    notAfter: ca.notAfter,
  });
  const signing = await ensureKey(ctx, gatewaySigningKeyName, (seed, notBefore) =>
    signCertificate(
      gatewaySignatureCertificateTemplate({
        ...common(notBefore),
        publicKey: ed25519PublicKey(seed),
      }),
      ca.issuer,
    ),
  );
  const exchange = await ensureKey(ctx, gatewayKeyExchangeKeyName, async (seed, notBefore) =>
    signCertificate(
      gatewayKeyExchangeCertificateTemplate({
        ...common(notBefore),
        publicKey: (await envelopeKeyPairFromSeed(seed)).publicKey,
      }),
      ca.issuer,
    ),
  );
  const privateKey = createPrivateKey({
    key: Buffer.from(ed25519SecretKeyToPkcs8(signing.seed)),
    format: 'der',
    type: 'pkcs8',
  });
  return {
    gatewayId: config.bankId,
    ca,
    signer: nodeEd25519Signer(signing.seed),
    signatureCertificate: signing.certificate,
    keyExchange: await envelopeKeyPairFromSeed(exchange.seed),
    keyExchangeCertificate: exchange.certificate,
    fingerprint: certificateFingerprint(exchange.certificate),
    signNow: (type, body) => ({
      type,
      body,
      signature: new Uint8Array(sign(null, setMessageSigningBytes(type, body), privateKey)),
    }),
  };
}

/** Opens the authority once, on first use: route modules are built synchronously. */
export function lazySetAuthority(ctx: BankContext): () => Promise<SetAuthority> {
  let opening: Promise<SetAuthority> | undefined;
  return () => {
    opening ??= openSetAuthority(ctx).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
}
