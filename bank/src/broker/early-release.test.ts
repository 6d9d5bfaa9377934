import { amount } from '@farthing/protocol/amount';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, expectStatus, openMerchant, type TestBank } from '../bank.fixture.ts';
import {
  commitToVendor,
  graceSeconds,
  heldBalance,
  openBrokerTestBank,
  openPaywordCustomer,
  outcomes,
  redeem,
  redemptionItem,
  requestCertificate,
} from './broker.fixture.ts';

const graceMs = graceSeconds * 1000;

interface CertificateStatus {
  serial: number;
  expiresAt: number;
  redeemableUntil: number;
  remaining: string;
  released: boolean;
}

describe('ending a lost wallet’s PayWord certificate early', () => {
  let bank: TestBank;

  beforeEach(async () => {
    bank = await openBrokerTestBank();
  });

  afterEach(async () => {
    const report = await bank.store.checkInvariants();
    expect(report.problems).toEqual([]);
    await bank.close();
  });

  const end = (token: string, serial: number) =>
    bank.request('POST', `/v1/broker/certificates/${serial}/end`, { token });

  it('keeps honest vendors paid for the grace, then gives the rest back long before the expiry', async () => {
    const alice = await openPaywordCustomer(bank, 'alice', 2_000);
    const shop = await openMerchant(bank, 'shop');
    // A month-long certificate: without ending it, its credit is held for a month and a day.
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00', 30 * 86_400);
    const { serial, expiresAt } = wallet.certificate;
    const chain = await commitToVendor(wallet, shop.name, {
      length: 100,
      valuePerWord: amount('EUR', 1),
      createdAt: bank.clock.now,
    });
    await redeem(bank, shop, [redemptionItem(chain, 3)]);

    const listed = await expectStatus<{ certificates: CertificateStatus[] }>(
      await bank.request('GET', '/v1/broker/certificates', { token: alice.token }),
      200,
    );
    expect(listed.certificates).toMatchObject([{ serial, expiresAt, released: false }]);

    // The wallet is lost: the account ends the certificate now.
    const endedAt = bank.clock.now;
    const ended = await expectStatus<CertificateStatus>(await end(alice.token, serial), 200);
    expect(ended).toMatchObject({ expiresAt: endedAt, redeemableUntil: endedAt + graceMs });
    // Ending again, later, changes nothing (naturally idempotent).
    bank.clock.now += 60_000;
    expect(
      await expectStatus<CertificateStatus>(await end(alice.token, serial), 200),
    ).toMatchObject({ expiresAt: endedAt });

    // A vendor that took words before the end redeems them within the grace: paid.
    expect((await redeem(bank, shop, [redemptionItem(chain, 7)])).paid).toBe('EUR 0.04');
    bank.clock.now = endedAt + graceMs - 1;
    expect(
      await bank.store.releasePaywordHolds({
        expiredBefore: bank.clock.now - graceMs,
        now: bank.clock.now,
      }),
    ).toBe(0);

    // After the grace the housekeeping returns the rest, a month before the certificate's end.
    bank.clock.now = endedAt + graceMs + 1;
    expect(
      await bank.store.releasePaywordHolds({
        expiredBefore: bank.clock.now - graceMs,
        now: bank.clock.now,
      }),
    ).toBe(1);
    expect(bank.clock.now).toBeLessThan(expiresAt);
    expect(await balanceOf(bank, 'alice')).toBe(2_000 - 7);
    expect(await balanceOf(bank, 'shop')).toBe(7);
    expect(await heldBalance(bank)).toBe(0);
    // Nothing is paid from a released certificate: the broker answers it as one it no longer has.
    const late = await redeem(bank, shop, [redemptionItem(chain, 9)]);
    expect(outcomes(late)).toEqual(['not_found']);
    expect(late.paid).toBe('EUR 0.00');
    expect(await balanceOf(bank, 'alice')).toBe(2_000 - 7);
  });

  it('answers another account’s certificate as missing, and changes nothing', async () => {
    const alice = await openPaywordCustomer(bank, 'alice', 1_000);
    const mallory = await openPaywordCustomer(bank, 'mallory', 1_000);
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00', 30 * 86_400);
    const { serial, expiresAt } = wallet.certificate;
    const refused = await end(mallory.token, serial);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { code: string }).code).toBe('not_found');
    expect((await bank.store.getPaywordCertificate(serial))?.expiresAt).toBe(expiresAt);
    expect((await end(alice.token, 999_999)).status).toBe(404);
    expect((await end(alice.token, 0)).status).toBe(404);
    const listed = await expectStatus<{ certificates: unknown[] }>(
      await bank.request('GET', '/v1/broker/certificates', { token: mallory.token }),
      200,
    );
    expect(listed.certificates).toEqual([]);
  });
});
