import { describe, expect, it } from 'vitest';
import { environmentHttpTimeouts, environmentInteger } from './environment.ts';

class SettingError extends Error {}

describe('environmentInteger', () => {
  const range = { fallback: 7, min: 1, max: 10 };

  it('reads a whole number in range, and the fallback when the variable is unset or empty', () => {
    expect(environmentInteger({ N: '10' }, 'N', range, SettingError)).toBe(10);
    expect(environmentInteger({}, 'N', range, SettingError)).toBe(7);
    expect(environmentInteger({ N: '' }, 'N', range, SettingError)).toBe(7);
  });

  it.each(['0', '11', '1.5', '8O'])(
    'refuses %s with the caller’s error, naming the variable',
    (text) => {
      expect(() => environmentInteger({ N: text }, 'N', range, SettingError)).toThrow(SettingError);
      expect(() => environmentInteger({ N: text }, 'N', range, SettingError)).toThrow(
        `N must be an integer from 1 to 10, got "${text}"`,
      );
    },
  );
});

describe('environmentHttpTimeouts', () => {
  it('reads FARTHING_HTTP_*_MS over the defaults', () => {
    expect(
      environmentHttpTimeouts({ FARTHING_HTTP_REQUEST_TIMEOUT_MS: '20000' }, SettingError),
    ).toEqual({
      headersMs: 10_000,
      requestMs: 20_000,
      keepAliveMs: 65_000,
      checkIntervalMs: 1_000,
    });
  });

  it('refuses a head timeout longer than the request’s with the caller’s error', () => {
    const env = {
      FARTHING_HTTP_HEADERS_TIMEOUT_MS: '40000',
      FARTHING_HTTP_REQUEST_TIMEOUT_MS: '30000',
    };
    expect(() => environmentHttpTimeouts(env, SettingError)).toThrow(SettingError);
    expect(() => environmentHttpTimeouts(env, SettingError)).toThrow(
      /^FARTHING_HTTP_\*: .*must not exceed/,
    );
  });
});
