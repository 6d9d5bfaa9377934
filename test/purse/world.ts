/**
 * The purse world: the real bank on a loopback port (as `npm run bank` serves it), the emulated
 * reader with a card on its WebSocket (as `npm run reader` serves it), a holder with an account,
 * and a merchant certified by the bank's CA with the SDK's purse desk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus } from '@farthing/bank/bank.fixture';
import { loadConfig } from '@farthing/bank/config';
import { type RunningBank, startBank } from '@farthing/bank/server';
import {
  bankEnv,
  freePort,
  type HttpBank,
  type HttpCustomer,
  type HttpMerchant,
  httpBank,
  openHttpCustomer,
  openHttpMerchant,
} from '@farthing/bank/test/http-bank.fixture';
import { PurseDesk } from '@farthing/merchant-sdk/server/purse';
import { PurseStore } from '@farthing/merchant-sdk/server/purse-store';
import { amount } from '@farthing/protocol/amount';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { manufactureCard, PurseApplet } from '@farthing/reader/card/applet';
import { CardStorage } from '@farthing/reader/card/storage';
import { pressReaderButton, readerDisplay } from '@farthing/reader/device/control-client';
import { type ReaderServer, startReaderServer } from '@farthing/reader/device/server';
import { connectReader, type ReaderConnection } from '@farthing/reader/device/socket-client';
import { vi } from 'vitest';

export interface PurseWorld {
  readonly bank: HttpBank;
  readonly running: RunningBank;
  readonly holder: HttpCustomer;
  readonly shop: HttpMerchant;
  readonly otherShop: HttpMerchant;
  readonly reader: ReaderServer;
  connection: ReaderConnection;
  readonly desk: PurseDesk;
  /** The merchant's purse records (challenges, proofs, clearing outcomes). */
  readonly purseStore: PurseStore;
  readonly caCertificate: Uint8Array;
  /** The merchant's offer key seed and certificate chain (for `createMerchant`). */
  readonly offerSeed: Uint8Array;
  readonly merchantChain: readonly Uint8Array[];
  balance(name: string): Promise<number>;
  /** Presses a reader button through the control API once the reader asks. */
  press(button: 'confirm' | 'cancel'): Promise<string[]>;
  close(): Promise<void>;
}

export async function openPurseWorld(): Promise<PurseWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-purse-'));
  const env = bankEnv(dir, await freePort(), {
    FARTHING_LOG_LEVEL: 'silent',
    FARTHING_MINT_VALUES: '0.01',
    FARTHING_PURSE_REFUND_WINDOW_S: '0',
  });
  vi.stubEnv('FARTHING_MINT_VALUES', env.FARTHING_MINT_VALUES!);
  vi.stubEnv('FARTHING_DEPOSIT_THREADS', '1');
  const running = await startBank(loadConfig(env)).finally(() => vi.unstubAllEnvs());
  const bank = httpBank(running.url, running.ctx.keys.mintMaster.publicKey);
  const holder = await openHttpCustomer(bank, 'holder', 5000);
  const shop = await openHttpMerchant(bank, 'shop');
  const otherShop = await openHttpMerchant(bank, 'other-shop');

  // The merchant registers its offer key with the bank's CA, as the SDK does at first start.
  const offerSeed = randomSecretKey();
  const offerSigner = ed25519Signer(offerSeed);
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
  const caCertificate = chain.at(-1)!;
  const store = new PurseStore(join(dir, 'shop-purse.sqlite'));
  const desk = new PurseDesk({
    merchantId: 'shop',
    signer: offerSigner,
    merchantChain: chain,
    trustedRoots: [caCertificate],
    store,
    bank: { url: running.url, apiKey: shop.apiKey, fetch },
  });

  const cardStorage = new CardStorage(join(dir, 'card.bin'));
  await manufactureCard(cardStorage);
  const reader = await startReaderServer({ applet: await PurseApplet.powerOn(cardStorage) });
  const connection = await connectReader(reader.hidUrl);

  const world: PurseWorld = {
    bank,
    running,
    holder,
    shop,
    otherShop,
    reader,
    connection,
    desk,
    purseStore: store,
    caCertificate,
    offerSeed,
    merchantChain: chain,
    balance: async (name) => (await running.ctx.store.getAccountByName(name))!.balance,
    async press(button) {
      await vi.waitUntil(async () => (await readerDisplay(reader.controlUrl)).waitingForButton, {
        timeout: 10_000,
        interval: 5,
      });
      return (await pressReaderButton(reader.controlUrl, button)).lines;
    },
    async close() {
      await world.connection.close();
      await reader.close();
      store.close();
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/**
 * Issues the world's card to the holder, personalises it with `pin` and loads `minor` with
 * that PIN; returns the card id and certificate.
 */
export async function issueAndLoad(world: PurseWorld, pin: string, minor: number) {
  const card = world.connection.card;
  const blank = await card.select();
  const issued = await expectStatus<Record<string, string>>(
    await world.bank.request('POST', '/v1/purse/cards', {
      token: world.holder.token,
      body: { cardId: blank.cardId, publicKey: toBase64url(blank.publicKey) },
    }),
    201,
  );
  const info = await card.personalise({
    certificate: fromBase64url(issued.certificate!),
    issuerRoot: fromBase64url(issued.issuerRoot!),
    issuerLoadKey: fromBase64url(issued.issuerLoadKey!),
    pin,
    maximum: amount('EUR', 20000),
  });
  await card.verifyPin(pin);
  const { bytes } = await card.loadRequest(amount('EUR', minor));
  const loaded = await expectStatus<{ authorization: string }>(
    await world.bank.request('POST', '/v1/purse/loads', {
      token: world.holder.token,
      body: { loadRequest: toBase64url(bytes) },
    }),
    201,
  );
  await card.load(fromBase64url(loaded.authorization));
  return { cardId: blank.cardId, cardCertificate: info.purse!.certificate };
}
