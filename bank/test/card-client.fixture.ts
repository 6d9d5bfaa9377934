/**
 * A cardholder's wallet and a merchant, built from the protocol, against a real bank over
 * HTTP (shared by bank/test/crash.test.ts and the card tests in test/card/): the gateway's
 * certificates checked as a wallet checks them, a card issued by the operator, cardholder
 * registration, a SET purchase (OI, PI envelope, dual signature) and the merchant's signed
 * requests to the gateway.
 */
import { createHash, randomUUID } from 'node:crypto';
import { amount as money } from '@farthing/protocol/amount';
import { type Ed25519Signer, ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import type { CardAccount } from '@farthing/protocol/set/card-account';
import { verifyGatewayCertificates } from '@farthing/protocol/set/certificates';
import {
  parseSetMessage,
  type SetMessage,
  type SetMessageBody,
  type SetMessageType,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import {
  type OrderInformation,
  orderInformationDigest,
  type PaymentInformation,
  paymentInformationDigest,
  sealPaymentEnvelope,
  signDualSignature,
} from '@farthing/protocol/set/purchase';
import { sealCardEnvelope } from '@farthing/protocol/set/registration';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { adminToken, expectStatus } from '../src/bank.fixture.ts';
import {
  type HttpBank,
  type HttpCustomer,
  type HttpMerchant,
  openHttpMerchant,
} from './http-bank.fixture.ts';

export interface Gateway {
  readonly fingerprint: Uint8Array;
  readonly keyExchangePublicKey: Uint8Array;
  readonly signaturePublicKey: Uint8Array;
  readonly caCertificate: Uint8Array;
}

/** What the wallet and merchant helpers need: the bank's API, its gateway and its id. */
export interface CardClient {
  readonly bank: HttpBank;
  readonly gateway: Gateway;
  readonly bankId: string;
}

/** The gateway's certificates from `GET /v1/set/gateway`, checked as a wallet checks them. */
export async function fetchGateway(bank: HttpBank): Promise<Gateway> {
  const published = await expectStatus<{
    signatureChain: string[];
    keyExchangeChain: string[];
  }>(await bank.request('GET', '/v1/set/gateway'), 200);
  const caCertificate = fromBase64url(published.signatureChain[1]);
  const verified = verifyGatewayCertificates({
    signatureChain: published.signatureChain.map((der) => fromBase64url(der)),
    keyExchangeChain: published.keyExchangeChain.map((der) => fromBase64url(der)),
    trustedRoots: [caCertificate],
    now: Date.now(),
  });
  return { ...verified, caCertificate };
}

// --- the issuer and the cardholder

export interface IssuedCard {
  readonly cardId: number;
  readonly pan: string;
  readonly expiry: string;
}

export async function issueCard(
  world: CardClient,
  customer: HttpCustomer,
  creditLimit: number,
): Promise<IssuedCard> {
  return expectStatus<IssuedCard>(
    await world.bank.request('POST', '/v1/admin/cards', {
      token: adminToken,
      body: { account: customer.name, creditLimit: `EUR ${(creditLimit / 100).toFixed(2)}` },
    }),
    201,
  );
}

export interface Cardholder {
  readonly customer: HttpCustomer;
  readonly card: CardAccount;
  readonly signer: Ed25519Signer;
  readonly certificate: Uint8Array;
  readonly registrationId: string;
  readonly serial: string;
}

export async function registerCardholder(
  world: CardClient,
  customer: HttpCustomer,
  issued: IssuedCard,
): Promise<Cardholder> {
  const signer = ed25519Signer(randomSecretKey());
  const card: CardAccount = {
    pan: issued.pan,
    expiry: issued.expiry,
    cardSecret: crypto.getRandomValues(new Uint8Array(32)),
  };
  const registrationId = `reg-${randomUUID()}`;
  const message = await registrationMessage(world, signer, card, registrationId);
  const answer = await expectStatus(
    await world.bank.request('POST', '/v1/set/cardholder-registrations', {
      token: customer.token,
      body: setMessageToWire(message),
    }),
    201,
  );
  const response = parseSetMessage('cardholder-registration-response', answer);
  verifySetMessage(response, world.gateway.signaturePublicKey);
  const [certificate] = response.body.certificates;
  const { parseCertificate } = await import('@farthing/protocol/x509/certificate');
  const serial = Buffer.from(parseCertificate(certificate!).serialNumber).toString('hex');
  return { customer, card, signer, certificate: certificate!, registrationId, serial };
}

export async function registrationMessage(
  world: CardClient,
  signer: Ed25519Signer,
  card: CardAccount,
  registrationId: string,
): Promise<SetMessage<'cardholder-registration'>> {
  const cardEnvelope = await sealCardEnvelope({
    account: card,
    registrationId,
    cardholderPublicKey: signer.publicKey,
    caPublicKey: world.gateway.keyExchangePublicKey,
    caFingerprint: world.gateway.fingerprint,
  });
  return signSetMessage(
    'cardholder-registration',
    {
      registrationId,
      cardholderPublicKey: signer.publicKey,
      cardEnvelope,
      requestedAt: Date.now(),
    },
    signer,
  );
}

// --- the merchant

export interface Merchant extends HttpMerchant {
  readonly signer: Ed25519Signer;
  /** The merchant certificate and the bank's CA, DER. */
  readonly certificates: Uint8Array[];
}

export async function openMerchant(world: CardClient, name: string): Promise<Merchant> {
  const merchant = await openHttpMerchant(world.bank, name);
  const signer = ed25519Signer(randomSecretKey());
  const registration = await signMerchantRegistration(
    {
      merchantId: name,
      name: `Merchant ${name}`,
      origins: ['http://localhost:8701'],
      bankId: world.bankId,
      createdAt: Date.now(),
    },
    signer,
  );
  const view = await expectStatus<{ chain: string[] }>(
    await world.bank.request('POST', '/v1/merchants/me/certificates', {
      token: merchant.apiKey,
      body: merchantRegistrations.signedToWire(registration),
    }),
    201,
  );
  return { ...merchant, signer, certificates: view.chain.map((der) => fromBase64url(der)) };
}

// --- a purchase, as the wallet builds it

export interface Purchase {
  readonly oi: OrderInformation;
  readonly pi: PaymentInformation;
  readonly oiDigest: Uint8Array;
  readonly piDigest: Uint8Array;
  readonly dualSignature: Uint8Array;
  readonly piEnvelope: { enc: Uint8Array; ciphertext: Uint8Array };
  readonly cardholderCertificates: Uint8Array[];
}

/** The order's description: what the merchant knows and the bank must never see. */
export function orderDigestOf(description: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(description).digest());
}

export async function makePurchase(
  world: CardClient,
  cardholder: Cardholder,
  order: {
    merchantId: string;
    amount: number;
    description: string;
    transactionId?: string;
    /** The order digest the merchant gave (default: SHA-256 of `description`). */
    orderDigest?: Uint8Array;
    /** What PI says, when a test makes it disagree with OI. */
    piOverrides?: Partial<PaymentInformation>;
  },
): Promise<Purchase> {
  const oi: OrderInformation = {
    transactionId: order.transactionId ?? `tx-${randomUUID()}`,
    merchantId: order.merchantId,
    gatewayFingerprint: world.gateway.fingerprint,
    amount: money('EUR', order.amount),
    orderDigest: order.orderDigest ?? orderDigestOf(order.description),
    nonce: crypto.getRandomValues(new Uint8Array(32)),
  };
  const pi: PaymentInformation = {
    transactionId: oi.transactionId,
    merchantId: oi.merchantId,
    gatewayFingerprint: oi.gatewayFingerprint,
    amount: oi.amount,
    ...cardholder.card,
    nonce: crypto.getRandomValues(new Uint8Array(32)),
    ...order.piOverrides,
  };
  const oiDigest = orderInformationDigest(oi);
  const piDigest = paymentInformationDigest(pi);
  const dualSignature = await signDualSignature(cardholder.signer, piDigest, oiDigest);
  const piEnvelope = await sealPaymentEnvelope({
    pi,
    oiDigest,
    gatewayPublicKey: world.gateway.keyExchangePublicKey,
  });
  return {
    oi,
    pi,
    oiDigest,
    piDigest,
    dualSignature,
    piEnvelope,
    cardholderCertificates: [cardholder.certificate, world.gateway.caCertificate],
  };
}

// --- the merchant's requests to the gateway

export async function signedRequest<T extends SetMessageType>(
  merchant: Merchant,
  type: T,
  body: SetMessageBody<T>,
) {
  return setMessageToWire(await signSetMessage(type, body, merchant.signer));
}

export async function authorizationRequest(
  merchant: Merchant,
  purchase: Purchase,
  options: { capture?: boolean; merchantId?: string; amount?: number } = {},
) {
  return signedRequest(merchant, 'authorization-request', {
    transactionId: purchase.oi.transactionId,
    merchantId: options.merchantId ?? merchant.name,
    amount: options.amount === undefined ? purchase.oi.amount : money('EUR', options.amount),
    oiDigest: purchase.oiDigest,
    piEnvelope: purchase.piEnvelope,
    dualSignature: purchase.dualSignature,
    cardholderCertificates: purchase.cardholderCertificates,
    capture: options.capture ?? false,
    requestedAt: Date.now(),
  });
}

/** The gateway's answer, its signature checked. */
export function gatewayAnswer<T extends SetMessageType>(world: CardClient, type: T, json: unknown) {
  const message = parseSetMessage(type, json);
  verifySetMessage(message, world.gateway.signaturePublicKey);
  return message.body;
}
