import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeMessage } from '../../../background/router.ts';
import { contentSender, openRouterDeps } from '../../../background/router-testing.ts';
import { purseActions } from '../../../messages/purse.ts';

const page = {
  id: 'wallet-id',
  url: 'chrome-extension://wallet-id/extension/src/pages/purse/index.html',
};
let deps: Awaited<ReturnType<typeof openRouterDeps>>;

beforeAll(async () => {
  deps = await openRouterDeps('purse-routes');
});
afterAll(() => deps.wallet.close());

describe('the purse actions', () => {
  it('are refused to every web page: none can pair, load, or hand over a proof', async () => {
    const inputs: Record<string, unknown> = {
      'purse.proof': { paymentId: 'p', proof: 'AAAA' },
      'purse.challenge': { paymentId: 'p' },
      'purse.authorizeLoad': { loadRequest: 'AAAA' },
      'purse.refused': { paymentId: 'p', code: 'purse_cancelled' },
      'purse.prefer': { preferred: true },
    };
    for (const action of Object.keys(purseActions)) {
      const answer = await routeMessage(
        deps,
        { action, input: inputs[action] ?? {} },
        contentSender,
      );
      expect(answer, action).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
    }
  });

  it('answer the wallet’s own pages: no reader paired yet, and nothing to load or prefer', async () => {
    expect(await routeMessage(deps, { action: 'purse.status', input: {} }, page)).toEqual({
      ok: true,
      value: null,
    });
    expect(
      await routeMessage(deps, { action: 'purse.prefer', input: { preferred: true } }, page),
    ).toMatchObject({ ok: false, error: { code: 'reader_unavailable' } });
    expect(
      await routeMessage(deps, { action: 'purse.challenge', input: { paymentId: 'nope' } }, page),
    ).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('refuse a page’s card reading that is not well-formed, before anything runs', async () => {
    const card = {
      cardId: 'NOT-HEX',
      state: 'active',
      certificate: 'AAAA',
      balance: { currency: 'EUR', minor: 1 },
      maximum: { currency: 'EUR', minor: 20000 },
      log: [],
    };
    expect(
      await routeMessage(
        deps,
        {
          action: 'purse.pair',
          input: { device: { vendorId: 1, productId: 2, productName: 'r' }, card },
        },
        page,
      ),
    ).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });
});
