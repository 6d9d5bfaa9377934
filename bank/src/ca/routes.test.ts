/**
 * Merchant identity over the bank's HTTP API: the published CA certificate, registration with
 * proof of possession, the checks that keep a merchant to its own id and name, and a CA that
 * stays the same across restarts. The fixture bank trusts loopback origins unproven
 * (`unproven` development mode); proving origins is origin-routes.test.ts's subject.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { isFarthingError } from '@farthing/protocol/errors';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { verifyMerchantCertificate } from '@farthing/protocol/x509/merchant-certificate';
import {
  type MerchantRegistrationWire,
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectProblem,
  expectStatus,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestMerchant,
} from '../bank.fixture.ts';

interface PublishedCa {
  name: string;
  notBefore: number;
  notAfter: number;
  sha256: string;
  der: string;
  pem: string;
}

interface CertificateView {
  serialNumber: string;
  merchantId: string;
  name: string;
  origins: string[];
  offerPublicKey: string;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  chain: string[];
  pem: string;
}

const offerSigner = ed25519Signer(new Uint8Array(32).fill(0x4d));
const origins = ['http://localhost:8701', 'http://127.0.0.1:8701'];

async function registration(
  bank: TestBank,
  merchant: TestMerchant,
  overrides: Partial<{ merchantId: string; name: string; origins: string[]; bankId: string }> & {
    createdAt?: number;
  } = {},
): Promise<MerchantRegistrationWire> {
  const signed = await signMerchantRegistration(
    {
      merchantId: merchant.name,
      name: `Merchant ${merchant.name}`,
      origins,
      bankId: bank.ctx.config.bankId,
      createdAt: bank.clock.now,
      ...overrides,
    },
    offerSigner,
  );
  return merchantRegistrations.signedToWire(signed);
}

function register(
  bank: TestBank,
  merchant: TestMerchant,
  body: unknown,
  idempotencyKey?: string,
): Promise<Response> {
  return bank.request('POST', '/v1/merchants/me/certificates', {
    token: merchant.apiKey,
    body,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
}

function verificationError(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isFarthingError(error) ? error.code : String(error);
  }
}

let bank: TestBank;
let shop: TestMerchant;

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
  shop = await openMerchant(bank, 'shop');
});

afterAll(() => bank.close());

describe('GET /v1/ca/certificate', () => {
  it('publishes a cacheable CA certificate named after the bank', async () => {
    const response = await bank.request('GET', '/v1/ca/certificate');
    const published = await expectStatus<PublishedCa>(response, 200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(published.name).toBe('farthing-bank Merchant CA');
    expect(fromBase64url(published.der)).toEqual(bank.ctx.ca.certificate);
    expect(published.pem).toBe(bank.ctx.ca.certificatePem);
    expect(published.notAfter - published.notBefore).toBeGreaterThanOrEqual(3650 * 86_400_000);

    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const revalidated = await bank.app.request('/v1/ca/certificate', {
      headers: { 'if-none-match': `"other", ${etag}` },
    });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });
});

describe('POST /v1/merchants/me/certificates', () => {
  it('certifies the offer key for the origins; the wallet verifies it against the published CA', async () => {
    const body = await registration(bank, shop);
    const view = await expectStatus<CertificateView>(await register(bank, shop, body), 201);
    expect(view).toMatchObject({
      merchantId: 'shop',
      name: 'Merchant shop',
      origins,
      offerPublicKey: body.offerPublicKey,
    });
    const published = await expectStatus<PublishedCa>(
      await bank.request('GET', '/v1/ca/certificate'),
      200,
    );
    expect(view.chain[1]).toBe(published.der);

    for (const chain of [view.chain.map((der) => fromBase64url(der)), view.pem]) {
      const verified = verifyMerchantCertificate({
        chain,
        trustedRoots: [published.pem],
        origin: 'http://127.0.0.1:8701',
        now: bank.clock.now,
        ed25519Verify: nodeEd25519Verify,
      });
      expect(verified.merchantId).toBe('shop');
      expect(verified.name).toBe('Merchant shop');
      expect(verified.offerPublicKey).toEqual(offerSigner.publicKey);
      expect(verified.serialNumber).toBe(view.serialNumber);
      expect(verified.notAfter).toBe(view.notAfter);
      expect(verified.issuerName).toBe(published.name);
    }
    expect(
      verificationError(() =>
        verifyMerchantCertificate({
          chain: view.pem,
          trustedRoots: [published.pem],
          origin: 'http://localhost:8702',
          now: bank.clock.now,
        }),
      ),
    ).toBe('certificate_origin_mismatch');

    const listed = await expectStatus<{ certificates: CertificateView[] }>(
      await bank.request('GET', '/v1/merchants/me/certificates', { token: shop.apiKey }),
      200,
    );
    expect(listed.certificates).toContainEqual(view);
  });

  it('answers a retry with the same certificate, and refuses the key for another request', async () => {
    const body = await registration(bank, shop);
    const first = await expectStatus<CertificateView>(
      await register(bank, shop, body, 'reg-1'),
      201,
    );
    const again = await expectStatus<CertificateView>(
      await register(bank, shop, body, 'reg-1'),
      201,
    );
    expect(again).toEqual(first);

    const other = await registration(bank, shop, { origins: ['http://localhost:9999'] });
    const reused = await expectProblem(await register(bank, shop, other, 'reg-1'), 422);
    expect(reused.code).toBe('idempotency_key_reused');

    const missing = await bank.request('POST', '/v1/merchants/me/certificates', {
      token: shop.apiKey,
      body,
      idempotencyKey: null,
    });
    expect((await expectProblem(missing, 428)).code).toBe('idempotency_key_missing');
  });

  it.each([
    ['another merchant id', 'merchant_mismatch', { merchantId: 'someone-else' }],
    ['a name the bank does not know the merchant by', 'merchant_mismatch', { name: 'PayPal' }],
    ['another bank', 'registration_wrong_bank', { bankId: 'other-bank' }],
    ['a stale request', 'registration_stale', { createdAt: Date.UTC(2025, 11, 31, 23, 50) }],
    ['a request dated ahead', 'registration_stale', { createdAt: Date.UTC(2026, 0, 1, 0, 5) }],
  ] as const)('refuses %s with %s, issuing nothing', async (_, code, overrides) => {
    const before = await bank.store.listMerchantCertificates(shop.id);
    const body = await registration(bank, shop, overrides);
    expect((await expectProblem(await register(bank, shop, body), 400)).code).toBe(code);
    expect(await bank.store.listMerchantCertificates(shop.id)).toHaveLength(before.length);
  });

  it('refuses a request the offer key did not sign', async () => {
    const signed = await registration(bank, shop);
    // The merchant's key signed one list of origins; the request asks for another.
    const tampered = { ...signed, origins: ['https://attacker.example'] };
    expect((await expectProblem(await register(bank, shop, tampered), 400)).code).toBe(
      'bad_signature',
    );
    const signature = fromBase64url(signed.signature);
    signature[0]! ^= 1;
    const flipped = { ...signed, signature: Buffer.from(signature).toString('base64url') };
    expect((await expectProblem(await register(bank, shop, flipped), 400)).code).toBe(
      'bad_signature',
    );
  });

  it('refuses malformed requests with the field named', async () => {
    const body = await registration(bank, shop);
    const cases: [unknown, string, string][] = [
      [{ ...body, version: 2 }, 'unsupported_version', 'version'],
      [{ ...body, origins: ['ftp://shop.example'] }, 'invalid_message', 'origins.0'],
      [{ ...body, origins: ['https://shop.example/path'] }, 'invalid_message', 'origins.0'],
      [{ ...body, origins: [] }, 'invalid_message', 'origins'],
      [{ ...body, extra: true }, 'invalid_message', 'extra'],
    ];
    for (const [request, code, field] of cases) {
      const problem = await expectProblem(await register(bank, shop, request), 400);
      expect([problem.code, problem.field]).toEqual([code, field]);
    }
  });

  it('needs a merchant API key', async () => {
    const body = await registration(bank, shop);
    const anonymous = await bank.request('POST', '/v1/merchants/me/certificates', { body });
    expect((await expectProblem(anonymous, 401)).code).toBe('unauthorized');
    const customer = await openCustomer(bank, 'carol', 0);
    const asCustomer = await bank.request('POST', '/v1/merchants/me/certificates', {
      token: customer.token,
      body,
    });
    expect((await expectProblem(asCustomer, 401)).code).toBe('unauthorized');
    const list = await bank.request('GET', '/v1/merchants/me/certificates');
    expect((await expectProblem(list, 401)).code).toBe('unauthorized');
  });

  it("lists only the calling merchant's certificates", async () => {
    const other = await openMerchant(bank, 'other-shop');
    const listed = await expectStatus<{ certificates: CertificateView[] }>(
      await bank.request('GET', '/v1/merchants/me/certificates', { token: other.apiKey }),
      200,
    );
    expect(listed.certificates).toEqual([]);
  });
});

describe('a bank on a public URL', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'farthing-ca-'));
    env = { FARTHING_BANK_DB: join(dir, 'bank.sqlite'), FARTHING_BANK_URL: 'https://bank.example' };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its CA and certificates across a restart', async () => {
    const first = await openTestBank({ coinValues: [1], env });
    let published: PublishedCa;
    let issued: CertificateView;
    try {
      const merchant = await openMerchant(first, 'shop');
      const body = await registration(first, merchant, { origins: ['http://localhost:8701'] });
      issued = await expectStatus<CertificateView>(await register(first, merchant, body), 201);
      published = await expectStatus<PublishedCa>(
        await first.request('GET', '/v1/ca/certificate'),
        200,
      );
    } finally {
      await first.close();
    }

    const second = await openTestBank({ coinValues: [1], env });
    try {
      const again = await expectStatus<PublishedCa>(
        await second.request('GET', '/v1/ca/certificate'),
        200,
      );
      expect(again).toEqual(published);
      expect(second.ctx.ca.certificate).toEqual(fromBase64url(published.der));

      const merchant = (await second.store.getAccountByName('shop'))!;
      const kept = await second.store.listMerchantCertificates(merchant.id);
      expect(kept.map((record) => record.serial)).toEqual([issued.serialNumber]);
      const verified = verifyMerchantCertificate({
        chain: issued.pem,
        trustedRoots: [again.pem],
        origin: 'http://localhost:8701',
        now: second.clock.now,
      });
      expect(verified.serialNumber).toBe(issued.serialNumber);
    } finally {
      await second.close();
    }
  });
});
