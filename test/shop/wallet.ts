/**
 * The wallet's side of a purchase, as the extension will do it, built from `protocol/` only:
 * read the 402 challenge, check the merchant's certificate and offer, pay with coins or
 * paywords at the pay endpoint, keep the grant cookie, read the receipt. Plus a raw HTTP GET
 * for the path tricks (fetch would normalise the request-target before sending it).
 */
import { request as httpRequest } from 'node:http';
import { expectStatus } from '@farthing/bank/bank.fixture';
import type { WalletCoin } from '@farthing/bank/mint/mint.fixture';
import type { HttpBank } from '@farthing/bank/test/http-bank.fixture';
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { offerHash, type SignedOffer, verifyOffer } from '@farthing/protocol/offer';
import { offerFromBytes } from '@farthing/protocol/offer-token';
import {
  type PaywordUserCertificateJson,
  paywordCertificates,
} from '@farthing/protocol/payword/certificate';
import { createPaywordChain, randomChainSeed } from '@farthing/protocol/payword/chain';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import { receipts, type SignedReceipt } from '@farthing/protocol/receipt';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import { expect } from 'vitest';

/** The merchant as the wallet knows it after checking its descriptor against the bank's CA. */
export interface KnownMerchant {
  readonly merchantId: string;
  readonly name: string;
  readonly offerPublicKey: Uint8Array;
}

/** Fetches the descriptor and verifies its certificate chain against the bank's CA. */
export async function knowMerchant(shopUrl: string, bank: HttpBank): Promise<KnownMerchant> {
  const descriptor = await expectStatus<{ certificateChain: string[] }>(
    await fetch(`${shopUrl}/.well-known/farthing-merchant`),
    200,
  );
  const ca = await expectStatus<{ der: string }>(
    await bank.request('GET', '/v1/ca/certificate'),
    200,
  );
  const verified = verifyMerchantCertificate({
    chain: descriptor.certificateChain.map((der) => fromBase64url(der)),
    trustedRoots: [fromBase64url(ca.der)],
    origin: shopUrl,
    now: Date.now(),
    ed25519Verify: nodeEd25519Verify,
  });
  return {
    merchantId: verified.merchantId,
    name: verified.name,
    offerPublicKey: verified.offerPublicKey,
  };
}

/** The offer of a 402 challenge, checked like the wallet checks it. */
export function offerOfChallenge(response: Response, merchant: KnownMerchant): SignedOffer {
  expect(response.status).toBe(402);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const challenge = findFarthingChallenge(response.headers.get('www-authenticate') ?? '');
  if (challenge === undefined) throw new Error('no Farthing challenge in WWW-Authenticate');
  const offer = offerFromBytes(challenge.offer);
  verifyOffer(offer, { merchantPublicKey: merchant.offerPublicKey });
  return offer;
}

/** GETs a priced path without a grant and returns the offer its 402 carries. */
export async function offerAt(
  shopUrl: string,
  path: string,
  merchant: KnownMerchant,
): Promise<SignedOffer> {
  const response = await fetch(`${shopUrl}${path}`, { headers: { accept: 'application/json' } });
  await response.body?.cancel();
  return offerOfChallenge(response, merchant);
}

/** Spends `coins` (their whole values) on `offer`. */
export function ecashCredential(
  offer: SignedOffer,
  coins: readonly WalletCoin[],
  options: { readonly signedOffer?: SignedOffer } = {},
): Credential {
  const code = payerCodeHash(randomPayerCode());
  const signed = options.signedOffer ?? offer;
  return {
    type: 'ecash',
    offer,
    coins: coins.map((coin) =>
      createDepositPermission({
        coin: coin.coin,
        coinSecretKey: coin.secretKey,
        offerHash: offerHash(signed),
        merchantId: signed.merchantId,
        amount: coin.denomination.value,
        payerCodeHash: code,
      }),
    ),
  };
}

/** A broker certificate for the customer and one chain of one-cent words for the shop. */
export interface PaywordPurse {
  readonly creditLimit: number;
  /** The last index revealed (0 before the first click). */
  spent: number;
  credentialFor(offer: SignedOffer, words: number): Credential;
}

export async function openPaywordPurse(
  bank: HttpBank,
  customer: { readonly token: string },
  vendorId: string,
  options: { readonly creditLimit: number; readonly length: number },
): Promise<PaywordPurse> {
  const signer = ed25519Signer(randomSecretKey());
  const certificate = paywordCertificates.parse(
    await expectStatus<PaywordUserCertificateJson>(
      await bank.request('POST', '/v1/broker/certificates', {
        token: customer.token,
        body: {
          userPublicKey: toBase64url(signer.publicKey),
          creditLimit: `EUR ${(options.creditLimit / 100).toFixed(2)}`,
        },
      }),
      201,
    ),
  );
  const chain = createPaywordChain(randomChainSeed(), options.length);
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate,
      root: chain.root,
      length: options.length,
      valuePerWord: amount('EUR', 1),
      createdAt: Date.now(),
      expiresAt: certificate.expiresAt,
    },
    signer,
  );
  const purse: PaywordPurse = {
    creditLimit: options.creditLimit,
    spent: 0,
    credentialFor(offer, words) {
      const payment = createPaywordPayment({
        chain,
        commitment,
        index: purse.spent + words,
        firstUse: purse.spent === 0,
      });
      return { type: 'payword', offer, payment };
    },
  };
  return purse;
}

/** `POST /.well-known/farthing/pay` with the credential as its JSON body. */
export function pay(shopUrl: string, credential: Credential): Promise<Response> {
  return fetch(`${shopUrl}/.well-known/farthing/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: new Uint8Array(encodeCredential(credential)),
  });
}

/** A successful payment: the receipt (verified) and the cookie a browser would send back. */
export interface Paid {
  readonly receipt: SignedReceipt;
  readonly cookie: string;
  readonly grant: { readonly resource: string; readonly expiresAt: number };
}

export async function expectPaid(response: Response, merchant: KnownMerchant): Promise<Paid> {
  const body = await expectStatus<{ receipt: unknown; grant: Paid['grant'] }>(response, 200);
  const receipt = receipts.parse(body.receipt);
  receipts.checkMerchantSignature(receipt, { merchantPublicKey: merchant.offerPublicKey });
  const setCookie = response.headers.get('set-cookie');
  if (setCookie === null) throw new Error('the payment set no grant cookie');
  return { receipt, cookie: setCookie.split(';')[0]!, grant: body.grant };
}

/** An RFC 9457 problem with this status and code. */
export async function expectProblem(response: Response, status: number, code: string) {
  const text = await response.text();
  expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({
    status,
    type: 'application/problem+json',
  });
  const problem = JSON.parse(text) as { code: string; status: number; type: string };
  expect(problem).toMatchObject({ code, status, type: `urn:farthing:problem:${code}` });
  return { problem, text };
}

/** GET with the request-target sent byte for byte as given. */
export function rawGet(
  shopUrl: string,
  target: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const url = new URL(shopUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: target, method: 'GET', headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'],
            body,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}
