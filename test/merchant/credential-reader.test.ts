import { commitToVendor } from '@farthing/bank/broker/broker.fixture';
import { resolveConfig } from '@farthing/merchant-sdk/server/config';
import { CredentialReader } from '@farthing/merchant-sdk/server/credential-reader';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { OfferBook } from '@farthing/merchant-sdk/server/offers';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { amount } from '@farthing/protocol/amount';
import {
  type Credential,
  type CredentialWire,
  credentialToWire,
  decodeCredential,
  encodeCredential,
} from '@farthing/protocol/credential';
import { catchFarthingError } from '@farthing/protocol/errors.fixture';
import { offerHash } from '@farthing/protocol/offer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ecashCredential,
  offerOf,
  openShop,
  openShopWorld,
  type PaywordWallet,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
  withdraw,
} from './merchant.fixture.ts';

let world: ShopWorld;
let merchant: Merchant;
let wallet: PaywordWallet;
let reader: CredentialReader;

beforeAll(async () => {
  world = await openShopWorld();
  const config = resolveConfig(world.config(new MemoryMerchantStore()));
  merchant = openShop(world, new MemoryMerchantStore());
  reader = new CredentialReader(config, new OfferBook(config));
  wallet = await paywordWallet(world);
});
afterAll(() => world.close());

const bytesOf = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

/** Reads and checks; the code of the refusal, or the parse. */
function read(bytes: Uint8Array) {
  const parsed = reader.parse(bytes);
  reader.check(parsed);
  return parsed;
}

describe('the credential reader', () => {
  it('reads a known offer’s PayWord credential exactly as decodeCredential does', async () => {
    const offer = await offerOf(merchant, '/articles/r');
    const first = read(encodeCredential(paywordCredential(offer, wallet, 5, true)));
    expect(first.known).toBe(false);
    for (const [index, firstUse] of [
      [10, false],
      [15, true],
    ] as const) {
      const bytes = encodeCredential(paywordCredential(offer, wallet, index, firstUse));
      const fast = read(bytes);
      expect(fast.known).toBe(true);
      expect(fast.credential).toEqual(decodeCredential(bytes));
      expect(fast.hash).toEqual(offerHash(offer));
    }
  });

  it('falls back to the full parse, and its codes, for anything unusual', async () => {
    const offer = await offerOf(merchant, '/articles/u');
    const wire = credentialToWire(paywordCredential(offer, wallet, 5, false)) as Extract<
      CredentialWire,
      { type: 'payword' }
    >;
    read(bytesOf(wire));
    const cases: unknown[] = [
      { ...wire, extra: 1 },
      { ...wire, version: 2 },
      { ...wire, payment: { ...wire.payment, index: 0 } },
      { ...wire, payment: { ...wire.payment, word: 'AA' } },
      { ...wire, payment: { ...wire.payment, more: true } },
    ];
    for (const json of cases) {
      const bytes = bytesOf(json);
      const expected = catchFarthingError(() => decodeCredential(bytes));
      const error = catchFarthingError(() => read(bytes));
      expect(error.code).toBe(expected.code);
      expect(error.message).toBe(expected.message);
      expect(error.details).toEqual(expected.details);
    }
  });

  it('checks freshness and the commitment’s vendor again for a known offer', async () => {
    const offer = await offerOf(merchant, '/articles/k');
    read(encodeCredential(paywordCredential(offer, wallet, 5, false)));
    const chain = await commitToVendor(wallet.wallet, 'kiosk', {
      length: 10,
      valuePerWord: amount('EUR', 1),
      createdAt: world.bank.clock.now,
    });
    const foreign = encodeCredential(paywordCredential(offer, { ...wallet, chain }, 1, true));
    expect(catchFarthingError(() => read(foreign)).code).toBe('payword_vendor_mismatch');
    world.bank.clock.now += 16 * 60_000;
    try {
      const late = encodeCredential(paywordCredential(offer, wallet, 10, false));
      expect(reader.parse(late).known).toBe(true);
      expect(catchFarthingError(() => read(late)).code).toBe('offer_expired');
    } finally {
      world.bank.clock.now -= 16 * 60_000;
    }
  });

  it('remembers neither e-cash offers nor offers that failed their check', async () => {
    const offer = await offerOf(merchant, '/articles/e');
    const ecash: Credential = ecashCredential(offer, await withdraw(world, [5]));
    read(encodeCredential(ecash));
    expect(reader.parse(encodeCredential(paywordCredential(offer, wallet, 5, false))).known).toBe(
      false,
    );
    const tampered = { ...(await offerOf(merchant, '/articles/t')), amount: amount('EUR', 1) };
    const bytes = encodeCredential(paywordCredential(tampered, wallet, 5, false));
    expect(catchFarthingError(() => read(bytes)).code).toBe('bad_signature');
    expect(reader.parse(bytes).known).toBe(false);
  });
});
