/**
 * Test support for the broker's tests (not part of the API), on top of the bank's own
 * (`../bank.fixture.ts`: the real app over a real SQLite store with a movable clock): the wallet's
 * and vendor's side built with the protocol's own PayWord code (chains, commitments,
 * payments), and the redemption call.
 */
import type { Amount } from '@farthing/protocol/amount';
import { type Ed25519Signer, ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import {
  type PaywordUserCertificate,
  type PaywordUserCertificateJson,
  paywordCertificates,
} from '@farthing/protocol/payword/certificate';
import {
  createPaywordChain,
  type PaywordChain,
  randomChainSeed,
} from '@farthing/protocol/payword/chain';
import {
  type PaywordCommitment,
  type PaywordCommitmentJson,
  paywordCommitments,
} from '@farthing/protocol/payword/commitment';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import {
  balanceOf,
  expectStatus,
  openCustomer,
  openTestBank,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';
import { systemAccounts } from '../store/store.ts';

export const graceSeconds = 86_400;
export const brokerScopes = ['account', 'payword'] as const;
/** The password `openCustomer` signs up with (../bank.fixture.ts). */
const password = 'correct horse battery';

/** A test bank whose vendors may redeem for one day after a certificate expires. */
export function openBrokerTestBank(): Promise<TestBank> {
  // One coin value: the mint generates an RSA-2048 key per value, and these tests need none.
  return openTestBank({ coinValues: [1], env: { FARTHING_PAYWORD_GRACE_S: String(graceSeconds) } });
}

/** A customer with a session that may ask for PayWord certificates. */
export function openPaywordCustomer(
  bank: TestBank,
  name: string,
  funds: number,
): Promise<TestCustomer> {
  return openCustomer(bank, name, funds, brokerScopes);
}

/** A new session token (sessions expire when a test moves the clock far). */
export async function logIn(bank: TestBank, name: string): Promise<string> {
  const session = await expectStatus<{ token: string }>(
    await bank.request('POST', '/v1/sessions', { body: { name, password, scopes: brokerScopes } }),
    201,
  );
  return session.token;
}

export const heldBalance = (bank: TestBank) => balanceOf(bank, systemAccounts.paywordHolds);

/** The wallet: a user key and the certificate the broker issued for it. */
export interface TestWallet {
  readonly signer: Ed25519Signer;
  readonly certificate: PaywordUserCertificate;
  readonly certificateJson: PaywordUserCertificateJson;
}

export async function requestCertificate(
  bank: TestBank,
  customer: TestCustomer,
  creditLimit: string,
  validForSeconds?: number,
): Promise<TestWallet> {
  const signer = ed25519Signer(randomSecretKey());
  const certificateJson = await expectStatus<PaywordUserCertificateJson>(
    await bank.request('POST', '/v1/broker/certificates', {
      token: customer.token,
      body: {
        userPublicKey: toBase64url(signer.publicKey),
        creditLimit,
        ...(validForSeconds === undefined ? {} : { validForSeconds }),
      },
    }),
    201,
  );
  return {
    signer,
    certificate: paywordCertificates.parse(certificateJson),
    certificateJson,
  };
}

/** A chain for one vendor and the wallet's signed commitment to it. */
export interface TestChain {
  readonly chain: PaywordChain;
  readonly commitment: PaywordCommitment;
}

export async function commitToVendor(
  wallet: Pick<TestWallet, 'signer' | 'certificate'>,
  vendorId: string,
  terms: { length: number; valuePerWord: Amount; createdAt: number; expiresAt?: number },
): Promise<TestChain> {
  const chain = createPaywordChain(randomChainSeed(), terms.length);
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate: wallet.certificate,
      root: chain.root,
      length: terms.length,
      valuePerWord: terms.valuePerWord,
      createdAt: terms.createdAt,
      expiresAt: terms.expiresAt ?? wallet.certificate.expiresAt,
    },
    wallet.signer,
  );
  return { chain, commitment };
}

export interface RedemptionItem {
  readonly commitment: PaywordCommitmentJson;
  readonly index: number;
  readonly word: string;
}

/** The redemption item a vendor sends after receiving payword `index` of the chain. */
export function redemptionItem(chain: TestChain, index: number): RedemptionItem {
  const payment = createPaywordPayment({
    chain: chain.chain,
    commitment: chain.commitment,
    index,
    firstUse: false,
  });
  return {
    commitment: paywordCommitments.toJson(chain.commitment),
    index: payment.index,
    word: toBase64url(payment.word),
  };
}

export interface RedemptionBody {
  readonly redemptions: readonly {
    readonly commitmentId: string | null;
    readonly status: 'redeemed' | 'rejected';
    readonly paid?: string;
    readonly index?: number;
    readonly totalRedeemed?: string;
    readonly problem?: { readonly code: string; readonly status: number };
  }[];
  readonly paid: string;
}

export async function redeem(
  bank: TestBank,
  vendor: TestMerchant,
  redemptions: readonly unknown[],
  idempotencyKey?: string,
): Promise<RedemptionBody> {
  return expectStatus<RedemptionBody>(
    await bank.request('POST', '/v1/broker/redemptions', {
      token: vendor.apiKey,
      body: { redemptions },
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    }),
    200,
  );
}

/** The codes of the rejected items, `'redeemed'` for the others, in request order. */
export function outcomes(body: RedemptionBody): string[] {
  return body.redemptions.map((item) =>
    item.status === 'redeemed' ? 'redeemed' : (item.problem?.code ?? 'no problem'),
  );
}
