/**
 * Proving merchant origins before certifying them (RFC 8555 §8.3 in shape) and revoking
 * merchant certificates, over the bank's HTTP API. The bank runs in development mode, so the
 * origins are loopback ports of this test, served by a real HTTP server the bank fetches from.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url } from '@farthing/protocol/encoding';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import {
  merchantRegistrations,
  signMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { merchantRevocationsSigningBytes } from '@farthing/protocol/x509/merchant-revocations';
import {
  type OriginChallengeWire,
  originKeyAuthorization,
} from '@farthing/protocol/x509/origin-challenge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  expectProblem,
  expectStatus,
  openMerchant,
  openTestBank,
  type TestBank,
  type TestMerchant,
} from '../bank.fixture.ts';

/** A site on a loopback port: answers challenges from `answers`, or as `mode` says. */
interface Site {
  readonly origin: string;
  readonly answers: Map<string, string>;
  mode: 'answer' | 'redirect' | 'huge' | 'silent';
  readonly server: Server;
}

async function openSite(): Promise<Site> {
  const answers = new Map<string, string>();
  const site = { answers, mode: 'answer' } as Site & { server: Server; origin: string };
  const server = createServer((request, response) => {
    const token = /^\/\.well-known\/farthing-challenge\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '');
    if (site.mode === 'silent') return; // never answers: the bank's timeout must end it
    if (site.mode === 'redirect') {
      response.writeHead(302, { location: `http://127.0.0.1:1${request.url}` }).end();
      return;
    }
    if (site.mode === 'huge') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1 << 20));
      return;
    }
    const answer = token === null ? undefined : answers.get(token[1]!);
    if (answer === undefined) response.writeHead(404).end('not here');
    else response.writeHead(200, { 'content-type': 'text/plain' }).end(`${answer}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(site, { server, origin: `http://127.0.0.1:${port}` });
}

function closeSite(site: Site): Promise<void> {
  site.server.closeAllConnections();
  return new Promise((resolve) => site.server.close(() => resolve()));
}

const offerSigner = ed25519Signer(new Uint8Array(32).fill(0x4e));

async function challenge(bank: TestBank, merchant: TestMerchant, origin: string) {
  return bank.request('POST', '/v1/merchants/me/origin-challenges', {
    token: merchant.apiKey,
    body: { origin },
  });
}

async function register(bank: TestBank, merchant: TestMerchant, origins: string[]) {
  const signed = await signMerchantRegistration(
    {
      merchantId: merchant.name,
      name: `Merchant ${merchant.name}`,
      origins,
      bankId: bank.ctx.config.bankId,
      createdAt: bank.clock.now,
    },
    offerSigner,
  );
  return bank.request('POST', '/v1/merchants/me/certificates', {
    token: merchant.apiKey,
    body: merchantRegistrations.signedToWire(signed),
  });
}

/** Asks for a challenge, serves its answer on `site`, registers: the SDK's sequence. */
async function proveAndRegister(bank: TestBank, merchant: TestMerchant, site: Site) {
  const issued = await expectStatus<OriginChallengeWire>(
    await challenge(bank, merchant, site.origin),
    201,
  );
  site.answers.set(issued.token, issued.keyAuthorization);
  return register(bank, merchant, [site.origin]);
}

async function revoke(bank: TestBank, serial: string, token: string | null = adminToken) {
  return bank.request('POST', `/v1/admin/merchant-certificates/${serial}/revocation`, {
    ...(token === null ? {} : { token }),
  });
}

let bank: TestBank;
let alice: TestMerchant;
let mallory: TestMerchant;
let site: Site;

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1], env: { FARTHING_BANK_DEV_MODE: '1' } });
  alice = await openMerchant(bank, 'alice');
  mallory = await openMerchant(bank, 'mallory');
  site = await openSite();
});

afterAll(async () => {
  await closeSite(site);
  await bank.close();
});

describe('POST /v1/merchants/me/origin-challenges', () => {
  it('hands out a token and the key authorization bound to the merchant and origin', async () => {
    const issued = await expectStatus<OriginChallengeWire>(
      await challenge(bank, alice, 'http://localhost:8799'),
      201,
    );
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.path).toBe(`/.well-known/farthing-challenge/${issued.token}`);
    expect(issued.status).toBe('pending');
    expect(issued.expiresAt).toBe(bank.clock.now + 3_600_000);
    expect(issued.keyAuthorization).toBe(
      originKeyAuthorization({
        token: issued.token,
        bankId: bank.ctx.config.bankId,
        merchantId: 'alice',
        origin: 'http://localhost:8799',
      }),
    );
    const again = await challenge(bank, alice, 'http://localhost:8799');
    expect((await expectStatus<OriginChallengeWire>(again, 201)).token).not.toBe(issued.token);
  });

  it('answers a retry with the same challenge', async () => {
    const send = () =>
      bank.request('POST', '/v1/merchants/me/origin-challenges', {
        token: alice.apiKey,
        body: { origin: 'http://localhost:8798' },
        idempotencyKey: 'challenge-retry',
      });
    const first = await expectStatus<OriginChallengeWire>(await send(), 201);
    expect(await expectStatus<OriginChallengeWire>(await send(), 201)).toEqual(first);
  });

  it('refuses a malformed origin and an anonymous caller', async () => {
    const bad = await expectProblem(await challenge(bank, alice, 'https://shop.example/x'), 400);
    expect([bad.code, bad.field]).toEqual(['invalid_message', 'origin']);
    const anonymous = await bank.request('POST', '/v1/merchants/me/origin-challenges', {
      body: { origin: 'http://localhost:8799' },
    });
    expect((await expectProblem(anonymous, 401)).code).toBe('unauthorized');
  });
});

describe('registration with origins proven', () => {
  it('certifies an origin whose answer the bank fetched from it', async () => {
    const view = await expectStatus<{ origins: string[]; serialNumber: string }>(
      await proveAndRegister(bank, alice, site),
      201,
    );
    expect(view.origins).toEqual([site.origin]);
    // The proof holds for the hour of its challenge: a renewal now needs no new one.
    site.answers.clear();
    await expectStatus(await register(bank, alice, [site.origin]), 201);
  });

  it('refuses a second merchant the same origin while the first holds it', async () => {
    const early = await expectProblem(await challenge(bank, mallory, site.origin), 409);
    expect([early.code, early.origin]).toEqual(['origin_taken', site.origin]);
    // Even when mallory's answer is served too (mallory runs the site's other half).
    const other = await openSite();
    try {
      const issued = await expectStatus<OriginChallengeWire>(
        await challenge(bank, mallory, other.origin),
        201,
      );
      other.answers.set(issued.token, issued.keyAuthorization);
      const refused = await expectProblem(
        await register(bank, mallory, [other.origin, site.origin]),
        409,
      );
      expect([refused.code, refused.field]).toEqual(['origin_taken', 'origins.1']);
      const mine = await bank.store.listMerchantCertificates(mallory.id);
      expect(mine).toEqual([]);
    } finally {
      await closeSite(other);
    }
  });

  it('refuses an origin with no challenge answered', async () => {
    const problem = await expectProblem(
      await register(bank, mallory, ['http://localhost:8797']),
      403,
    );
    expect([problem.code, problem.field]).toEqual(['origin_not_proven', 'origins.0']);
  });

  it.each([
    ['does not serve the answer', 'answer', 'status 404'],
    ['redirects elsewhere', 'redirect', 'redirect 302'],
    ['answers with a megabyte', 'huge', 'too long'],
  ] as const)('refuses an origin that %s, and the challenge is spent', async (_, mode, reason) => {
    const other = await openSite();
    other.mode = mode;
    try {
      await expectStatus(await challenge(bank, mallory, other.origin), 201);
      const refused = await expectProblem(await register(bank, mallory, [other.origin]), 403);
      expect([refused.code, refused.reason]).toEqual(['origin_challenge_failed', reason]);
      // A failed challenge is final (RFC 8555 §7.1.6): serving now does not revive it.
      other.mode = 'answer';
      const after = await expectProblem(await register(bank, mallory, [other.origin]), 403);
      expect(after.code).toBe('origin_not_proven');
    } finally {
      await closeSite(other);
    }
  });

  it("refuses an answer made for another merchant's challenge", async () => {
    const other = await openSite();
    try {
      const issued = await expectStatus<OriginChallengeWire>(
        await challenge(bank, mallory, other.origin),
        201,
      );
      other.answers.set(
        issued.token,
        originKeyAuthorization({
          token: issued.token,
          bankId: bank.ctx.config.bankId,
          merchantId: 'alice',
          origin: other.origin,
        }),
      );
      const refused = await expectProblem(await register(bank, mallory, [other.origin]), 403);
      expect([refused.code, refused.reason]).toEqual(['origin_challenge_failed', 'wrong answer']);
    } finally {
      await closeSite(other);
    }
  });

  it('gives up on an origin that never answers within the timeout', {
    timeout: 15_000,
  }, async () => {
    const other = await openSite();
    other.mode = 'silent';
    try {
      await expectStatus(await challenge(bank, mallory, other.origin), 201);
      const started = Date.now();
      const refused = await expectProblem(await register(bank, mallory, [other.origin]), 403);
      expect([refused.code, refused.reason]).toEqual(['origin_challenge_failed', 'timeout']);
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      await closeSite(other);
    }
  });

  it('lets exactly one of two merchants racing for a free origin have it', async () => {
    const other = await openSite();
    try {
      const [a, b] = await Promise.all(
        [alice, mallory].map(async (merchant) => {
          const issued = await expectStatus<OriginChallengeWire>(
            await challenge(bank, merchant, other.origin),
            201,
          );
          other.answers.set(issued.token, issued.keyAuthorization);
        }),
      ).then(() =>
        Promise.all([
          register(bank, alice, [other.origin]),
          register(bank, mallory, [other.origin]),
        ]),
      );
      expect([a!.status, b!.status].sort()).toEqual([201, 409]);
    } finally {
      await closeSite(other);
    }
  });
});

describe('revocation', () => {
  it('needs the admin token and a known serial', async () => {
    expect((await expectProblem(await revoke(bank, 'abcd', null), 401)).code).toBe('unauthorized');
    expect((await expectProblem(await revoke(bank, 'abcd', 'fst_nope'), 401)).code).toBe(
      'unauthorized',
    );
    expect((await expectProblem(await revoke(bank, 'abcd'), 404)).code).toBe('not_found');
    expect((await expectProblem(await revoke(bank, 'NOT-HEX'), 404)).code).toBe('not_found');
  });

  it('lists a revoked certificate in the signed list, and frees its origin', async () => {
    const holder = await openSite();
    try {
      const view = await expectStatus<{ serialNumber: string; chain: string[] }>(
        await proveAndRegister(bank, alice, holder),
        201,
      );
      expect((await expectProblem(await challenge(bank, mallory, holder.origin), 409)).code).toBe(
        'origin_taken',
      );
      bank.clock.now += 1000;
      const revoked = await expectStatus<{ serial: string; revokedAt: number }>(
        await revoke(bank, view.serialNumber),
        200,
      );
      expect(revoked).toEqual({ serial: view.serialNumber, revokedAt: bank.clock.now });
      bank.clock.now += 1000;
      // Revoking again keeps the first time.
      expect(await expectStatus(await revoke(bank, view.serialNumber), 200)).toEqual(revoked);

      const response = await bank.request('GET', '/v1/ca/merchant-revocations');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const list = await expectStatus<{
        version: 1;
        bankId: string;
        issuedAt: number;
        serials: string[];
        signature: string;
      }>(response, 200);
      expect(list.serials).toContain(view.serialNumber);
      expect(list.issuedAt).toBe(bank.clock.now);
      const caKey = parseCertificate(bank.ctx.ca.certificate).publicKey;
      if (caKey.type !== 'ed25519') throw new Error('the CA key is Ed25519');
      expect(
        nodeEd25519Verify(
          fromBase64url(list.signature),
          merchantRevocationsSigningBytes(list),
          caKey.raw,
        ),
      ).toBe(true);

      const listed = await expectStatus<{
        certificates: { serialNumber: string; revokedAt?: number }[];
      }>(await bank.request('GET', '/v1/merchants/me/certificates', { token: alice.apiKey }), 200);
      expect(listed.certificates.find((c) => c.serialNumber === view.serialNumber)?.revokedAt).toBe(
        revoked.revokedAt,
      );

      // The origin is free again: mallory proves it and gets it.
      await expectStatus(await proveAndRegister(bank, mallory, holder), 201);
    } finally {
      await closeSite(holder);
    }
  });
});

describe('outside development mode', () => {
  it('refuses loopback origins, even on a bank that itself runs on loopback', async () => {
    const production = await openTestBank({
      coinValues: [1],
      env: { FARTHING_BANK_DEV_MODE: '0' },
    });
    try {
      const merchant = await openMerchant(production, 'shop');
      const early = await expectProblem(await challenge(production, merchant, site.origin), 403);
      expect([early.code, early.field]).toEqual(['origin_loopback_refused', 'origin']);
      const refused = await expectProblem(
        await register(production, merchant, ['http://localhost:8701']),
        403,
      );
      expect([refused.code, refused.field]).toEqual(['origin_loopback_refused', 'origins.0']);
      // Nor does it fetch from its own private network for an https origin.
      for (const origin of ['https://10.1.2.3:8443', 'https://[fd00::1]', 'https://192.168.1.1']) {
        await expectStatus(await challenge(production, merchant, origin), 201);
        const inward = await expectProblem(await register(production, merchant, [origin]), 403);
        expect([inward.code, inward.reason]).toEqual([
          'origin_challenge_failed',
          'private address',
        ]);
      }
      expect(await production.store.listMerchantCertificates(merchant.id)).toEqual([]);
    } finally {
      await production.close();
    }
  });
});
