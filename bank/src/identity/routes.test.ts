/**
 * The bank's identity as wallets and people read it: the fingerprints published at `/v1/bank`
 * and on the page are the SHA-256 of exactly what the other routes serve (so they match what a
 * wallet computes), the name is the configured one, and the page is inert HTML.
 */
import { createHash } from 'node:crypto';
import { fromBase64url } from '@farthing/protocol/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, openTestBank, type TestBank } from '../bank.fixture.ts';
import { ConfigError, loadConfig } from '../config.ts';

let bank: TestBank;

beforeAll(async () => {
  bank = await openTestBank({
    coinValues: [1],
    env: { FARTHING_BANK_NAME: 'Bank of <Tests> & Sons', FARTHING_PAYWORD_GRACE_S: '86400' },
  });
});
afterAll(() => bank.close());

/** SHA-256 as `AB:CD:…`, computed here independently of the bank's code. */
function pairs(bytes: Uint8Array): string {
  return [...createHash('sha256').update(bytes).digest()]
    .map((byte) => byte.toString(16).padStart(2, '0').toUpperCase())
    .join(':');
}

interface Identity {
  name: string;
  bankId: string;
  url: string;
  currency: string;
  fingerprints: { certificate: string; coinKey: string; paywordKey: string };
  paywordRedeemGraceSeconds: number;
}

describe('the bank says who it is', () => {
  it('publishes its name and the fingerprints of the keys the other routes serve', async () => {
    const identity = await expectStatus<Identity>(await bank.request('GET', '/v1/bank'), 200);
    const ca = await expectStatus<{ der: string }>(
      await bank.request('GET', '/v1/ca/certificate'),
      200,
    );
    const keys = await expectStatus<{ masterPublicKey: string }>(
      await bank.request('GET', '/v1/mint/keys'),
      200,
    );
    const broker = await expectStatus<{ publicKey: string }>(
      await bank.request('GET', '/v1/broker/key'),
      200,
    );
    expect(identity).toEqual({
      name: 'Bank of <Tests> & Sons',
      bankId: 'farthing-bank',
      url: 'http://127.0.0.1:8700',
      currency: 'EUR',
      fingerprints: {
        certificate: pairs(fromBase64url(ca.der)),
        coinKey: pairs(fromBase64url(keys.masterPublicKey)),
        paywordKey: pairs(fromBase64url(broker.publicKey)),
      },
      paywordRedeemGraceSeconds: 86_400,
    });
    expect(identity.fingerprints.certificate).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('shows the same fingerprints to people, in plain words, at / and /fingerprints', async () => {
    const identity = await expectStatus<Identity>(await bank.request('GET', '/v1/bank'), 200);
    for (const path of ['/', '/fingerprints']) {
      const response = await bank.request('GET', path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await response.text();
      expect(html).toContain('<h1>Bank of &lt;Tests&gt; &amp; Sons</h1>');
      expect(html).not.toContain('<Tests>');
      expect(html).toContain('The bank’s certificate');
      expect(html).toContain('The key that signs its coins');
      expect(html).toContain(`<code id="certificate">${identity.fingerprints.certificate}</code>`);
      expect(html).toContain(`<code id="coin-key">${identity.fingerprints.coinKey}</code>`);
      expect(html).toContain(`<code id="payword-key">${identity.fingerprints.paywordKey}</code>`);
      expect(html).not.toContain('<script');
    }
  });
});

describe('FARTHING_BANK_NAME', () => {
  it('defaults to the demo bank and refuses empty, long or control-character names', () => {
    expect(loadConfig({}).name).toBe('Farthing Demo Bank');
    expect(loadConfig({ FARTHING_BANK_NAME: '  Sparkasse Test ' }).name).toBe('Sparkasse Test');
    for (const bad of [' ', 'x'.repeat(101), 'Bank\nof lies']) {
      expect(() => loadConfig({ FARTHING_BANK_NAME: bad })).toThrow(ConfigError);
    }
  });
});
