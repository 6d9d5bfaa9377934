import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, openTestBank, type TestBank } from '../bank.fixture.ts';
import { mintRouteDocs } from './routes.ts';

let bank: TestBank;

beforeAll(async () => {
  bank = await openTestBank({ coinValues: [1] });
});

afterAll(() => bank.close());

describe('the mint routes', () => {
  it.each(mintRouteDocs.map((doc) => [doc.method.toUpperCase(), doc.path] as const))(
    '%s %s is mounted',
    async (method, path) => {
      const concrete = path.replace(/:[A-Za-z]+/g, 'AAAAAAAAAAAAAAAAAAAAAA');
      const response = await bank.request(method, concrete, method === 'POST' ? { body: {} } : {});
      const body = (await response.json()) as { detail?: string };
      expect(body.detail ?? '').not.toMatch(/^no route/);
    },
  );

  it('are in the OpenAPI document', async () => {
    const document = await expectStatus<{ paths: Record<string, Record<string, unknown>> }>(
      await bank.request('GET', '/v1/openapi.json'),
      200,
    );
    for (const doc of mintRouteDocs) {
      const path = doc.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(document.paths[path]?.[doc.method]).toBeDefined();
    }
  });
});
