import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wallet } from '../wallet/wallet.ts';
import { routeMessage } from './router.ts';
import { contentSender, openRouterDeps } from './router-testing.ts';

const page = {
  id: 'wallet-id',
  url: 'chrome-extension://wallet-id/extension/src/pages/popup/index.html',
};
const content = contentSender;
let wallet: Wallet;
let deps: Parameters<typeof routeMessage>[0];

beforeAll(async () => {
  deps = await openRouterDeps('router');
  wallet = deps.wallet;
});

afterAll(() => wallet.close());

describe('routeMessage', () => {
  it('answers an extension page', async () => {
    const answer = await routeMessage(deps, { action: 'settings.get', input: {} }, page);
    expect(answer).toMatchObject({
      ok: true,
      value: { currency: 'EUR', confirmFirstPayment: true },
    });
  });

  it('refuses privileged actions from content scripts', async () => {
    const answer = await routeMessage(
      deps,
      { action: 'backup.export', input: { passphrase: 'x'.repeat(10) } },
      content,
    );
    expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
  });

  it('refuses payments from extension pages, frames and other extensions', async () => {
    const pay = {
      action: 'offer.pay',
      input: { offer: 'x', href: 'https://shop.example/a', trigger: 'link' },
    };
    for (const sender of [
      page,
      { ...content, frameId: 2 },
      { ...content, id: 'other' },
      { id: content.id, url: content.url, frameId: 0 },
    ]) {
      expect(await routeMessage(deps, pay, sender)).toMatchObject({
        ok: false,
        error: { code: 'forbidden_sender' },
      });
    }
  });

  it('refuses unknown actions and invalid input before doing anything', async () => {
    expect(await routeMessage(deps, { action: 'coins.steal', input: {} }, page)).toMatchObject({
      ok: false,
      error: { code: 'invalid_message' },
    });
    expect(
      await routeMessage(
        deps,
        { action: 'settings.update', input: { dailyBudget: { currency: 'EUR', minor: 1.5 } } },
        page,
      ),
    ).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('answers an unreadable offer from a page with a logged refusal', async () => {
    const answer = await routeMessage(
      deps,
      {
        action: 'offer.pay',
        input: { offer: 'not-an-offer', href: 'https://shop.example/a', trigger: 'link' },
      },
      content,
    );
    expect(answer).toMatchObject({
      ok: true,
      value: { status: 'refused', error: { code: 'offer_invalid' } },
    });
    const refusals = await routeMessage(deps, { action: 'refusal.list', input: {} }, page);
    expect(refusals).toMatchObject({
      ok: true,
      value: [{ origin: 'https://shop.example', error: { code: 'offer_invalid' } }],
    });
  });
});
