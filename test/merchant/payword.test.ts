/**
 * PayWord payments at the merchant SDK, against every merchant store: paying word by word, the
 * receipt and the durable commit.
 *
 * Long because the same cases run against each store and read best as one list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitToVendor } from '@farthing/bank/broker/broker.fixture';
import type { Merchant } from '@farthing/merchant-sdk/server/merchant';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { SqliteMerchantStore } from '@farthing/merchant-sdk/store/sqlite';
import type {
  RecordPaywordPaymentParameters,
  RecordPaywordPaymentResult,
} from '@farthing/merchant-sdk/store/store';
import { amount } from '@farthing/protocol/amount';
import { type Ed25519Signer, ed25519Sign } from '@farthing/protocol/ed25519';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import { receipts } from '@farthing/protocol/receipt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  offerOf,
  offerSeed,
  openShop,
  openShopWorld,
  type PaywordWallet,
  payRequest,
  paywordCredential,
  paywordWallet,
  type ShopWorld,
  shopOrigin,
} from './merchant.fixture.ts';

let world: ShopWorld;
let merchant: Merchant;
let store: SqliteMerchantStore;
let dir: string;

beforeAll(async () => {
  world = await openShopWorld();
  dir = mkdtempSync(join(tmpdir(), 'farthing-payword-'));
  store = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
  merchant = openShop(world, store);
});
afterAll(async () => {
  await store.close();
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a refused payment must leave as it was. */
async function state(wallet: PaywordWallet) {
  return {
    chain: await store.findPaywordChain(commitmentIdOf(wallet)),
    earnings: await store.earnings(),
  };
}

const commitmentIdOf = (wallet: PaywordWallet) => paywordCommitments.id(wallet.chain.commitment);

async function pay(resource: string, wallet: PaywordWallet, index: number, firstUse = false) {
  const offer = await offerOf(merchant, resource);
  return merchant.pay(payRequest(paywordCredential(offer, wallet, index, firstUse)));
}

async function refused(
  send: () => Promise<Response>,
  wallet: PaywordWallet,
  status: number,
  code: string,
): Promise<void> {
  const before = await state(wallet);
  const response = await send();
  expect(response.status).toBe(status);
  expect(response.headers.get('set-cookie')).toBeNull();
  expect(await response.json()).toMatchObject({ code });
  expect(await state(wallet)).toEqual(before);
}

describe('paying with PayWord', () => {
  it('takes the commitment on first use, then words by chain id, each serving the resource', async () => {
    const wallet = await paywordWallet(world);
    // EUR 0.05 at one cent a word: 5 words per article.
    const first = await pay('/articles/1', wallet, 5, true);
    expect(first.status).toBe(200);
    expect((await first.json()).receipt).toMatchObject({
      instrument: 'payword',
      amount: 'EUR 0.05',
    });
    for (const [article, index] of [
      ['2', 10],
      ['3', 15],
    ] as const) {
      const response = await pay(`/articles/${article}`, wallet, index);
      expect(response.status).toBe(200);
      const served = await merchant.handle(
        new Request(`${shopOrigin}/articles/${article}`, {
          headers: { cookie: cookieFrom(response.headers.get('set-cookie')) },
        }),
      );
      expect(served).toMatchObject({
        action: 'continue',
        paid: { resource: `/articles/${article}` },
      });
    }
    const chain = await store.findPaywordChain(commitmentIdOf(wallet));
    expect(chain).toMatchObject({ lastIndex: 15, redeemedIndex: 0, userId: 'carol' });
    expect(await merchant.earnings()).toContainEqual({
      instrument: 'payword',
      total: amount('EUR', 15),
      payments: 3,
    });
  });

  it('refuses a replayed payword in another credential (payword_replayed)', async () => {
    const wallet = await paywordWallet(world);
    expect((await pay('/articles/r1', wallet, 5, true)).status).toBe(200);
    await refused(() => pay('/articles/r2', wallet, 5), wallet, 409, 'payword_replayed');
    await refused(() => pay('/articles/r2', wallet, 4), wallet, 409, 'payword_replayed');
  });

  it('answers the same credential again with the same receipt', async () => {
    const wallet = await paywordWallet(world);
    const offer = await offerOf(merchant, '/articles/same');
    const credential = paywordCredential(offer, wallet, 5, true);
    const first = await (await merchant.pay(payRequest(credential))).json();
    const again = await merchant.pay(payRequest(credential));
    expect(again.status).toBe(200);
    expect((await again.json()).receipt).toEqual(first.receipt);
    expect((await store.findPaywordChain(commitmentIdOf(wallet)))?.lastIndex).toBe(5);
  });

  it('lets exactly one of two concurrent payments with the same word succeed', async () => {
    const wallet = await paywordWallet(world);
    expect((await pay('/articles/c0', wallet, 5, true)).status).toBe(200);
    const [a, b] = await Promise.all([
      pay('/articles/c1', wallet, 10),
      pay('/articles/c2', wallet, 10),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(await loser.json()).toMatchObject({ code: 'payword_replayed' });
    // Two first uses of one new chain at once: one wins, the other is a replay.
    const fresh = await paywordWallet(world);
    const firsts = await Promise.all([
      pay('/articles/f1', fresh, 5, true),
      pay('/articles/f2', fresh, 5, true),
    ]);
    expect(firsts.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('lets exactly one succeed when two processes share the database', async () => {
    // A second merchant on its own connection to the same file: only the compare-and-swap
    // stands between the two.
    const otherStore = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
    const other = openShop(world, otherStore);
    try {
      const wallet = await paywordWallet(world);
      expect((await pay('/articles/p0', wallet, 5, true)).status).toBe(200);
      const a = paywordCredential(await offerOf(merchant, '/articles/p1'), wallet, 10, false);
      const b = paywordCredential(await offerOf(other, '/articles/p2'), wallet, 10, false);
      const [ra, rb] = await Promise.all([merchant.pay(payRequest(a)), other.pay(payRequest(b))]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      expect((await store.findPaywordChain(commitmentIdOf(wallet)))?.lastIndex).toBe(10);
      expect(await store.earnings()).toEqual(await otherStore.earnings());
    } finally {
      await otherStore.close();
    }
  });

  it('takes the next word after another process moved the chain past what this one remembers', async () => {
    const otherStore = new SqliteMerchantStore({ path: join(dir, 'merchant.db') });
    const other = openShop(world, otherStore);
    try {
      const wallet = await paywordWallet(world);
      expect((await pay('/articles/m1', wallet, 5, true)).status).toBe(200);
      const moved = paywordCredential(await offerOf(other, '/articles/m2'), wallet, 10, false);
      expect((await other.pay(payRequest(moved))).status).toBe(200);
      // This process remembers index 5; the store says 10.
      expect((await pay('/articles/m3', wallet, 15)).status).toBe(200);
      await refused(() => pay('/articles/m4', wallet, 10), wallet, 409, 'payword_replayed');
      expect((await store.findPaywordChain(commitmentIdOf(wallet)))?.lastIndex).toBe(15);
    } finally {
      await otherStore.close();
    }
  });

  it('refuses a chain the broker closed, though this process remembers its state', async () => {
    const wallet = await paywordWallet(world);
    expect((await pay('/articles/c1', wallet, 5, true)).status).toBe(200);
    const id = commitmentIdOf(wallet);
    const batch = await store.openSettlementBatch({
      batchId: 'closing',
      idempotencyKey: 'closing',
      now: Date.now(),
      limit: 256,
    });
    await store.settleSettlementBatch(
      'closing',
      Date.now(),
      batch!.items.map((item) =>
        Buffer.from(item.commitmentId).equals(Buffer.from(id))
          ? { outcome: 'rejected', problemCode: 'forbidden', final: true }
          : { outcome: 'rejected', problemCode: 'unavailable', final: false },
      ),
    );
    await refused(() => pay('/articles/c2', wallet, 10), wallet, 403, 'forbidden');
  });

  it('accepts two quick clicks with successive words, each against the state the other left', async () => {
    const wallet = await paywordWallet(world);
    const first = paywordCredential(await offerOf(merchant, '/articles/s1'), wallet, 5, true);
    const second = paywordCredential(await offerOf(merchant, '/articles/s2'), wallet, 10, true);
    const responses = await Promise.all([
      merchant.pay(payRequest(first)),
      merchant.pay(payRequest(second)),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect((await store.findPaywordChain(commitmentIdOf(wallet)))?.lastIndex).toBe(10);
  });

  it('refuses words that do not make exactly the price (payword_amount_mismatch)', async () => {
    const wallet = await paywordWallet(world);
    expect((await pay('/articles/m0', wallet, 5, true)).status).toBe(200);
    await refused(() => pay('/articles/m1', wallet, 9), wallet, 400, 'payword_amount_mismatch');
    await refused(() => pay('/articles/m1', wallet, 11), wallet, 400, 'payword_amount_mismatch');
  });

  it('refuses a word that does not hash to the last one (payword_mismatch)', async () => {
    const wallet = await paywordWallet(world);
    const other = await paywordWallet(world);
    expect((await pay('/articles/h0', wallet, 5, true)).status).toBe(200);
    const offer = await offerOf(merchant, '/articles/h1');
    const credential = paywordCredential(offer, wallet, 10, false);
    const forged = paywordCredential(offer, other, 10, false);
    if (credential.type !== 'payword' || forged.type !== 'payword') throw new Error('payword');
    const mixed = { ...credential, payment: { ...credential.payment, word: forged.payment.word } };
    await refused(() => merchant.pay(payRequest(mixed)), wallet, 400, 'payword_mismatch');
  });

  it('asks for the commitment of a chain it has not seen (payword_commitment_unknown)', async () => {
    const wallet = await paywordWallet(world);
    await refused(() => pay('/articles/u', wallet, 5), wallet, 409, 'payword_commitment_unknown');
  });

  it('refuses a chain committed to another vendor (payword_vendor_mismatch)', async () => {
    const wallet = await paywordWallet(world);
    const chain = await commitToVendor(wallet.wallet, 'kiosk', {
      length: 100,
      valuePerWord: amount('EUR', 1),
      createdAt: world.bank.clock.now,
    });
    const foreign = { ...wallet, chain };
    await refused(
      () => pay('/articles/v', foreign, 5, true),
      foreign,
      400,
      'payword_vendor_mismatch',
    );
  });

  it('refuses a chain in another currency step (two-cent words for a five-cent price)', async () => {
    const wallet = await paywordWallet(world);
    const chain = await commitToVendor(wallet.wallet, 'shop', {
      length: 100,
      valuePerWord: amount('EUR', 2),
      createdAt: world.bank.clock.now,
    });
    const twoCents = { ...wallet, chain };
    await refused(
      () => pay('/articles/t', twoCents, 3, true),
      twoCents,
      400,
      'payword_amount_mismatch',
    );
    // Ten-cent downloads are five such words.
    expect((await pay('/downloads/t.zip', twoCents, 5, true)).status).toBe(200);
  });

  it('refuses an expired offer and a tampered one, storing nothing', async () => {
    const wallet = await paywordWallet(world);
    const offer = await offerOf(merchant, '/articles/e');
    const credential = paywordCredential(offer, wallet, 5, true);
    world.bank.clock.now += 16 * 60_000;
    try {
      await refused(() => merchant.pay(payRequest(credential)), wallet, 410, 'offer_expired');
    } finally {
      world.bank.clock.now -= 16 * 60_000;
    }
    const tampered = { ...offer, amount: amount('EUR', 1) };
    await refused(
      () => merchant.pay(payRequest(paywordCredential(tampered, wallet, 1, true))),
      wallet,
      400,
      'bad_signature',
    );
    expect(await store.findPaywordChain(commitmentIdOf(wallet))).toBeUndefined();
  });
});

/** A real (test) store whose PayWord commits can be held back or made to fail. */
class HeldStore extends MemoryMerchantStore {
  fail = false;
  #held: (() => void)[] = [];
  #arrived: (() => void) | undefined;

  /** Resolves when the next PayWord write reaches the store. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => {
      this.#arrived = resolve;
    });
  }

  release(): void {
    for (const go of this.#held.splice(0)) go();
  }

  override async recordPaywordPayment(
    p: RecordPaywordPaymentParameters,
  ): Promise<RecordPaywordPaymentResult> {
    this.#arrived?.();
    await new Promise<void>((resolve) => this.#held.push(resolve));
    if (this.fail) throw new Error('disk I/O error');
    return super.recordPaywordPayment(p);
  }
}

describe('the receipt and the durable commit', () => {
  const key = nodeEd25519Signer(offerSeed);
  /** Signatures asked for while `holding` wait for `releaseSignatures`. */
  let holding = false;
  const heldSignatures: (() => void)[] = [];
  const releaseSignatures = () => {
    for (const go of heldSignatures.splice(0)) go();
  };
  const signer: Ed25519Signer = {
    publicKey: key.publicKey,
    sign: async (message) => {
      if (holding) await new Promise<void>((resolve) => heldSignatures.push(resolve));
      return key.sign(message);
    },
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('stores the payment while its receipt is signed, and answers after both', async () => {
    const held = new HeldStore();
    const shop = openShop(world, held, { offerKey: signer });
    const wallet = await paywordWallet(world);
    const credential = paywordCredential(await offerOf(shop, '/articles/h1'), wallet, 5, true);
    holding = true;
    let answered = false;
    try {
      const arrived = held.nextWrite();
      const answer = shop.pay(payRequest(credential)).then((response) => {
        answered = true;
        return response;
      });
      // The write reaches the store with the receipt's signature still outstanding.
      await arrived;
      expect(heldSignatures).toHaveLength(1);
      held.release();
      await tick();
      expect(answered).toBe(false); // stored, not yet signed
      releaseSignatures();
      const response = await answer;
      expect(response.status).toBe(200);
      const receipt = receipts.parse((await response.json()).receipt);
      receipts.checkMerchantSignature(receipt, { merchantPublicKey: key.publicKey });
      holding = false;
      // A retry finds the stored fields and signs them again: the identical receipt.
      const again = await (await shop.pay(payRequest(credential))).json();
      expect(receipts.parse(again.receipt)).toEqual(receipt);
    } finally {
      holding = false;
      releaseSignatures();
    }
  });

  it('signs a late receipt itself once the payment is durable, as the thread would', async () => {
    const held = new HeldStore();
    let signedNow = 0;
    const urgent = {
      ...signer,
      signNow: (message: Uint8Array) => {
        signedNow++;
        return ed25519Sign(message, offerSeed);
      },
    };
    const shop = openShop(world, held, { offerKey: urgent });
    const wallet = await paywordWallet(world);
    const credential = paywordCredential(await offerOf(shop, '/articles/h4'), wallet, 5, true);
    holding = true;
    try {
      const arrived = held.nextWrite();
      const answer = shop.pay(payRequest(credential));
      await arrived;
      expect(signedNow).toBe(0); // not before the commit
      held.release();
      // Answered with the thread's signature still outstanding.
      const response = await answer;
      expect(heldSignatures).toHaveLength(1);
      expect(signedNow).toBe(1);
      expect(response.status).toBe(200);
      const receipt = receipts.parse((await response.json()).receipt);
      receipts.checkMerchantSignature(receipt, { merchantPublicKey: key.publicKey });
      holding = false;
      // The retry's receipt, signed by `sign` over the stored fields, is the same one.
      const again = await (await shop.pay(payRequest(credential))).json();
      expect(receipts.parse(again.receipt)).toEqual(receipt);
    } finally {
      holding = false;
      releaseSignatures();
    }
  });

  it('does not answer before the commit, though the receipt is signed', async () => {
    const held = new HeldStore();
    const shop = openShop(world, held, { offerKey: signer });
    const wallet = await paywordWallet(world);
    const credential = paywordCredential(await offerOf(shop, '/articles/h3'), wallet, 5, true);
    let answered = false;
    const arrived = held.nextWrite();
    const answer = shop.pay(payRequest(credential)).then((response) => {
      answered = true;
      return response;
    });
    await arrived;
    for (let i = 0; i < 5; i++) await tick();
    expect(answered).toBe(false);
    held.release();
    expect((await answer).status).toBe(200);
  });

  it('serves no receipt and no grant when the commit fails, and takes the retry', async () => {
    const held = new HeldStore();
    const shop = openShop(world, held, { offerKey: signer });
    const wallet = await paywordWallet(world);
    const credential = paywordCredential(await offerOf(shop, '/articles/h2'), wallet, 5, true);
    held.fail = true;
    const arrived = held.nextWrite();
    const failed = shop.pay(payRequest(credential));
    await arrived;
    held.release();
    const refusal = await failed;
    expect(refusal.status).toBe(500);
    expect(refusal.headers.get('set-cookie')).toBeNull();
    expect(await refusal.json()).not.toHaveProperty('receipt');
    expect(await held.findPaywordChain(commitmentIdOf(wallet))).toBeUndefined();
    held.fail = false;
    const retried = held.nextWrite();
    const retry = shop.pay(payRequest(credential));
    await retried;
    held.release();
    expect((await retry).status).toBe(200);
  });
});
