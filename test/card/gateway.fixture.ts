/**
 * The world of the gateway tests: the real bank, two merchants with certificates, and Alice
 * with a registered card (limit EUR 50.00); helpers that send signed requests as the shop and
 * check that a refusal moved no money.
 */

import { expectProblem, expectStatus } from '@farthing/bank/bank.fixture';
import { amount as money } from '@farthing/protocol/amount';
import { expect } from 'vitest';
import {
  authorizationRequest,
  balances,
  type Cardholder,
  type CardWorld,
  gatewayAnswer,
  issueCard,
  type Merchant,
  makePurchase,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  post,
  registerCardholder,
  signedRequest,
} from './world.ts';

export const description = 'Order 1: 2 × Farthing enamel mug, 1 × Gazette tote bag';

export type GatewayFixture = Awaited<ReturnType<typeof openGatewayFixture>>;

export async function openGatewayFixture() {
  const world: CardWorld = await openCardWorld();
  const shop: Merchant = await openMerchant(world, 'card-shop');
  const otherShop: Merchant = await openMerchant(world, 'other-shop');
  const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
  const alice: Cardholder = await registerCardholder(
    world,
    customer,
    await issueCard(world, customer, 50_00),
  );

  async function authorize(
    cardholder: Cardholder,
    amount: number,
    options: { capture?: boolean } = {},
  ) {
    const purchase = await makePurchase(world, cardholder, {
      merchantId: shop.name,
      amount,
      description,
    });
    const body = await authorizationRequest(shop, purchase, options);
    const answer = gatewayAnswer(
      world,
      'authorization-response',
      await expectStatus(await post(world, shop, '/v1/set/authorizations', body), 201),
    );
    return { purchase, answer, body };
  }

  async function operate(
    path: string,
    type: 'capture-request' | 'authorization-reversal-request' | 'capture-reversal-request',
    transactionId: string,
    amount: number,
  ) {
    return post(
      world,
      shop,
      `/v1/set/${path}`,
      await signedRequest(shop, type, {
        transactionId,
        merchantId: shop.name,
        amount: money('EUR', amount),
        requestedAt: Date.now(),
      }),
    );
  }

  async function credit(
    path: 'credits' | 'credit-reversals',
    transactionId: string,
    creditId: string,
    amount: number,
  ) {
    return post(
      world,
      shop,
      `/v1/set/${path}`,
      await signedRequest(shop, path === 'credits' ? 'credit-request' : 'credit-reversal-request', {
        transactionId,
        merchantId: shop.name,
        creditId,
        amount: money('EUR', amount),
        requestedAt: Date.now(),
      }),
    );
  }

  /** Runs `attempt`, expects the refusal, and that no balance moved. */
  async function refusedWithoutMoney(
    attempt: () => Promise<Response>,
    status: number,
    code: string,
  ): Promise<void> {
    const before = await balances(world, shop.name, otherShop.name, 'alice');
    const problem = await expectProblem(await attempt(), status);
    expect(problem.code).toBe(code);
    expect(await balances(world, shop.name, otherShop.name, 'alice')).toEqual(before);
  }

  return {
    world,
    shop,
    otherShop,
    alice,
    authorize,
    operate,
    credit,
    refusedWithoutMoney,
    close: () => world.close(),
  };
}
