/**
 * The hardware purse (issue 15):
 *
 *  - purse.pay_ms              a merchant challenge to the card's proof through the emulated
 *                              reader over its WebSocket, the confirm button pressed (control
 *                              API) as soon as the reader shows the payment; median of 60
 *  - purse.pay_p90_ms          the same, 90th percentile
 *  - bank.purse_clear_per_s    proofs cleared per second by the issuer over HTTP, batches of
 *                              1,000 (every proof's card certificate and signature checked, one
 *                              durable write per batch); median of 3 rounds of 3,000
 *
 * The bank runs in this process on loopback (as e2e.bench.ts runs it), the reader too.
 * Run alone: npx tsx bench/run.ts purse
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus } from '@farthing/bank/bank.fixture';
import { loadConfig } from '@farthing/bank/config';
import { startBank } from '@farthing/bank/server';
import {
  bankEnv,
  freePort,
  httpBank,
  openHttpCustomer,
  openHttpMerchant,
} from '@farthing/bank/test/http-bank.fixture';
import { PurseDesk } from '@farthing/merchant-sdk/server/purse';
import { PurseStore } from '@farthing/merchant-sdk/server/purse-store';
import { amount } from '@farthing/protocol/amount';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { purseLoadRequests } from '@farthing/protocol/purse/load';
import { purseProofs } from '@farthing/protocol/purse/proof';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { manufactureCard, PurseApplet } from '@farthing/reader/card/applet';
import { CardStorage } from '@farthing/reader/card/storage';
import { pressReaderButton } from '@farthing/reader/device/control-client';
import { startReaderServer } from '@farthing/reader/device/server';
import { connectReader } from '@farthing/reader/device/socket-client';

type Metrics = Record<string, { value: number; unit: string }>;

const eur = (minor: number) => amount('EUR', minor);

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export async function run(): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-purse-bench-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01',
  });
  const previousMint = process.env.FARTHING_MINT_VALUES;
  process.env.FARTHING_MINT_VALUES = env.FARTHING_MINT_VALUES;
  const running = await startBank(loadConfig(env));
  if (previousMint === undefined) delete process.env.FARTHING_MINT_VALUES;
  else process.env.FARTHING_MINT_VALUES = previousMint;
  const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
  const cleanups: (() => Promise<void> | void)[] = [
    () => running.stop(),
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  try {
    const holder = await openHttpCustomer(bank, 'holder', 100_000);
    const shop = await openHttpMerchant(bank, 'shop');
    const offerSigner = ed25519Signer(randomSecretKey());
    const registration = await signMerchantRegistration(
      {
        merchantId: 'shop',
        name: 'Merchant shop',
        origins: ['http://localhost:8701'],
        bankId: running.ctx.config.bankId,
        createdAt: Date.now(),
      },
      offerSigner,
    );
    const certified = await expectStatus<{ chain: string[] }>(
      await bank.request('POST', '/v1/merchants/me/certificates', {
        token: shop.apiKey,
        body: merchantRegistrations.signedToWire(registration),
      }),
      201,
    );
    const chain = certified.chain.map((der) => fromBase64url(der));
    const store = new PurseStore(join(dir, 'shop-purse.sqlite'));
    cleanups.unshift(() => store.close());
    const desk = new PurseDesk({
      merchantId: 'shop',
      signer: offerSigner,
      merchantChain: chain,
      trustedRoots: [chain.at(-1)!],
      store,
      bank: { url: running.url, apiKey: shop.apiKey, fetch },
    });

    const issue = (cardId: string, publicKey: Uint8Array) =>
      bank
        .request('POST', '/v1/purse/cards', {
          token: holder.token,
          body: { cardId, publicKey: toBase64url(publicKey) },
        })
        .then((response) => expectStatus<Record<string, string>>(response, 201));
    const loadAtBank = async (bytes: Uint8Array) =>
      fromBase64url(
        (
          await expectStatus<{ authorization: string }>(
            await bank.request('POST', '/v1/purse/loads', {
              token: holder.token,
              body: { loadRequest: toBase64url(bytes) },
            }),
            201,
          )
        ).authorization,
      );

    // --- purse.pay_ms: through the emulated reader
    const cardStorage = new CardStorage(join(dir, 'card.bin'));
    await manufactureCard(cardStorage);
    let pressConfirm = () => {};
    const reader = await startReaderServer({
      applet: await PurseApplet.powerOn(cardStorage),
      onDisplay: (lines) => {
        if (lines[0]?.startsWith('Pay ')) pressConfirm();
      },
    });
    pressConfirm = () => {
      void pressReaderButton(reader.controlUrl, 'confirm');
    };
    cleanups.unshift(() => reader.close());
    const connection = await connectReader(reader.hidUrl);
    cleanups.unshift(() => connection.close());
    const blank = await connection.card.select();
    const issued = await issue(blank.cardId, blank.publicKey);
    const personalised = await connection.card.personalise({
      certificate: fromBase64url(issued.certificate!),
      issuerRoot: fromBase64url(issued.issuerRoot!),
      issuerLoadKey: fromBase64url(issued.issuerLoadKey!),
      pin: '1234',
      maximum: eur(20000),
    });
    await connection.card.verifyPin('1234');
    await connection.card.load(
      await loadAtBank((await connection.card.loadRequest(eur(10000))).bytes),
    );
    const payMs: number[] = [];
    for (let i = 0; i < 65; i++) {
      const challenge = await desk.createChallenge(eur(1));
      const chainBytes = challenge.merchantChain.map((der) => fromBase64url(der));
      const started = performance.now();
      const { bytes } = await connection.card.pay(fromBase64url(challenge.challenge), chainBytes);
      const elapsed = performance.now() - started;
      desk.acceptProof({ proof: bytes, cardCertificate: personalised.purse!.certificate });
      if (i >= 5) payMs.push(elapsed); // the first few warm the JIT and the connection
    }

    // --- bank.purse_clear_per_s: a card whose key signs here, loaded at the bank
    const benchCard = ed25519Signer(randomSecretKey());
    const benchCardId = 'b0b0b0b0b0b0b0b0';
    await issue(benchCardId, benchCard.publicKey);
    await loadAtBank(
      purseLoadRequests.encode(
        await purseLoadRequests.sign(
          { cardId: benchCardId, loadCounter: 0, amount: eur(20000) },
          benchCard,
        ),
      ),
    );
    const rates: number[] = [];
    let sno = 0;
    for (let round = 0; round < 3; round++) {
      const bodies: string[] = [];
      for (let batch = 0; batch < 3; batch++) {
        const proofs: string[] = [];
        for (let i = 0; i < 1000; i++) {
          sno += 1;
          const proof = await purseProofs.sign(
            {
              cardId: benchCardId,
              sno,
              merchantId: 'shop',
              tno: 1_000_000 + sno,
              amount: eur(1),
              nonce: new Uint8Array(32),
            },
            benchCard,
          );
          proofs.push(toBase64url(purseProofs.encode(proof)));
        }
        bodies.push(JSON.stringify({ proofs }));
      }
      const started = performance.now();
      for (const body of bodies) {
        const answer = await expectStatus<{ cleared: number }>(
          await bank.request('POST', '/v1/purse/clearings', {
            token: shop.apiKey,
            rawBody: body,
          }),
          200,
        );
        if (answer.cleared !== 1000) throw new Error(`cleared ${answer.cleared} of 1000`);
      }
      rates.push(3000 / ((performance.now() - started) / 1000));
    }
    const invariants = await running.ctx.store.checkInvariants();
    if (!invariants.ok) throw new Error(`books do not balance: ${invariants.problems.join('; ')}`);

    return {
      'purse.pay_ms': { value: percentile(payMs, 0.5), unit: 'ms' },
      'purse.pay_p90_ms': { value: percentile(payMs, 0.9), unit: 'ms' },
      'purse.pay_min_ms': { value: Math.min(...payMs), unit: 'ms' },
      'purse.pay_max_ms': { value: Math.max(...payMs), unit: 'ms' },
      'bank.purse_clear_per_s': { value: percentile(rates, 0.5), unit: 'proofs/s' },
      'bank.purse_clear_min_per_s': { value: Math.min(...rates), unit: 'proofs/s' },
      'bank.purse_clear_max_per_s': { value: Math.max(...rates), unit: 'proofs/s' },
    };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}
