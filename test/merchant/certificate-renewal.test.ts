/**
 * Certificate renewal against the real bank (its Hono app over SQLite, bank/src/bank.fixture.ts)
 * served on a loopback port, so `registerWithBank` goes over HTTP with the global `fetch`. The
 * bank and the merchant share a clock the test moves: the bank issues 30-day certificates and
 * does not let a test shorten them, so time is moved instead of waited for.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  day,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestMerchant,
} from '@farthing/bank/bank.fixture';
import type { CertificateRenewal } from '@farthing/merchant-sdk/server/certificate-renewal';
import { createMerchant, type Merchant } from '@farthing/merchant-sdk/server/merchant';
import {
  type RegisterWithBankReturnType,
  registerWithBank,
} from '@farthing/merchant-sdk/server/registration';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { toBase64url } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import { getRequestListener } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/** How `vi.waitUntil` polls here. */
const polling = { timeout: 5_000, interval: 5 };

const origin = 'https://shop.example';
const offerKey = new Uint8Array(32).fill(0x52);

let bank: TestBank;
let server: Server;
let bankUrl: string;
let shop: TestMerchant;
let kiosk: TestMerchant;
const open: { merchants: Merchant[]; renewals: CertificateRenewal[] } = {
  merchants: [],
  renewals: [],
};

/** The bank's app behind a real socket. */
function serveOnLoopback(app: TestBank['app']): Promise<Server> {
  const listening = createServer(getRequestListener(app.fetch));
  return new Promise((resolve) => listening.listen(0, '127.0.0.1', () => resolve(listening)));
}

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
  server = await serveOnLoopback(bank.app);
  bankUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  shop = await openMerchant(bank, 'shop');
  kiosk = await openMerchant(bank, 'kiosk');
}, 60_000);

afterEach(async () => {
  for (const renewal of open.renewals.splice(0)) renewal.stop();
  await Promise.all(open.merchants.splice(0).map((merchant) => merchant.close()));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await bank?.close();
});

function register(
  account: TestMerchant = shop,
  key: Uint8Array = offerKey,
): Promise<RegisterWithBankReturnType> {
  return registerWithBank({
    bankUrl,
    apiKey: account.apiKey,
    merchantId: account.name,
    name: `Merchant ${account.name}`,
    origins: [origin],
    offerKey: key,
    now: () => bank.clock.now,
  });
}

function merchantWith(chain: RegisterWithBankReturnType): Merchant {
  const merchant = createMerchant({
    merchantId: 'shop',
    name: 'Merchant shop',
    origins: [origin],
    offerKey,
    certificateChain: chain.pem,
    bank: { url: bankUrl, apiKey: shop.apiKey },
    prices: [{ path: '/articles/:slug', price: 'EUR 0.05' }],
    store: new MemoryMerchantStore(),
    now: () => bank.clock.now,
  });
  open.merchants.push(merchant);
  return merchant;
}

function keep(merchant: Merchant, options: Parameters<Merchant['keepCertificateRenewed']>[0]) {
  const renewal = merchant.keepCertificateRenewed(options);
  open.renewals.push(renewal);
  return renewal;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function codeOf(error: unknown): string | undefined {
  return isFarthingError(error) ? error.code : undefined;
}

/** The served chain as a wallet checks it (x509/merchant-certificate.ts), at `now`. */
function walletAccepts(merchant: Merchant, now: number): string {
  const chain = merchant.descriptor().certificateChain.map((der) => Buffer.from(der, 'base64url'));
  return verifyMerchantCertificate({
    chain: chain.slice(0, 1),
    trustedRoots: [chain[1]!],
    origin,
    now,
    ed25519Verify: nodeEd25519Verify,
  }).serialNumber;
}

describe('replaceCertificate', () => {
  it('serves a renewed chain in the descriptor and exposes its serial and notAfter', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    expect(merchant.certificate).toEqual({
      serialNumber: first.serialNumber,
      notBefore: expect.any(Number),
      notAfter: first.notAfter,
    });
    bank.clock.now += day;
    const second = await register();
    expect(second.serialNumber).not.toBe(first.serialNumber);

    expect(merchant.replaceCertificate(second.certificateChain)).toBe(merchant.certificate);
    expect(merchant.certificate.serialNumber).toBe(second.serialNumber);
    expect(merchant.certificate.notAfter).toBe(second.notAfter);
    expect(merchant.descriptor().certificateChain).toEqual(
      second.certificateChain.map(toBase64url),
    );
    expect(walletAccepts(merchant, first.notAfter + 1)).toBe(second.serialNumber);
    expect(() => {
      (merchant.certificate as { notAfter: number }).notAfter = 0;
    }).toThrow(TypeError);
  });

  it('refuses a chain for another merchant, another key, an expired or a partial chain, and keeps the old one', async () => {
    const stale = await register();
    bank.clock.now += 31 * day;
    const kioskChain = await register(kiosk);
    const otherKey = await register(shop, randomBytes(32));
    const current = await register();
    const merchant = merchantWith(current);
    const descriptor = merchant.descriptor();

    const refusals: [unknown, string, string][] = [
      [kioskChain.pem, 'invalid_argument', 'certifies merchant "kiosk"'],
      [otherKey.certificateChain, 'invalid_argument', 'certifies another offer key'],
      [stale.pem, 'certificate_expired', ''],
      [stale.certificateChain.slice(0, 1), 'invalid_argument', "the bank's CA"],
      ['not a certificate', 'certificate_invalid', ''],
    ];
    for (const [chain, code, message] of refusals) {
      let thrown: unknown;
      try {
        merchant.replaceCertificate(chain as string);
      } catch (error) {
        thrown = error;
      }
      expect(codeOf(thrown), String(thrown)).toBe(code);
      expect(String(thrown)).toContain(message);
      expect(merchant.certificate.serialNumber).toBe(current.serialNumber);
      expect(merchant.descriptor()).toEqual(descriptor);
    }
  });

  it('judges validity by the merchant clock, as createMerchant does', async () => {
    const merchant = merchantWith(await register());
    bank.clock.now += 2 * day;
    const issued = await register();
    bank.clock.now -= 2 * day;
    // Issued "in the future" for the merchant's clock: not yet valid, refused.
    expect(() => merchant.replaceCertificate(issued.pem)).toThrow(/certificate_not_yet_valid/);
    bank.clock.now += 2 * day;
    expect(merchant.replaceCertificate(issued.pem).serialNumber).toBe(issued.serialNumber);
  });
});

describe('keepCertificateRenewed', () => {
  it('renews once less than a third of the lifetime is left, and serves the new chain', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    let calls = 0;
    const errors: unknown[] = [];
    const renewed: [string, string][] = [];
    keep(merchant, {
      renew: () => {
        calls += 1;
        return register();
      },
      checkIntervalMs: 10,
      onRenewed: (certificate, previous) =>
        renewed.push([previous.serialNumber, certificate.serialNumber]),
      onError: (error) => errors.push(error),
    });
    await pause(60);
    expect(calls).toBe(0);

    // 30 days of validity (plus the bank's hour of clock-skew allowance): 9 days left is due.
    bank.clock.now += 21 * day;
    await vi.waitUntil(() => renewed.length === 1, polling);
    const serial = merchant.certificate.serialNumber;
    expect(serial).not.toBe(first.serialNumber);
    expect(renewed).toEqual([[first.serialNumber, serial]]);
    expect(merchant.certificate.notAfter).toBe(bank.clock.now + 30 * day);
    expect(walletAccepts(merchant, first.notAfter + 1)).toBe(serial);

    // The new certificate is not due: no renewal loop.
    await pause(60);
    expect(calls).toBe(1);
    expect(errors).toEqual([]);
  });

  it('retries a failed renewal with backoff, reports each failure, and serves the old chain meanwhile', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    bank.clock.now += 25 * day;
    const attempts: number[] = [];
    const errors: unknown[] = [];
    keep(merchant, {
      renew: async () => {
        attempts.push(performance.now());
        if (attempts.length <= 3) throw new Error(`bank down ${attempts.length}`);
        return (await register()).pem;
      },
      retryMs: 20,
      checkIntervalMs: 10_000,
      onError: (error) => errors.push(error),
    });
    await vi.waitUntil(() => merchant.certificate.serialNumber !== first.serialNumber, polling);
    expect(attempts).toHaveLength(4);
    expect(errors.map(String)).toEqual([
      'Error: bank down 1',
      'Error: bank down 2',
      'Error: bank down 3',
    ]);
    // 20, 40 and 80 ms between attempts (timers may fire a millisecond early).
    const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
  });

  it('reports certificate_expired after each failure once the certificate has lapsed', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    bank.clock.now = first.notAfter + 1;
    const errors: unknown[] = [];
    keep(merchant, {
      renew: () => Promise.reject(new Error('bank down')),
      retryMs: 10,
      onError: (error) => errors.push(error),
    });
    await vi.waitUntil(() => errors.length >= 4, polling);
    expect(errors.slice(0, 4).map(codeOf)).toEqual([
      undefined,
      'certificate_expired',
      undefined,
      'certificate_expired',
    ]);
    const expired = errors[1] as Error;
    expect(expired.message).toContain(first.serialNumber);
    expect(expired.cause).toBe(errors[0]);
    expect(merchant.certificate.serialNumber).toBe(first.serialNumber);
  });

  it('reports a renewed chain that does not fit, keeps the old one, and tries again', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    bank.clock.now += 25 * day;
    const kioskChain = await register(kiosk);
    const errors: unknown[] = [];
    keep(merchant, {
      renew: async () => kioskChain,
      retryMs: 10,
      onError: (error) => errors.push(error),
    });
    await vi.waitUntil(() => errors.length >= 2, polling);
    expect(errors.slice(0, 2).map(String)).toEqual([
      expect.stringContaining('certifies merchant "kiosk"'),
      expect.stringContaining('certifies merchant "kiosk"'),
    ]);
    expect(merchant.certificate.serialNumber).toBe(first.serialNumber);
  });

  it('reports a renewal that brings no fresher certificate instead of renewing without end', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    bank.clock.now += 25 * day;
    let calls = 0;
    const errors: unknown[] = [];
    keep(merchant, {
      renew: async () => {
        calls += 1;
        return first;
      },
      retryMs: 40,
      onError: (error) => errors.push(error),
    });
    await vi.waitUntil(() => errors.length === 1, polling);
    expect(codeOf(errors[0])).toBe('invalid_argument');
    expect(String(errors[0])).toContain('renewBeforeMs');
    await pause(30);
    expect(calls).toBe(1);
  });

  it('stop() stops, is idempotent, and drops an attempt in progress; close() stops too', async () => {
    const first = await register();
    const merchant = merchantWith(first);
    bank.clock.now += 25 * day;
    let calls = 0;
    let answer: (chain: string) => void = () => {};
    const renewal = keep(merchant, {
      renew: () => {
        calls += 1;
        return new Promise<string>((resolve) => {
          answer = resolve;
        });
      },
      retryMs: 10,
      checkIntervalMs: 10,
    });
    await vi.waitUntil(() => calls === 1, polling);
    expect(() => merchant.keepCertificateRenewed({ renew: register })).toThrow(
      /already kept renewed/,
    );
    renewal.stop();
    renewal.stop();
    answer((await register()).pem);
    await pause(50);
    expect(calls).toBe(1);
    expect(merchant.certificate.serialNumber).toBe(first.serialNumber);

    // Stopped, a new schedule may start; close() ends it.
    let failures = 0;
    merchant.keepCertificateRenewed({
      renew: () => Promise.reject(new Error('bank down')),
      retryMs: 10,
      onError: () => {
        failures += 1;
      },
    });
    await vi.waitUntil(() => failures === 1, polling);
    await merchant.close();
    await pause(50);
    expect(failures).toBe(1);
  });

  it('refuses options that cannot work', async () => {
    const merchant = merchantWith(await register());
    const renew = register;
    for (const options of [
      { renew, renewBeforeMs: 31 * day },
      { renew, retryMs: 0 },
      { renew, checkIntervalMs: 1.5 },
      { renew: 'register' },
    ]) {
      expect(() =>
        merchant.keepCertificateRenewed(
          options as Parameters<Merchant['keepCertificateRenewed']>[0],
        ),
      ).toThrow(/invalid_argument/);
    }
  });
});
