/**
 * Accounts over the bank's HTTP API: sign-up, log-in and sessions, the account's balance and
 * history, the operator's calls, and the request rules every call shares (size, media type,
 * JSON, RFC 9457 problems that are never cached).
 *
 * Long because it is the accounts API's one suite: every case runs against the same bank and
 * the accounts its `beforeAll` opens.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adminToken,
  balanceOf,
  expectStatus,
  logIn,
  openCustomer,
  openMerchant,
  openTestBank,
  password,
  type TestBank,
} from '../bank.fixture.ts';

// Every log-in must run scrypt once, whether or not the name exists, so response time does
// not tell an attacker which names are accounts. The wrapper records the hash each call used.
const verifiedAgainst = vi.hoisted(() => [] as string[]);
vi.mock('./passwords.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('./passwords.ts')>();
  return {
    ...real,
    verifyPassword(candidate: string, stored: string) {
      verifiedAgainst.push(stored);
      return real.verifyPassword(candidate, stored);
    },
  };
});

let bank: TestBank;

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
});

afterAll(() => bank.close());

/**
 * Checks the response is an RFC 9457 problem with this status and code, never to be cached
 * (RFC 9111 §5.2.2.5), and returns it.
 */
async function expectCoded(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const problem = await expectStatus<Record<string, unknown>>(response, status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(problem).toMatchObject({ type: `urn:farthing:problem:${code}`, status, code });
  if (status === 401) {
    // RFC 6750 §3: a 401 says which scheme to use.
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  }
  return problem;
}

const signUp = (body: unknown, idempotencyKey?: string) =>
  bank.request('POST', '/v1/accounts', {
    body,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });

const credit = (name: string, body: unknown, options: { key?: string; token?: string } = {}) =>
  bank.request('POST', `/v1/admin/accounts/${name}/credit`, {
    body,
    token: options.token ?? adminToken,
    ...(options.key === undefined ? {} : { idempotencyKey: options.key }),
  });

describe('sign-up', () => {
  it('opens a customer account with an empty balance', async () => {
    const account = await expectStatus(
      await signUp({ name: 'alice', password, displayName: 'Alice' }),
      201,
    );
    expect(account).toEqual({
      name: 'alice',
      displayName: 'Alice',
      kind: 'customer',
      balance: 'EUR 0.00',
    });
  });

  it('refuses a name that is taken', async () => {
    await expectCoded(await signUp({ name: 'alice', password }), 409, 'account_exists');
  });

  it.each([
    ['a short password', { name: 'bob', password: 'short' }, 'password'],
    ['a name with capitals', { name: 'Bob', password }, 'name'],
    ['an unknown member', { name: 'bob', password, admin: true }, 'admin'],
  ])('refuses %s as invalid_message', async (_, body, field) => {
    const problem = await expectCoded(await signUp(body), 400, 'invalid_message');
    expect(problem.field).toBe(field);
    expect(await bank.store.getAccountByName('bob')).toBeUndefined();
  });

  it('answers a retry with the same key the same way, once', async () => {
    const body = { name: 'dora', password, displayName: 'Dora' };
    const first = await expectStatus(await signUp(body, 'signup-dora'), 201);
    const again = await expectStatus(await signUp(body, 'signup-dora'), 201);
    expect(again).toEqual(first);
    await expectCoded(
      await signUp({ ...body, displayName: 'Someone else' }, 'signup-dora'),
      422,
      'idempotency_key_reused',
    );
  });

  it('needs an Idempotency-Key', async () => {
    const response = await bank.request('POST', '/v1/accounts', {
      body: { name: 'erin', password },
      idempotencyKey: null,
    });
    await expectCoded(response, 428, 'idempotency_key_missing');
  });
});

describe('log-in', () => {
  beforeAll(async () => {
    await openCustomer(bank, 'frank', 500);
    await openMerchant(bank, 'frank-shop');
  });

  it('gives a token with every scope by default, valid for the session lifetime', async () => {
    const response = await bank.request('POST', '/v1/sessions', {
      body: { name: 'frank', password },
      idempotencyKey: null,
    });
    const session = await expectStatus<Record<string, unknown>>(response, 201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(session).toMatchObject({
      scopes: ['account', 'withdraw', 'payword'],
      expiresAt: bank.clock.now + bank.ctx.config.sessionTtlMs,
      account: { name: 'frank', kind: 'customer', balance: 'EUR 5.00' },
    });
    expect(session.token).toMatch(/^fst_[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['a wrong password', { name: 'frank', password: 'wrong password' }],
    ['an unknown name', { name: 'nobody', password }],
    ['a merchant, which has no password', { name: 'frank-shop', password }],
  ])('refuses %s as invalid_credentials, after running scrypt all the same', async (_, body) => {
    verifiedAgainst.length = 0;
    await expectCoded(
      await bank.request('POST', '/v1/sessions', { body }),
      401,
      'invalid_credentials',
    );
    // One scrypt verification at the accounts' own cost (N = 16 in tests).
    expect(verifiedAgainst).toHaveLength(1);
    expect(verifiedAgainst[0]).toMatch(/^scrypt\$16\$8\$1\$/);
  });

  it('grants only the scopes asked for; a token without `withdraw` cannot withdraw', async () => {
    const token = await logIn(bank, 'frank', ['account']);
    await expectStatus(await bank.request('GET', '/v1/accounts/me', { token }), 200);
    const problem = await expectCoded(
      await bank.request('POST', '/v1/mint/withdrawals', { token, body: {} }),
      403,
      'insufficient_scope',
    );
    expect(problem.required).toBe('withdraw');
    await expectCoded(
      await bank.request('POST', '/v1/sessions', {
        body: { name: 'frank', password, scopes: ['admin'] },
      }),
      400,
      'invalid_message',
    );
  });

  it('refuses 100,000 copies of a scope (invalid_message) and keeps each asked scope once', async () => {
    const flood = { name: 'frank', password, scopes: Array(100_000).fill('account') };
    const refused = await expectCoded(
      await bank.request('POST', '/v1/sessions', { body: flood, idempotencyKey: null }),
      400,
      'invalid_message',
    );
    expect(refused.field).toBe('scopes');
    const session = await expectStatus<{ token: string; scopes: string[] }>(
      await bank.request('POST', '/v1/sessions', {
        body: { name: 'frank', password, scopes: ['account', 'payword', 'account'] },
        idempotencyKey: null,
      }),
      201,
    );
    expect(session.scopes).toEqual(['account', 'payword']);
  });

  it('expires the token after the session lifetime', async () => {
    const token = await logIn(bank, 'frank');
    const started = bank.clock.now;
    try {
      bank.clock.now = started + bank.ctx.config.sessionTtlMs - 1;
      await expectStatus(await bank.request('GET', '/v1/accounts/me', { token }), 200);
      bank.clock.now = started + bank.ctx.config.sessionTtlMs;
      await expectCoded(
        await bank.request('GET', '/v1/accounts/me', { token }),
        401,
        'token_expired',
      );
    } finally {
      bank.clock.now = started;
    }
  });

  it('log-out makes the token useless', async () => {
    const token = await logIn(bank, 'frank');
    const other = await logIn(bank, 'frank');
    const out = await bank.request('DELETE', '/v1/sessions/current', { token });
    expect(out.status).toBe(204);
    await expectCoded(await bank.request('GET', '/v1/accounts/me', { token }), 401, 'unauthorized');
    await expectCoded(
      await bank.request('DELETE', '/v1/sessions/current', { token }),
      401,
      'unauthorized',
    );
    // Only that session ends.
    await expectStatus(await bank.request('GET', '/v1/accounts/me', { token: other }), 200);
  });

  it('refuses missing, malformed and unknown tokens', async () => {
    for (const token of [undefined, 'not a token', 'fst_unknown', 'fmk_unknown']) {
      await expectCoded(
        await bank.request('GET', '/v1/accounts/me', token === undefined ? {} : { token }),
        401,
        'unauthorized',
      );
    }
  });
});

describe('the account', () => {
  it('shows its balance', async () => {
    const customer = await openCustomer(bank, 'gina', 1234);
    const me = await expectStatus(
      await bank.request('GET', '/v1/accounts/me', { token: customer.token }),
      200,
    );
    expect(me).toEqual({
      name: 'gina',
      displayName: 'gina',
      kind: 'customer',
      balance: 'EUR 12.34',
    });
  });

  it('pages its history newest first with `before`', async () => {
    const customer = await openCustomer(bank, 'hank', 0);
    for (const [value, reference] of [
      ['EUR 1.00', 'first'],
      ['EUR 2.00', 'second'],
      ['EUR 3.00', 'third'],
    ]) {
      await expectStatus(await credit('hank', { amount: value, reference }), 200);
    }
    await openCustomer(bank, 'ivan', 700); // another account's entries stay out of hank's
    type Page = { entries: { transferId: number; reference: string; amount: string }[] };
    const history = (query: string) =>
      bank.request('GET', `/v1/accounts/me/history${query}`, { token: customer.token });

    const first = await expectStatus<Page>(await history('?limit=2'), 200);
    expect(first.entries).toMatchObject([
      { kind: 'issue', reference: 'third', amount: 'EUR 3.00', balanceAfter: 'EUR 6.00' },
      { kind: 'issue', reference: 'second', amount: 'EUR 2.00', balanceAfter: 'EUR 3.00' },
    ]);
    const next = await expectStatus<Page>(
      await history(`?limit=2&before=${first.entries[1]!.transferId}`),
      200,
    );
    expect(next.entries.map((entry) => entry.reference)).toEqual(['first']);
    const all = await expectStatus<Page>(await history(''), 200);
    expect(all.entries).toHaveLength(3);

    for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?before=-1']) {
      await expectCoded(await history(query), 400, 'invalid_message');
    }
  });
});

describe('operator credit', () => {
  beforeAll(() => openCustomer(bank, 'jane', 0));

  it('puts money into the account, once per Idempotency-Key', async () => {
    const body = { amount: 'EUR 2.50', reference: 'top-up' };
    const first = await expectStatus(await credit('jane', body, { key: 'credit-1' }), 200);
    expect(first).toEqual({ balance: 'EUR 2.50' });
    expect(await expectStatus(await credit('jane', body, { key: 'credit-1' }), 200)).toEqual(first);
    expect(await balanceOf(bank, 'jane')).toBe(250);
    await expectCoded(
      await credit('jane', { amount: 'EUR 9.00' }, { key: 'credit-1' }),
      422,
      'idempotency_key_reused',
    );
    expect(await balanceOf(bank, 'jane')).toBe(250);
  });

  it('needs the admin token', async () => {
    const customer = await openCustomer(bank, 'kate', 0);
    for (const token of ['wrong-admin-token-0123', customer.token]) {
      await expectCoded(
        await credit('kate', { amount: 'EUR 1.00' }, { token }),
        401,
        'unauthorized',
      );
    }
    const anonymous = await bank.request('POST', '/v1/admin/accounts/kate/credit', {
      body: { amount: 'EUR 1.00' },
    });
    await expectCoded(anonymous, 401, 'unauthorized');
    expect(await balanceOf(bank, 'kate')).toBe(0);
  });

  it('refuses another currency, a zero amount and accounts that are not customers or merchants', async () => {
    await expectCoded(await credit('jane', { amount: 'USD 1.00' }), 400, 'currency_mismatch');
    await expectCoded(await credit('jane', { amount: 'EUR 0.00' }), 400, 'invalid_amount');
    await expectCoded(await credit('nobody', { amount: 'EUR 1.00' }), 404, 'not_found');
    await expectCoded(await credit('system:issued', { amount: 'EUR 1.00' }), 404, 'not_found');
    expect(await balanceOf(bank, 'jane')).toBe(250);
  });

  it('is switched off when no admin token is configured', async () => {
    const closed = await openTestBank({ coinValues: [1], env: { FARTHING_BANK_ADMIN_TOKEN: '' } });
    try {
      const response = await closed.request('POST', '/v1/admin/merchants', {
        token: adminToken,
        body: { name: 'shop', displayName: 'Shop' },
      });
      await expectCoded(response, 401, 'unauthorized');
      expect(await closed.store.getAccountByName('shop')).toBeUndefined();
    } finally {
      await closed.close();
    }
  });
});

describe('operator merchants', () => {
  const works = async (apiKey: string) =>
    (await bank.request('GET', '/v1/merchants/me/certificates', { token: apiKey })).status;

  it('opens a merchant with an API key, and issues more keys', async () => {
    const response = await bank.request('POST', '/v1/admin/merchants', {
      token: adminToken,
      body: { name: 'lamp-shop', displayName: 'The Lamp Shop' },
    });
    const created = await expectStatus<{ apiKey: string; merchant: unknown }>(response, 201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(created.merchant).toEqual({
      name: 'lamp-shop',
      displayName: 'The Lamp Shop',
      kind: 'merchant',
      balance: 'EUR 0.00',
    });
    expect(created.apiKey).toMatch(/^fmk_[A-Za-z0-9_-]{43}$/);
    expect(await works(created.apiKey)).toBe(200);

    const more = await expectStatus<{ apiKey: string }>(
      await bank.request('POST', '/v1/admin/merchants/lamp-shop/api-keys', { token: adminToken }),
      201,
    );
    expect(more.apiKey).not.toBe(created.apiKey);
    expect(await works(more.apiKey)).toBe(200);
    expect(await works(created.apiKey)).toBe(200);

    await expectCoded(
      await bank.request('POST', '/v1/admin/merchants', {
        token: adminToken,
        body: { name: 'lamp-shop', displayName: 'Another' },
      }),
      409,
      'account_exists',
    );
  });

  it('issues keys to merchants only', async () => {
    await openCustomer(bank, 'mona', 0);
    for (const name of ['mona', 'nobody']) {
      await expectCoded(
        await bank.request('POST', `/v1/admin/merchants/${name}/api-keys`, { token: adminToken }),
        404,
        'not_found',
      );
    }
  });
});

describe('every request', () => {
  it('refuses a body over the size limit with 413', async () => {
    const rawBody = JSON.stringify({
      name: 'olga',
      password: 'x'.repeat(bank.ctx.config.maxBodyBytes),
    });
    await expectCoded(
      await bank.request('POST', '/v1/accounts', { rawBody }),
      413,
      'payload_too_large',
    );
    expect(await bank.store.getAccountByName('olga')).toBeUndefined();
  });

  it('refuses another media type with 415', async () => {
    const response = await bank.request('POST', '/v1/accounts', {
      rawBody: JSON.stringify({ name: 'olga', password }),
      contentType: 'text/plain',
    });
    await expectCoded(response, 415, 'unsupported_media_type');
  });

  it('refuses malformed JSON as invalid_message', async () => {
    const response = await bank.request('POST', '/v1/accounts', { rawBody: '{"name": "olga",' });
    await expectCoded(response, 400, 'invalid_message');
  });

  it('answers an unknown route with a problem', async () => {
    await expectCoded(await bank.request('GET', '/v1/nowhere'), 404, 'not_found');
  });
});
