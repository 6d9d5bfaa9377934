import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { PurseCardClient } from '@farthing/protocol/purse/card-client';
import { purseLoadRequests } from '@farthing/protocol/purse/load';
import { purseProofs } from '@farthing/protocol/purse/proof';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestIssuer, type TestIssuer } from '../test-issuer.ts';
import { type CardHolderInterface, manufactureCard, PurseApplet } from './applet.ts';
import { CardStorage } from './storage.ts';

const eur = (minor: number) => amount('EUR', minor);
const cardId = '0a0b0c0d0e0f1011';

let dir: string;
let issuer: TestIssuer;
let answer = true;
const holder: CardHolderInterface = { confirmPayment: async () => answer };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purse-card-'));
  issuer = await makeTestIssuer();
  answer = true;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function card(personalise = true) {
  const storage = new CardStorage(join(dir, 'card.bin'));
  await manufactureCard(storage, { cardId, secretKey: new Uint8Array(32).fill(0xc1) });
  const applet = await PurseApplet.powerOn(storage);
  const client = new PurseCardClient((apdu) => applet.process(apdu, holder));
  const info = await client.select();
  if (personalise) {
    await client.personalise({
      certificate: await issuer.certifyCard(info.cardId, info.publicKey),
      issuerRoot: issuer.root,
      issuerLoadKey: issuer.loadSigner.publicKey,
      pin: '1234',
      maximum: eur(20000),
    });
  }
  return { storage, applet, client, info };
}

async function loaded(minor: number) {
  const c = await card();
  await c.client.verifyPin('1234');
  const { request } = await c.client.loadRequest(eur(minor));
  await c.client.load(await issuer.authorizeLoad(cardId, request.loadCounter, eur(minor)));
  return c;
}

const pay = (client: PurseCardClient, minor: number, tno: number) =>
  issuer.challenge(minor, tno).then((ch) => client.pay(ch, [issuer.merchantCertificate]));

describe('purse applet', () => {
  it('starts blank and refuses money commands until personalised', async () => {
    const { client, info } = await card(false);
    expect(info).toMatchObject({ cardId, state: 'blank' });
    await expect(client.balance()).rejects.toMatchObject({ code: 'purse_not_personalised' });
  });

  it('takes a certificate only for its own key, and personalisation only once', async () => {
    const { client, info } = await card(false);
    const other = await issuer.certifyCard(cardId, issuer.merchantSigner.publicKey);
    const base = {
      issuerRoot: issuer.root,
      issuerLoadKey: issuer.loadSigner.publicKey,
      pin: '1234',
      maximum: eur(20000),
    };
    await expect(client.personalise({ ...base, certificate: other })).rejects.toMatchObject({
      code: 'purse_wrong_card',
    });
    const own = await issuer.certifyCard(cardId, info.publicKey);
    expect((await client.personalise({ ...base, certificate: own })).state).toBe('active');
    await expect(client.personalise({ ...base, certificate: own })).rejects.toMatchObject({
      code: 'purse_already_personalised',
    });
  });

  it('signs a load request only after the PIN, and loads the issuer authorization once', async () => {
    const { client, info } = await card();
    await expect(client.loadRequest(eur(2000))).rejects.toMatchObject({
      code: 'purse_pin_required',
    });
    await client.verifyPin('1234');
    const { request } = await client.loadRequest(eur(2000));
    purseLoadRequests.verify(request, info.publicKey, nobleEd25519Verify);
    expect(request).toMatchObject({ cardId, loadCounter: 0, amount: eur(2000) });
    const authorization = await issuer.authorizeLoad(cardId, 0, eur(2000));
    expect(await client.load(authorization)).toEqual({ balance: eur(2000), loadCounter: 1 });
    await expect(client.load(authorization)).rejects.toMatchObject({ code: 'purse_load_replayed' });
    expect((await client.balance()).balance).toEqual(eur(2000));
  });

  it('refuses a load authorization for another card or not signed by the issuer', async () => {
    const { client } = await card();
    await expect(
      client.load(await issuer.authorizeLoad('ffffffffffffffff', 0, eur(100))),
    ).rejects.toMatchObject({ code: 'purse_wrong_card' });
    const forged = await issuer.authorizeLoad(cardId, 0, eur(100));
    forged[forged.length - 1]! ^= 1;
    await expect(client.load(forged)).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('refuses a load over the EUR 200.00 maximum', async () => {
    const { client } = await loaded(15000);
    await client.verifyPin('1234');
    await expect(client.loadRequest(eur(5001))).rejects.toMatchObject({
      code: 'purse_over_maximum',
    });
    await expect(
      client.load(await issuer.authorizeLoad(cardId, 1, eur(5001))),
    ).rejects.toMatchObject({ code: 'purse_over_maximum' });
    await client.load(await issuer.authorizeLoad(cardId, 1, eur(5000)));
    expect((await client.balance()).balance).toEqual(eur(20000));
  });

  it('blocks after three wrong PINs, counting tries across power cycles', async () => {
    const { client, storage } = await card();
    await expect(client.verifyPin('0000')).rejects.toMatchObject({
      code: 'purse_pin_wrong',
      details: { triesLeft: 2 },
    });
    await client.verifyPin('1234'); // a right PIN restores the tries
    await expect(client.verifyPin('0000')).rejects.toMatchObject({ details: { triesLeft: 2 } });
    const again = await PurseApplet.powerOn(storage);
    const after = new PurseCardClient((apdu) => again.process(apdu, holder));
    await expect(after.verifyPin('0000')).rejects.toMatchObject({ details: { triesLeft: 1 } });
    await expect(after.verifyPin('0000')).rejects.toMatchObject({ code: 'purse_pin_blocked' });
    await expect(after.verifyPin('1234')).rejects.toMatchObject({ code: 'purse_pin_blocked' });
    expect((await after.select()).state).toBe('pin-blocked');
    await expect(pay(after, 100, 1)).rejects.toMatchObject({ code: 'purse_pin_blocked' });
  });

  it('pays a merchant challenge with a proof the card certificate verifies', async () => {
    const { client, info } = await loaded(2000);
    const { proof } = await pay(client, 250, 77);
    expect(proof).toMatchObject({
      cardId,
      sno: 1,
      merchantId: 'demo-shop',
      tno: 77,
      amount: eur(250),
    });
    purseProofs.verify(proof, info.publicKey);
    expect((await client.balance()).balance).toEqual(eur(1750));
    expect(await client.readLog()).toEqual([
      { type: 'pay', amount: eur(250), sno: 1, merchantId: 'demo-shop', tno: 77, at: issuer.now },
      { type: 'load', amount: eur(2000), loadCounter: 0, at: issuer.now },
    ]);
  });

  it('refuses a payment over the balance, a cancelled one and a replayed challenge, changing nothing', async () => {
    const { client } = await loaded(500);
    await expect(pay(client, 501, 1)).rejects.toMatchObject({ code: 'purse_insufficient_balance' });
    answer = false;
    await expect(pay(client, 100, 2)).rejects.toMatchObject({ code: 'purse_cancelled' });
    answer = true;
    const challenge = await issuer.challenge(100, 3);
    await client.pay(challenge, [issuer.merchantCertificate]);
    await expect(client.pay(challenge, [issuer.merchantCertificate])).rejects.toMatchObject({
      code: 'purse_challenge_replayed',
    });
    expect((await client.balance()).balance).toEqual(eur(400));
    expect((await client.select()).purse?.sno).toBe(1);
  });

  it('signs the proof of a paid challenge again, byte for byte, and no other, moving nothing', async () => {
    const { client } = await loaded(1000);
    const challenge = await issuer.challenge(250, 7);
    const first = await client.pay(challenge, [issuer.merchantCertificate]);
    const again = await client.proofAgain(challenge);
    expect(again.bytes).toEqual(first.bytes);
    expect((await client.balance()).balance).toEqual(eur(750));
    const unpaid = await issuer.challenge(250, 8);
    await expect(client.proofAgain(unpaid)).rejects.toMatchObject({ code: 'purse_proof_unknown' });
    expect((await client.readLog()).filter((e) => e.type === 'pay')).toHaveLength(1);
  });

  it('refuses a challenge dated a day before the issuer time it knows', async () => {
    const { client } = await loaded(500);
    const stale = await issuer.challenge(100, 9, { at: issuer.now - 25 * 3_600_000 });
    await expect(client.pay(stale, [issuer.merchantCertificate])).rejects.toMatchObject({
      code: 'purse_challenge_replayed',
    });
  });

  it('refuses a challenge whose merchant certificate another bank issued', async () => {
    const { client } = await loaded(500);
    const other = await makeTestIssuer(issuer.now, 0xcb);
    const challenge = await other.challenge(100, 1);
    await expect(client.pay(challenge, [other.merchantCertificate])).rejects.toMatchObject({
      code: 'certificate_untrusted',
    });
    expect((await client.balance()).balance).toEqual(eur(500));
  });

  it('keeps only the last 15 transactions in its log', async () => {
    const { client } = await loaded(2000);
    for (let tno = 1; tno <= 16; tno++) await pay(client, 10, tno);
    const log = await client.readLog();
    expect(log).toHaveLength(15);
    expect(log[0]).toMatchObject({ type: 'pay', tno: 16, sno: 16 });
    expect(log.at(-1)).toMatchObject({ type: 'pay', tno: 2 });
  });
});
