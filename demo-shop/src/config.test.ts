import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadShopConfig, ShopConfigError, shopOrigin } from './config.ts';

describe('loadShopConfig', () => {
  it('defaults to a shop on 127.0.0.1:8701 beside a bank on 8700, data in ./data', () => {
    const config = loadShopConfig({});
    const data = resolve('data');
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8701,
      publicUrl: undefined,
      bankUrl: 'http://127.0.0.1:8700',
      dataDir: data,
      databasePath: join(data, 'demo-shop.sqlite'),
      apiKeyFile: join(data, 'demo-shop.api-key'),
      merchantId: 'demo-shop',
      name: 'The Farthing Gazette',
      operatorPassword: undefined,
      settleIntervalSeconds: 300,
      grantLifetimeSeconds: 86_400,
      httpTimeouts: {
        headersMs: 10_000,
        requestMs: 30_000,
        keepAliveMs: 65_000,
        checkIntervalMs: 1_000,
      },
    });
    expect(shopOrigin(config, 8701)).toBe('http://127.0.0.1:8701');
  });

  it('reads every variable', () => {
    const config = loadShopConfig({
      FARTHING_SHOP_HOST: '::1',
      FARTHING_SHOP_PORT: '0',
      FARTHING_SHOP_URL: 'https://gazette.example',
      FARTHING_BANK_URL: 'https://bank.example',
      FARTHING_DATA_DIR: '/srv/farthing',
      FARTHING_SHOP_OPERATOR_PASSWORD: 'long enough',
      FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
      FARTHING_HTTP_HEADERS_TIMEOUT_MS: '5000',
      FARTHING_HTTP_REQUEST_TIMEOUT_MS: '20000',
      FARTHING_HTTP_KEEP_ALIVE_TIMEOUT_MS: '30000',
      FARTHING_HTTP_CHECK_INTERVAL_MS: '500',
    });
    expect(config).toMatchObject({
      httpTimeouts: {
        headersMs: 5_000,
        requestMs: 20_000,
        keepAliveMs: 30_000,
        checkIntervalMs: 500,
      },
      host: '::1',
      port: 0,
      bankUrl: 'https://bank.example',
      databasePath: '/srv/farthing/demo-shop.sqlite',
      apiKeyFile: '/srv/farthing/demo-shop.api-key',
      operatorPassword: 'long enough',
      settleIntervalSeconds: 0,
      grantLifetimeSeconds: 86_400,
    });
    expect(shopOrigin(config, 41_234)).toBe('https://gazette.example');
    expect(shopOrigin({ publicUrl: undefined, host: '::1' }, 41_234)).toBe('http://[::1]:41234');
  });

  it('keeps the merchant store on PostgreSQL when FARTHING_SHOP_DB is a connection URL', () => {
    const url = 'postgres://shop:secret@db.internal:5432/gazette';
    expect(
      loadShopConfig({ FARTHING_DATA_DIR: '/srv/farthing', FARTHING_SHOP_DB: url }),
    ).toMatchObject({ storeUrl: url, databasePath: '/srv/farthing/demo-shop.sqlite' });
    expect(loadShopConfig({ FARTHING_SHOP_DB: '/srv/shop.sqlite' })).toMatchObject({
      databasePath: '/srv/shop.sqlite',
    });
    expect(loadShopConfig({ FARTHING_SHOP_DB: '/srv/shop.sqlite' }).storeUrl).toBeUndefined();
  });

  it.each([
    [{ FARTHING_SHOP_PORT: '87O1' }, 'FARTHING_SHOP_PORT must be an integer from 0 to 65535'],
    [{ FARTHING_SHOP_PORT: '70000' }, 'FARTHING_SHOP_PORT must be an integer'],
    [{ FARTHING_BANK_URL: 'http://127.0.0.1:8700/' }, 'FARTHING_BANK_URL must be an origin'],
    [{ FARTHING_SHOP_URL: 'gazette.example' }, 'FARTHING_SHOP_URL must be an origin'],
    [{ FARTHING_SHOP_OPERATOR_PASSWORD: 'short' }, 'at least 8 characters'],
    [{ FARTHING_SHOP_SETTLE_INTERVAL_S: '-1' }, 'FARTHING_SHOP_SETTLE_INTERVAL_S must be'],
    [{ FARTHING_HTTP_REQUEST_TIMEOUT_MS: '0' }, 'FARTHING_HTTP_REQUEST_TIMEOUT_MS must be'],
    [
      { FARTHING_HTTP_HEADERS_TIMEOUT_MS: '40000', FARTHING_HTTP_REQUEST_TIMEOUT_MS: '30000' },
      'must not exceed',
    ],
  ])('refuses %o', (env, message) => {
    expect(() => loadShopConfig(env)).toThrow(ShopConfigError);
    expect(() => loadShopConfig(env)).toThrow(message);
  });
});
