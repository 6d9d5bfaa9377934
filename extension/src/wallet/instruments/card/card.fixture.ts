/**
 * What the card purchase tests share (not part of the wallet; no production file imports it):
 * a registered card (the SET fixture's cardholder key and certificate, its account sealed as
 * `registerCard` seals it), a checked card offer signed by the Demo Shop, and a merchant that
 * takes a purchase request as merchant and gateway together would: the cardholder certificate
 * under the bank's CA, the request's signature under its key, the PI envelope opened with the
 * gateway's key, the dual signature over PI and OI, the order and amount the initiation signed.
 * It authorizes a transaction once; the same request again gets the same signed answer.
 */
import { amount } from '@farthing/protocol/amount';
import { toBase64url } from '@farthing/protocol/encoding';
import { verifyCardholderCertificate } from '@farthing/protocol/set/certificates';
import {
  parseSetMessage,
  setMessageToWire,
  signSetMessage,
  verifySetMessage,
} from '@farthing/protocol/set/messages';
import { cardOrderDigest, priceCardOrder } from '@farthing/protocol/set/order';
import {
  openPaymentEnvelope,
  orderInformationDigest,
  paymentInformationDigest,
  verifyDualSignature,
} from '@farthing/protocol/set/purchase';
import {
  cardholderSigner,
  makeSetWorld,
  now,
  type SetWorld,
  testCard,
} from '@farthing/protocol/set/set.fixture';
import { makeMerchantCertificate, merchantSigner } from '@farthing/protocol/x509/x509.fixture';
import type { BankRecord, CardRecord } from '../../db/schema.ts';
import { bankUrl, type FixtureServer, type FixtureWallet } from '../instrument.fixture.ts';
import type { CheckedCardOffer } from './purchase.ts';

export const purchaseUrl = 'https://shop.example/.well-known/farthing/card/purchase';
export const transactionId = 'tx-0001';

const problem = (status: number, code: string) => Response.json({ code }, { status });

/** RFC 8410 PrivateKeyInfo for an Ed25519 seed, so WebCrypto holds the fixture's key. */
function pkcs8(seed: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = Uint8Array.of(
    0x30,
    0x2e,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    0x70,
    0x04,
    0x22,
    0x04,
    0x20,
  );
  const der = new Uint8Array(prefix.length + seed.length);
  der.set(prefix);
  der.set(seed, prefix.length);
  return der;
}

export class CardMerchant implements FixtureServer {
  /** transactionId → the request authorized for it. */
  readonly authorized = new Map<string, string>();
  readonly doubleAuthorizations: string[] = [];
  refuseNext = false;
  private readonly answers = new Map<string, unknown>();

  constructor(
    private readonly world: SetWorld,
    private readonly checked: CheckedCardOffer,
  ) {}

  async answer(url: string, init: RequestInit): Promise<Response> {
    if (url !== purchaseUrl || init.method !== 'POST') return problem(404, 'not_found');
    const text = String(init.body);
    const earlier = this.answers.get(text);
    if (earlier !== undefined) return Response.json(earlier);
    if (this.refuseNext) {
      this.refuseNext = false;
      return problem(402, 'set_authorization_declined');
    }
    const request = parseSetMessage('purchase-request', JSON.parse(text));
    const { body } = request;
    const cardholder = verifyCardholderCertificate({
      chain: body.cardholderCertificates,
      trustedRoots: [this.world.ca.certificate],
      now,
    });
    verifySetMessage(request, cardholder.publicKey);
    const { pi, oiDigest } = await openPaymentEnvelope({
      envelope: body.piEnvelope,
      gateway: this.world.gatewayKeys,
      gatewayFingerprint: this.world.gatewayFingerprint,
      transactionId: body.transactionId,
      merchantId: body.merchantId,
    });
    const oi = {
      transactionId: body.transactionId,
      merchantId: body.merchantId,
      gatewayFingerprint: body.gatewayFingerprint,
      amount: body.amount,
      orderDigest: body.orderDigest,
      nonce: body.nonce,
    };
    const signed = this.checked.initiation.body;
    if (
      toBase64url(orderInformationDigest(oi)) !== toBase64url(oiDigest) ||
      toBase64url(paymentInformationDigest(pi)) !== toBase64url(body.piDigest) ||
      toBase64url(body.orderDigest) !== toBase64url(signed.orderDigest) ||
      body.amount.minor !== signed.amount.minor ||
      pi.pan !== testCard.pan
    ) {
      return problem(400, 'set_request_invalid');
    }
    verifyDualSignature({
      dualSignature: body.dualSignature,
      piDigest: body.piDigest,
      oiDigest,
      cardholderPublicKey: cardholder.publicKey,
    });
    const taken = this.authorized.get(body.transactionId);
    if (taken !== undefined && taken !== text) {
      this.doubleAuthorizations.push(body.transactionId);
      return problem(409, 'set_transaction_used');
    }
    this.authorized.set(body.transactionId, text);
    const response = await signSetMessage(
      'purchase-response',
      {
        transactionId: body.transactionId,
        status: 'authorized',
        amount: body.amount,
        at: now,
        receiptId: `receipt-${body.transactionId}`,
      },
      merchantSigner,
    );
    const answer = setMessageToWire(response);
    this.answers.set(text, answer);
    return Response.json(answer);
  }
}

/** The SET world, a 12.50 € order the Demo Shop signed, and the bank the wallet trusts. */
export async function cardWorld() {
  const world = await makeSetWorld();
  const bank = {
    url: bankUrl,
    name: 'Demo Bank',
    caCertificate: world.ca.certificate,
  } as unknown as BankRecord;
  const order = priceCardOrder({
    lines: [
      {
        item: 'print-harbour-dawn',
        description: 'Harbour at dawn',
        quantity: 1,
        unitPrice: amount('EUR', 1000),
      },
    ],
    vatRate: 2000,
    shipping: amount('EUR', 50),
  });
  const initiation = await signSetMessage(
    'purchase-initiation-response',
    {
      transactionId,
      merchantId: 'demo-shop',
      amount: order.total,
      orderDigest: cardOrderDigest(order),
      merchantCertificates: [await makeMerchantCertificate(world.ca)],
      gatewaySignatureCertificates: [world.gatewaySignatureCertificate],
      gatewayKeyExchangeCertificates: [world.gatewayKeyExchangeCertificate],
    },
    merchantSigner,
  );
  const checked: CheckedCardOffer = {
    origin: 'https://shop.example',
    bank,
    merchantId: 'demo-shop',
    merchantName: 'Demo Shop',
    merchantKey: merchantSigner.publicKey,
    initiation,
    order,
    gateway: {
      fingerprint: world.gatewayFingerprint,
      keyExchangePublicKey: world.gatewayKeys.publicKey,
      caCertificate: world.ca.certificate,
    },
    purchaseUrl,
    paidUrl: 'https://shop.example/paid',
  };
  return { world, checked, merchant: new CardMerchant(world, checked) };
}

/** The fixture's card, registered in `wallet` (before any stop is counted). */
export async function registerFixtureCard(wallet: FixtureWallet, world: SetWorld) {
  const privateKey = await crypto.subtle.importKey(
    'pkcs8',
    pkcs8(new Uint8Array(32).fill(0xc4)),
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  const card: CardRecord = {
    id: 'card-1',
    bankUrl,
    status: 'registered',
    lastFour: testCard.pan.slice(-4),
    name: 'A CARDHOLDER',
    sealedCard: await wallet.sealer.seal(
      new TextEncoder().encode(
        JSON.stringify({
          pan: testCard.pan,
          expiry: testCard.expiry,
          cardSecret: toBase64url(testCard.cardSecret),
        }),
      ),
    ),
    privateKey,
    publicKey: cardholderSigner.publicKey,
    registration: '{}',
    certificates: [world.cardholderCertificate, world.ca.certificate],
    createdAt: now,
    updatedAt: now,
  };
  await wallet.db.put('cards', card);
}
