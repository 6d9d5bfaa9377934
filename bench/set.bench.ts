/**
 * SET card payments (issue 14), measured against the real bank over loopback HTTP with durable
 * commits (SQLite WAL, each answer after its commit is on disk). The bank runs in this
 * process, beside the load, on the same 2 cores: the figures include the client's cost.
 * Wallet-side work (dual signatures, PI envelopes, coins, deposit permissions) is done before
 * each timed phase.
 *
 *  - set.dual_signature_verify_per_s  the merchant's check of a purchase request: H(OI) from
 *                                     OI, then the cardholder's Ed25519 signature over
 *                                     H(PI) ‖ H(OI) (Node's native verify)
 *  - set.authorize_per_s              POST /v1/set/authorizations from 8 concurrent clients:
 *                                     merchant signature, PI envelope (HPKE), certificate
 *                                     chain, dual signature, card and limit, hold in the ledger
 *  - set.card_pay_ms / set.ecash_pay_ms  the shop's server time for one payment, interleaved
 *                                     one by one: a card purchase (CardMerchant.pay: checks,
 *                                     authorization at the gateway, stored) against an e-cash
 *                                     payment's deposit of one coin at the mint (the SDK's
 *                                     depositCoins, the part of an e-cash payment that is not
 *                                     local checks); medians
 *  - set.card_vs_ecash_ratio          their ratio in the same run (target ≤ 3)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@farthing/bank/config';
import { withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { startBank } from '@farthing/bank/server';
import {
  bankEnv,
  freePort,
  httpBank,
  openHttpCustomer,
} from '@farthing/bank/test/http-bank.fixture';
import { CardMerchant } from '@farthing/merchant-sdk/card';
import { CardPurchaseStore } from '@farthing/merchant-sdk/card/store';
import { BankClient } from '@farthing/merchant-sdk/server/bank-client';
import { depositCoins } from '@farthing/merchant-sdk/server/ecash';
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { parseSetMessage, setMessageToWire, signSetMessage } from '@farthing/protocol/set/messages';
import { orderInformationDigest, verifyDualSignature } from '@farthing/protocol/set/purchase';
import {
  authorizationRequest,
  type CardClient,
  fetchGateway,
  issueCard,
  makePurchase,
  openMerchant,
  orderDigestOf,
  registerCardholder,
} from '@farthing/test/card/world';
import { timeSync } from './measure.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export async function run(): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-set-bench-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_LOG_LEVEL: 'error',
    FARTHING_MINT_VALUES: '0.01',
  });
  process.env.FARTHING_MINT_VALUES = env.FARTHING_MINT_VALUES;
  process.env.FARTHING_DEPOSIT_THREADS = '1';
  const running = await startBank(loadConfig(env));
  try {
    const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
    const world: CardClient = {
      bank,
      bankId: running.ctx.config.bankId,
      gateway: await fetchGateway(bank),
    };
    const caCertificate = world.gateway.caCertificate;
    const merchant = await openMerchant(world, 'bench-shop');
    const customer = await openHttpCustomer(bank, 'bench-customer', 100_00, [
      'account',
      'withdraw',
    ]);
    const cardholder = await registerCardholder(
      world,
      customer,
      await issueCard(world, customer, 10_000_000_00),
    );

    // --- the merchant's dual-signature check
    const sample = await makePurchase(world, cardholder, {
      merchantId: merchant.name,
      amount: 1,
      description: 'bench',
    });
    const verifyMs = timeSync(() => {
      verifyDualSignature({
        dualSignature: sample.dualSignature,
        piDigest: sample.piDigest,
        oiDigest: orderInformationDigest(sample.oi),
        cardholderPublicKey: cardholder.signer.publicKey,
        ed25519Verify: nodeEd25519Verify,
      });
    });

    // --- authorizations over HTTP, 8 concurrent clients
    const count = 1_600;
    const bodies: string[] = [];
    for (let i = 0; i < count; i++) {
      const purchase = await makePurchase(world, cardholder, {
        merchantId: merchant.name,
        amount: 1,
        description: `bench ${i}`,
      });
      bodies.push(JSON.stringify(await authorizationRequest(merchant, purchase)));
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const response = await fetch(`${running.url}/v1/set/authorizations`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${merchant.apiKey}`,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body,
          });
          if (response.status !== 201)
            throw new Error(`authorization: ${response.status} ${await response.text()}`);
        }
      }),
    );
    const authorizePerS = count / ((performance.now() - started) / 1000);

    // --- a card purchase against an e-cash deposit, interleaved
    const rounds = 150;
    const store = new CardPurchaseStore(join(dir, 'shop-card.sqlite'));
    const shop = new CardMerchant({
      merchantId: merchant.name,
      signer: merchant.signer,
      merchantCertificates: merchant.certificates,
      bank: { url: running.url, apiKey: merchant.apiKey },
      trustedRoots: [caCertificate],
      store,
      capture: 'sale',
    });
    const requests: unknown[] = [];
    for (let i = 0; i < rounds; i++) {
      const init = parseSetMessage(
        'purchase-initiation-response',
        await shop.initiate({
          amount: amount('EUR', 1),
          orderDigest: orderDigestOf('bench order'),
          description: 'bench order',
        }),
      );
      const purchase = await makePurchase(world, cardholder, {
        merchantId: merchant.name,
        amount: 1,
        description: 'bench order',
        transactionId: init.body.transactionId,
      });
      requests.push(
        setMessageToWire(
          await signSetMessage(
            'purchase-request',
            {
              ...purchase.oi,
              piDigest: purchase.piDigest,
              piEnvelope: purchase.piEnvelope,
              dualSignature: purchase.dualSignature,
              cardholderCertificates: purchase.cardholderCertificates,
            },
            cardholder.signer,
          ),
        ),
      );
    }
    const coins = await withdrawCoins(
      bank,
      customer,
      Array.from({ length: rounds }, () => 1),
    );
    const permissions = coins.map((coin) =>
      createDepositPermission({
        coin: coin.coin,
        coinSecretKey: coin.secretKey,
        offerHash: crypto.getRandomValues(new Uint8Array(32)),
        merchantId: merchant.name,
        amount: amount('EUR', 1),
        payerCodeHash: payerCodeHash(randomPayerCode()),
      }),
    );
    const client = new BankClient({ url: running.url, apiKey: merchant.apiKey, fetch });
    const card: number[] = [];
    const ecash: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await shop.pay(requests[i]);
      card.push(performance.now() - t);
      t = performance.now();
      await depositCoins(client, {
        coins: [permissions[i]!],
        credentialId: crypto.getRandomValues(new Uint8Array(32)),
        price: amount('EUR', 1),
      });
      ecash.push(performance.now() - t);
    }
    store.close();
    const cardMs = median(card);
    const ecashMs = median(ecash);
    const problems = (await running.ctx.store.checkInvariants()).problems;
    if (problems.length > 0) throw new Error(`books: ${problems.join('; ')}`);
    return {
      'set.dual_signature_verify_per_s': { value: Math.round(1000 / verifyMs), unit: '/s' },
      'set.authorize_per_s': { value: Math.round(authorizePerS), unit: '/s' },
      'set.card_pay_ms': { value: Number(cardMs.toFixed(3)), unit: 'ms' },
      'set.ecash_pay_ms': { value: Number(ecashMs.toFixed(3)), unit: 'ms' },
      'set.card_vs_ecash_ratio': { value: Number((cardMs / ecashMs).toFixed(3)), unit: '×' },
    };
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
