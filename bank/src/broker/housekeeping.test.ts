import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amount } from '@farthing/protocol/amount';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { balanceOf, expectStatus, openMerchant, type TestBank } from '../bank.fixture.ts';
import { loadConfig } from '../config.ts';
import { startBank } from '../server.ts';
import {
  commitToVendor,
  graceSeconds,
  heldBalance,
  logIn,
  openBrokerTestBank,
  openPaywordCustomer,
  outcomes,
  redeem,
  redemptionItem,
  requestCertificate,
} from './broker.fixture.ts';
import { createBroker } from './broker.ts';
import { issueUserCertificate } from './certificates.ts';

const graceMs = graceSeconds * 1000;

describe('expired PayWord certificates', () => {
  let bank: TestBank;

  beforeEach(async () => {
    bank = await openBrokerTestBank();
  });

  afterEach(async () => {
    const report = await bank.store.checkInvariants();
    expect(report.problems).toEqual([]);
    await bank.close();
  });

  it('stay redeemable during the grace period, then refuse redemption and give the rest back', async () => {
    const alice = await openPaywordCustomer(bank, 'alice', 2_000);
    const shop = await openMerchant(bank, 'shop');
    const wallet = await requestCertificate(bank, alice, 'EUR 5.00', 86_400);
    const { expiresAt, serial } = wallet.certificate;
    const chain = await commitToVendor(wallet, shop.name, {
      length: 100,
      valuePerWord: amount('EUR', 1),
      createdAt: bank.clock.now,
    });
    await redeem(bank, shop, [redemptionItem(chain, 4)]);

    // After expiry, within the grace period: the vendor's late batch is still paid.
    bank.clock.now = expiresAt + 1_000;
    expect((await redeem(bank, shop, [redemptionItem(chain, 6)])).paid).toBe('EUR 0.02');
    expect(
      await bank.store.releasePaywordHolds({
        expiredBefore: bank.clock.now - graceMs,
        now: bank.clock.now,
      }),
    ).toBe(0);

    // Past the grace period: refused, nothing changed.
    bank.clock.now = expiresAt + graceMs;
    const before = { alice: await balanceOf(bank, 'alice'), shop: await balanceOf(bank, 'shop') };
    const late = await redeem(bank, shop, [redemptionItem(chain, 9)]);
    expect(outcomes(late)).toEqual(['payword_certificate_expired']);
    expect(late.redemptions[0]!.problem).toMatchObject({ status: 410 });
    expect({ alice: await balanceOf(bank, 'alice'), shop: await balanceOf(bank, 'shop') }).toEqual(
      before,
    );

    // Housekeeping returns the unredeemed EUR 4.94: the customer paid exactly six paywords.
    bank.clock.now += 1;
    const released = await bank.store.releasePaywordHolds({
      expiredBefore: bank.clock.now - graceMs,
      now: bank.clock.now,
    });
    expect(released).toBe(1);
    expect(await balanceOf(bank, 'alice')).toBe(2_000 - 6);
    expect(await balanceOf(bank, 'shop')).toBe(6);
    expect(await heldBalance(bank)).toBe(0);
    const status = await expectStatus(
      await bank.request('GET', `/v1/broker/certificates/${serial}`, {
        token: await logIn(bank, 'alice'),
      }),
      200,
    );
    expect(status).toMatchObject({
      released: true,
      releasedAt: bank.clock.now,
      redeemed: 'EUR 0.06',
      remaining: 'EUR 0.00',
    });
    expect(
      await bank.store.releasePaywordHolds({
        expiredBefore: bank.clock.now - graceMs,
        now: bank.clock.now,
      }),
    ).toBe(0);
    expect(outcomes(await redeem(bank, shop, [redemptionItem(chain, 9)]))).toEqual([
      'payword_certificate_expired',
    ]);
  });

  it('releases only certificates whose redemption window has closed', async () => {
    const alice = await openPaywordCustomer(bank, 'alice', 2_000);
    const short = await requestCertificate(bank, alice, 'EUR 3.00', 60);
    await requestCertificate(bank, alice, 'EUR 2.00');
    bank.clock.now = short.certificate.expiresAt + graceMs + 1;
    expect(
      await bank.store.releasePaywordHolds({
        expiredBefore: bank.clock.now - graceMs,
        now: bank.clock.now,
      }),
    ).toBe(1);
    expect(await balanceOf(bank, 'alice')).toBe(1_800);
    expect(await heldBalance(bank)).toBe(200);
  });
});

describe('the running bank', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('releases expired holds from its periodic housekeeping', async () => {
    // Only the clock and the interval are faked: the group commit still runs on setImmediate.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    // One coin value: the mint generates an RSA-2048 key for each on first start.
    vi.stubEnv('FARTHING_MINT_VALUES', '0.01');
    const dir = mkdtempSync(join(tmpdir(), 'farthing-housekeeping-'));
    const config = loadConfig({
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_PORT: '0',
      FARTHING_LOG_LEVEL: 'silent',
      FARTHING_SEED_DEMO: '0',
      FARTHING_PAYWORD_GRACE_S: String(graceSeconds),
    });
    const running = await startBank(config);
    try {
      const { store } = running.ctx;
      const now = Date.now();
      const account = await store.createAccount(
        { kind: 'customer', name: 'carol', displayName: 'Carol', currency: 'EUR', now },
        (record) => record,
      );
      await store.issueFunds({ accountId: account.id, amount: 1_000, reference: 'test', now });
      const certificate = await issueUserCertificate(createBroker(running.ctx), {
        account: (await store.getAccount(account.id))!,
        userPublicKey: new Uint8Array(32).fill(3),
        creditLimit: amount('EUR', 400),
        validForSeconds: 60,
      });
      expect((await store.getAccount(account.id))!.balance).toBe(600);

      vi.setSystemTime(certificate.expiresAt + graceMs + 1);
      vi.advanceTimersByTime(60_000);
      for (let turn = 0; turn < 50; turn++) {
        if ((await store.getPaywordCertificate(certificate.serial))!.releasedAt !== undefined)
          break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }

      expect((await store.getPaywordCertificate(certificate.serial))!.releasedAt).toBeDefined();
      expect((await store.getAccount(account.id))!.balance).toBe(1_000);
      expect((await store.checkInvariants()).ok).toBe(true);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
