/**
 * The payer's refund request for content that never arrived (issue 20), against the real bank
 * and the SDK over a SQLite merchant store behind Hono: the SDK records what the content
 * handler answered each grant, refunds a payment whose content was never served (once, however
 * often asked), refuses one whose content was served, lets the site's policy decide when it
 * gives one, and stops serving a grant it refunded. The books balance after each.
 */
import type { AddressInfo } from 'node:net';
import { farthing as farthingExpress } from '@farthing/merchant-sdk/express';
import { type FarthingEnv, farthing } from '@farthing/merchant-sdk/hono';
import { createMerchant, type Merchant } from '@farthing/merchant-sdk/server/merchant';
import type { RefundRequestPolicy } from '@farthing/merchant-sdk/server/refund-request';
import { type Credential, credentialToWire, encodeCredential } from '@farthing/protocol/credential';
import { formatFarthingCredentials } from '@farthing/protocol/http/farthing-auth';
import { nodeEd25519Signer } from '@farthing/protocol/node/ed25519';
import { refunds } from '@farthing/protocol/refund';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieFrom,
  ecashCredential,
  offerOf,
  offerSeed,
  paywordCredential,
  paywordWallet,
  shopOrigin,
  withdraw,
} from '../merchant/merchant.fixture.ts';
import {
  carolBalance,
  expectBooksBalance,
  openRefundWorld,
  type RefundWorld,
  shopBalance,
} from './refunds.fixture.ts';

let w: RefundWorld;
beforeAll(async () => {
  w = await openRefundWorld();
});
afterAll(() => w.close());

/** A shop whose article handler fails while `failing.now` is set. */
function shopApp(merchant: Merchant, failing: { now: boolean }) {
  const app = new Hono<FarthingEnv>();
  app.onError((_error, c) => c.text('the article could not be served', 500));
  app.use(farthing(merchant));
  app.get('/articles/:slug', (c) => {
    if (failing.now) throw new Error('the content store is down');
    return c.text('the article');
  });
  return app;
}

function openMerchant(decideRefundRequest?: RefundRequestPolicy): Merchant {
  return createMerchant(w.world.config(w.store), {
    ...(decideRefundRequest === undefined ? {} : { decideRefundRequest }),
  });
}

/** Pays inline at the article's URL; answers the response and the grant cookie. */
async function payInline(app: Hono<FarthingEnv>, path: string, credential: Credential) {
  const response = await app.request(`${shopOrigin}${path}`, {
    headers: {
      authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
    },
  });
  return { response, cookie: cookieFrom(response.headers.get('set-cookie')) };
}

function refundRequest(app: Hono<FarthingEnv>, credential: Credential, body?: unknown) {
  return app.request(`${shopOrigin}/.well-known/farthing/refund-request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      body ?? { version: 1, reason: 'not_delivered', credential: credentialToWire(credential) },
    ),
  });
}

describe('a refund request for content not delivered', () => {
  it('refunds an e-cash payment whose content never arrived, once, and closes its grant', async () => {
    const merchant = openMerchant();
    const failing = { now: true };
    const app = shopApp(merchant, failing);
    const offer = await offerOf(merchant, '/articles/lost');
    const credential = ecashCredential(offer, await withdraw(w.world, [5]));
    const before = await shopBalance(w.world);
    const { response, cookie } = await payInline(app, '/articles/lost', credential);
    expect(response.status).toBe(500);
    // The retry fails too.
    expect((await app.request(`${shopOrigin}/articles/lost`, { headers: { cookie } })).status).toBe(
      500,
    );
    expect(await shopBalance(w.world)).toBe(before + 5);

    const asked = await refundRequest(app, credential);
    expect(asked.status).toBe(200);
    const answer = (await asked.json()) as { receiptId: string; refund: unknown; amount: string };
    expect(answer.amount).toBe('EUR 0.05');
    const refund = refunds.parse(answer.refund);
    refunds.checkMerchantSignature(refund, {
      merchantPublicKey: nodeEd25519Signer(offerSeed).publicKey,
    });
    expect(refund.amount.minor).toBe(5);
    expect(await shopBalance(w.world)).toBe(before);

    // Asked again (the answer was lost): the same refund, nothing more moves.
    const again = await refundRequest(app, credential);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { refund: { refundId: string } }).refund.refundId).toBe(
      refund.refundId,
    );
    expect(await shopBalance(w.world)).toBe(before);

    // The refunded grant opens nothing, even once the content handler works again.
    failing.now = false;
    const after = await app.request(`${shopOrigin}/articles/lost`, { headers: { cookie } });
    expect(after.status).toBe(403);
    expect(((await after.json()) as { code: string }).code).toBe('grant_refunded');
    await merchant.close();
    await expectBooksBalance(w.world);
  });

  it('refuses when the content was served, and moves nothing', async () => {
    const merchant = openMerchant();
    const app = shopApp(merchant, { now: false });
    const offer = await offerOf(merchant, '/articles/served');
    const credential = ecashCredential(offer, await withdraw(w.world, [5]));
    const { response } = await payInline(app, '/articles/served', credential);
    expect(response.status).toBe(200);
    const before = await shopBalance(w.world);
    const asked = await refundRequest(app, credential);
    expect(asked.status).toBe(409);
    expect(await asked.json()).toMatchObject({
      code: 'refund_request_refused',
      reason: 'delivered',
    });
    expect(await shopBalance(w.world)).toBe(before);
    await merchant.close();
    await expectBooksBalance(w.world);
  });

  it('refunds a PayWord payment to the account behind the certificate', async () => {
    const merchant = openMerchant();
    const app = shopApp(merchant, { now: true });
    const offer = await offerOf(merchant, '/articles/words');
    const payword = await paywordWallet(w.world);
    const credential = paywordCredential(offer, payword, 5, true);
    const { response } = await payInline(app, '/articles/words', credential);
    expect(response.status).toBe(500);
    const carol = await carolBalance(w.world);
    const asked = await refundRequest(app, credential);
    expect([asked.status, asked.status === 200 ? '' : await asked.text()]).toEqual([200, '']);
    // The words were redeemed first (the broker had not paid for them), then given back.
    expect(await carolBalance(w.world)).toBe(carol + 5);
    await merchant.close();
    await expectBooksBalance(w.world);
  });

  it("lets the site's policy decide", async () => {
    const seen: unknown[] = [];
    const merchant = openMerchant((facts) => {
      seen.push(facts);
      return false;
    });
    const app = shopApp(merchant, { now: true });
    const offer = await offerOf(merchant, '/articles/policy');
    const credential = ecashCredential(offer, await withdraw(w.world, [5]));
    await payInline(app, '/articles/policy', credential);
    const before = await shopBalance(w.world);
    const asked = await refundRequest(app, credential);
    expect(asked.status).toBe(409);
    expect(await asked.json()).toMatchObject({
      code: 'refund_request_refused',
      reason: 'policy',
    });
    expect(seen).toMatchObject([
      { payment: { resource: '/articles/policy' }, delivery: { failures: 1, servedAt: undefined } },
    ]);
    expect(await shopBalance(w.world)).toBe(before);
    await merchant.close();
  });

  it('answers not_found for a credential the shop never took, and refuses malformed requests', async () => {
    const merchant = openMerchant();
    const app = shopApp(merchant, { now: true });
    const offer = await offerOf(merchant, '/articles/never');
    const credential = ecashCredential(offer, await withdraw(w.world, [5]));
    const asked = await refundRequest(app, credential);
    expect(asked.status).toBe(404);
    expect(((await asked.json()) as { code: string }).code).toBe('not_found');
    const malformed = await refundRequest(app, credential, { version: 1, credential: {} });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe('invalid_message');
    const get = await app.request(`${shopOrigin}/.well-known/farthing/refund-request`);
    expect(get.status).toBe(405);
    await merchant.close();
  });

  it('learns from the Express adapter what the application answered', async () => {
    const merchant = openMerchant();
    const app = express();
    app.use(farthingExpress(merchant));
    app.get('/articles/broken', () => {
      throw new Error('the content store is down');
    });
    app.get('/articles/fine', (_req, res) => {
      res.send('the article');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ask = (credential: Credential) =>
        fetch(`${url}/.well-known/farthing/refund-request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            version: 1,
            reason: 'not_delivered',
            credential: credentialToWire(credential),
          }),
        });
      const paid: Record<string, Credential> = {};
      for (const path of ['/articles/broken', '/articles/fine']) {
        const credential = ecashCredential(
          await offerOf(merchant, path),
          await withdraw(w.world, [5]),
        );
        const response = await fetch(`${url}${path}`, {
          headers: {
            authorization: formatFarthingCredentials({ credential: encodeCredential(credential) }),
          },
        });
        expect(response.status).toBe(path.endsWith('broken') ? 500 : 200);
        await response.body?.cancel();
        paid[path] = credential;
      }
      const refunded = await ask(paid['/articles/broken']!);
      expect(refunded.status).toBe(200);
      const refused = await ask(paid['/articles/fine']!);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { code: string }).code).toBe('refund_request_refused');
    } finally {
      server.close();
      await merchant.close();
    }
    await expectBooksBalance(w.world);
  });
});
