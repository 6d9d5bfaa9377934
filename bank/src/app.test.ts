/**
 * The OpenAPI document the bank serves is kept in step with the code: the routes Hono routes
 * are exactly the documented ones, state-changing routes take an Idempotency-Key (or say why
 * not), and the document has the structure OpenAPI 3.1 requires. No OpenAPI validator is
 * installed, so the structural rules checked here are the ones this document could break,
 * each citing the OpenAPI 3.1.0 section.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  expectProblem,
  expectStatus,
  openCustomer,
  openMerchant,
  openTestBank,
  type TestBank,
} from './bank.fixture.ts';

interface Operation {
  summary?: string;
  operationId?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: unknown; content?: unknown }>;
}

interface Document {
  openapi: string;
  info: { title?: unknown; version?: unknown };
  servers?: { url?: unknown }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const stateChanging = new Set(['post', 'put', 'patch', 'delete']);

let bank: TestBank;
let document: Document;

function operations(): { method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => httpMethods.includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
}

/** `/v1/x/{id}` (OpenAPI) → `/v1/x/:id` (Hono). */
const honoPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
  document = await expectStatus<Document>(await bank.request('GET', '/v1/openapi.json'), 200);
});

afterAll(() => bank.close());

describe('the OpenAPI document', () => {
  it('documents exactly the routes Hono routes', () => {
    // `app.use` middleware shows up as ALL; a route with middleware appears once per handler.
    const routed = new Set(
      bank.app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path}`),
    );
    const documented = new Set(
      operations().map(({ method, path }) => `${method.toUpperCase()} ${honoPath(path)}`),
    );
    expect([...routed].sort()).toEqual([...documented].sort());
  });

  it('asks every state-changing call for an Idempotency-Key, or its summary says why not', () => {
    const unexplained = operations()
      .filter(({ method }) => stateChanging.has(method))
      .filter(
        ({ operation }) =>
          !operation.parameters?.some(
            (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key' && p.required,
          ) && !/idempoten/i.test(operation.summary ?? ''),
      )
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(unexplained).toEqual([]);
  });

  it('is OpenAPI 3.1 in structure', () => {
    // §4.8.1 OpenAPI Object: openapi, info (title, version) and paths.
    expect(document.openapi).toBe('3.1.0');
    expect(typeof document.info.title).toBe('string');
    expect(typeof document.info.version).toBe('string');
    for (const server of document.servers ?? []) expect(typeof server.url).toBe('string');

    const operationIds = new Set<string>();
    for (const { method, path, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      // §4.8.8: paths start with a slash; §4.8.12.1: every template variable is a required
      // path parameter, and no path parameter is missing from the template.
      expect(path, where).toMatch(/^\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => {
          expect(p.required, `${where} parameter ${p.name}`).toBe(true);
          return p.name;
        })
        .sort();
      expect(declared, where).toEqual(templated);
      for (const p of operation.parameters ?? []) {
        expect(['query', 'header', 'path', 'cookie'], where).toContain(p.in);
      }
      // §4.8.10.2: operationId unique across the document.
      expect(operation.operationId, where).toBeTypeOf('string');
      expect(operationIds.has(operation.operationId!), where).toBe(false);
      operationIds.add(operation.operationId!);
      // §4.8.16: at least one response; each a status code or `default`, with a description.
      const responses = Object.entries(operation.responses ?? {});
      expect(responses.length, where).toBeGreaterThan(0);
      for (const [status, response] of responses) {
        expect(status, where).toMatch(/^(?:[1-5](?:\d\d|XX)|default)$/);
        expect(typeof response.description, `${where} ${status}`).toBe('string');
      }
      // §4.8.13: a request body has content.
      if (operation.requestBody !== undefined) {
        expect(Object.keys(operation.requestBody.content ?? {}).length, where).toBeGreaterThan(0);
      }
      // §4.8.30: security requirements name declared schemes.
      for (const requirement of operation.security ?? []) {
        for (const scheme of Object.keys(requirement)) {
          expect(Object.keys(document.components.securitySchemes), where).toContain(scheme);
        }
      }
    }
  });

  it('has every $ref resolving inside the document', () => {
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === 'object' && value !== null) {
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string') refs.push(child);
          else walk(child);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      // RFC 6901 JSON Pointer in a URI fragment: `~1` is `/`, `~0` is `~`.
      expect(ref).toMatch(/^#\//);
      let target: unknown = document;
      for (const token of ref.slice(2).split('/')) {
        const key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
        target =
          typeof target === 'object' && target !== null && Object.hasOwn(target, key)
            ? (target as Record<string, unknown>)[key]
            : undefined;
      }
      expect(target, ref).toBeTypeOf('object');
    }
  });

  it('matches the code on Idempotency-Key: each route documented as keyed refuses a call without one', async () => {
    const customer = await openCustomer(bank, 'idem-check', 0, ['account', 'withdraw', 'payword']);
    const merchant = await openMerchant(bank, 'idem-shop');
    const tokens: Record<string, string | undefined> = {
      none: undefined,
      customer: customer.token,
      merchant: merchant.apiKey,
      admin: adminToken,
    };
    const keyed = operations().filter(({ operation }) =>
      operation.parameters?.some((p) => p.name === 'Idempotency-Key'),
    );
    expect(keyed.length).toBeGreaterThan(0);
    for (const { method, path, operation } of keyed) {
      const scheme = Object.keys(operation.security?.[0] ?? {})[0] ?? 'none';
      const token = tokens[scheme];
      const response = await bank.request(
        method.toUpperCase(),
        honoPath(path).replace(/:[A-Za-z]+/g, 'idem-check'),
        { body: {}, idempotencyKey: null, ...(token === undefined ? {} : { token }) },
      );
      const problem = await expectProblem(response, 428);
      expect(problem.code, `${method} ${path}`).toBe('idempotency_key_missing');
    }
  });

  it('matches the code on the refusals every route of a kind shares: a login, a JSON body', async () => {
    const customer = await openCustomer(bank, 'kind-check', 0, ['account', 'withdraw', 'payword']);
    const merchant = await openMerchant(bank, 'kind-shop');
    const tokens: Record<string, string> = {
      customer: customer.token,
      merchant: merchant.apiKey,
      admin: adminToken,
    };
    const codesOf = (operation: Operation) =>
      Object.values(operation.responses ?? {}).map((r) => String(r.description));
    let checked = 0;
    for (const { method, path, operation } of operations()) {
      const at = `${method} ${path}`;
      const url = honoPath(path).replace(/:[A-Za-z]+/g, 'kind-check');
      const scheme = Object.keys(operation.security?.[0] ?? {})[0];
      const documented = codesOf(operation).join('; ');
      if (scheme !== undefined) {
        expect(documented, at).toContain('unauthorized');
        const anonymous = await bank.request(
          method.toUpperCase(),
          url,
          method === 'post' ? { body: {} } : {},
        );
        expect((await expectProblem(anonymous, 401)).code, at).toBe('unauthorized');
        checked += 1;
      }
      if (operation.requestBody !== undefined) {
        expect(documented, at).toContain('unsupported_media_type');
        const token = scheme === undefined ? undefined : tokens[scheme];
        const plain = await bank.request(method.toUpperCase(), url, {
          rawBody: '{}',
          contentType: 'text/plain',
          ...(token === undefined ? {} : { token }),
        });
        expect((await expectProblem(plain, 415)).code, at).toBe('unsupported_media_type');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
