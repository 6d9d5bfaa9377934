/**
 * Issue 15's "Done when", end to end: a card issued by the real bank and personalised in the
 * emulated reader, loaded with EUR 20 against its PIN, three merchant challenges paid through
 * the reader's WebSocket with the confirm button pressed on its control API (and one cancelled
 * there), the proofs verified offline by the merchant SDK and cleared at the issuer; then the
 * books balance and the card's log matches its shadow account. Refusals at clearing: a proof
 * uploaded twice, one for another merchant, a forged one and one from a blocked card, each
 * with its stable code and no money moved.
 */

import { adminToken, expectProblem, expectStatus } from '@farthing/bank/bank.fixture';
import { type Amount, amount } from '@farthing/protocol/amount';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPurseWorld, type PurseWorld } from './world.ts';

const eur = (minor: number): Amount => amount('EUR', minor);

let world: PurseWorld;
let cardId: string;
let cardCertificate: Uint8Array;
const proofs: Uint8Array[] = [];

beforeAll(async () => {
  world = await openPurseWorld();
});
afterAll(() => world?.close());

async function payThroughReader(minor: number, button: 'confirm' | 'cancel') {
  const challenge = await world.desk.createChallenge(eur(minor));
  const paying = world.connection.card.pay(
    fromBase64url(challenge.challenge),
    challenge.merchantChain.map((der) => fromBase64url(der)),
  );
  // Handled here too: a cancelled payment rejects while the test is still pressing.
  paying.catch(() => undefined);
  const display = await world.press(button);
  return { paying, display, challenge };
}

async function uploadAs(apiKey: string, batch: readonly Uint8Array[]) {
  return expectStatus<{ items: { status: string; code?: string }[]; cleared: number }>(
    await world.bank.request('POST', '/v1/purse/clearings', {
      token: apiKey,
      body: { proofs: batch.map(toBase64url) },
    }),
    200,
  );
}

describe('hardware purse, end to end', () => {
  it('issues a card to the holder and personalises it in the reader', async () => {
    const blank = await world.connection.card.select();
    expect(blank.state).toBe('blank');
    cardId = blank.cardId;
    const issued = await expectStatus<Record<string, string>>(
      await world.bank.request('POST', '/v1/purse/cards', {
        token: world.holder.token,
        body: { cardId, publicKey: toBase64url(blank.publicKey) },
      }),
      201,
    );
    const info = await world.connection.card.personalise({
      certificate: fromBase64url(issued.certificate),
      issuerRoot: fromBase64url(issued.issuerRoot),
      issuerLoadKey: fromBase64url(issued.issuerLoadKey),
      pin: '4711',
      maximum: eur(20000),
    });
    expect(info.state).toBe('active');
    cardCertificate = info.purse!.certificate;
  });

  it('loads EUR 20 with the PIN: account debited, shadow account credited, card credited', async () => {
    const card = world.connection.card;
    await expect(card.verifyPin('0000')).rejects.toMatchObject({ code: 'purse_pin_wrong' });
    await card.verifyPin('4711');
    const { bytes } = await card.loadRequest(eur(2000));
    const loaded = await expectStatus<{ authorization: string }>(
      await world.bank.request('POST', '/v1/purse/loads', {
        token: world.holder.token,
        body: { loadRequest: toBase64url(bytes) },
      }),
      201,
    );
    const authorization = fromBase64url(loaded.authorization);
    expect(await card.load(authorization)).toEqual({ balance: eur(2000), loadCounter: 1 });
    await expect(card.load(authorization)).rejects.toMatchObject({ code: 'purse_load_replayed' });
    expect(await world.balance('holder')).toBe(3000);
    expect(await world.balance(`system:purse-shadow:${cardId}`)).toBe(2000);
  });

  it('pays three challenges confirmed on the reader and refuses one cancelled there', async () => {
    for (const minor of [250, 120]) {
      const { paying, display } = await payThroughReader(minor, 'confirm');
      expect(display[0]).toBe('Confirmed');
      const { bytes } = await paying;
      world.desk.acceptProof({ proof: bytes, cardCertificate });
      proofs.push(bytes);
    }
    const cancelled = await payThroughReader(500, 'cancel');
    expect(cancelled.display[0]).toBe('Cancelled');
    await expect(cancelled.paying).rejects.toMatchObject({ code: 'purse_cancelled' });
    const { paying } = await payThroughReader(75, 'confirm');
    const { bytes } = await paying;
    world.desk.acceptProof({ proof: bytes, cardCertificate });
    proofs.push(bytes);
    expect((await world.connection.card.balance()).balance).toEqual(eur(2000 - 250 - 120 - 75));
  });

  it('clears the proofs at the issuer; the books balance and the card log matches the shadow account', async () => {
    expect(await world.desk.clear()).toEqual({ batches: 1, cleared: 3, rejected: 0 });
    expect(await world.balance('shop')).toBe(445);
    const shadow = await world.balance(`system:purse-shadow:${cardId}`);
    const card = world.connection.card;
    expect(eur(shadow)).toEqual((await card.balance()).balance);
    const log = await card.readLog();
    const loads = log.filter((e) => e.type === 'load').reduce((sum, e) => sum + e.amount.minor, 0);
    const pays = log.filter((e) => e.type === 'pay').reduce((sum, e) => sum + e.amount.minor, 0);
    expect(loads - pays).toBe(shadow);
    expect(log.filter((e) => e.type === 'pay').map((e) => (e.type === 'pay' ? e.sno : 0))).toEqual([
      3, 2, 1,
    ]);
    const report = await world.running.ctx.store.checkInvariants();
    expect(report.problems).toEqual([]);
  });

  it('refuses a proof uploaded twice, one for another merchant, a forged one, moving no money', async () => {
    const before = [await world.balance('shop'), await world.balance('other-shop')];
    const forged = proofs[0]!.slice();
    forged[forged.length - 1]! ^= 0x01;
    const twice = await uploadAs(world.shop.apiKey, [proofs[0]!, forged]);
    expect(twice.items.map((i) => i.code)).toEqual(['purse_proof_duplicate', 'bad_signature']);
    const other = await uploadAs(world.otherShop.apiKey, [proofs[1]!]);
    expect(other.items.map((i) => i.code)).toEqual(['merchant_mismatch']);
    expect([await world.balance('shop'), await world.balance('other-shop')]).toEqual(before);
  });

  it('refuses a proof from a blocked card once its money went back to the holder', async () => {
    const { paying } = await payThroughReader(100, 'confirm');
    const { bytes } = await paying;
    world.desk.acceptProof({ proof: bytes, cardCertificate });
    await expectStatus(
      await world.bank.request('POST', `/v1/purse/cards/${cardId}/block`, {
        token: world.holder.token,
        body: {},
      }),
      200,
    );
    const closed = await expectStatus<{ closed: number }>(
      await world.bank.request('POST', '/v1/admin/purse/close-blocked', { token: adminToken }),
      200,
    );
    expect(closed.closed).toBe(1);
    expect(await world.balance('holder')).toBe(3000 + 2000 - 445);
    const shopBefore = await world.balance('shop');
    expect(await world.desk.clear()).toEqual({ batches: 1, cleared: 0, rejected: 1 });
    expect(world.purseStore.proofs().map((p) => p.outcome)).toEqual([
      'cleared',
      'cleared',
      'cleared',
      'purse_card_blocked',
    ]);
    expect(await world.balance('shop')).toBe(shopBefore);
    const load = await world.bank.request('POST', '/v1/purse/loads', {
      token: world.holder.token,
      body: { loadRequest: toBase64url(new Uint8Array(8)) },
    });
    expect((await expectProblem(load, 400)).code).toBe('invalid_encoding');
    expect((await world.running.ctx.store.checkInvariants()).problems).toEqual([]);
  });
});
