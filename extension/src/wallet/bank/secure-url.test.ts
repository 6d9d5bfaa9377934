import { describe, expect, it } from 'vitest';
import { WalletFailure } from '../errors.ts';
import { assertSecureBankUrl, isLoopbackHost } from './secure-url.ts';

function codeOf(url: string): string | undefined {
  try {
    assertSecureBankUrl(url);
    return undefined;
  } catch (error) {
    return error instanceof WalletFailure ? error.code : String(error);
  }
}

describe('banks over HTTPS only', () => {
  it('refuses a bank over plain HTTP on the network', () => {
    expect(codeOf('http://bank.example')).toBe('bank_not_secure');
    expect(codeOf('http://bank.example:8700/')).toBe('bank_not_secure');
    expect(codeOf('http://10.0.0.1:8700')).toBe('bank_not_secure');
    expect(codeOf('http://128.0.0.1')).toBe('bank_not_secure');
    expect(codeOf('http://localhost.evil.example')).toBe('bank_not_secure');
  });

  it('accepts HTTPS anywhere and plain HTTP to loopback addresses', () => {
    expect(codeOf('https://bank.example')).toBeUndefined();
    expect(codeOf('http://127.0.0.1:8700')).toBeUndefined();
    expect(codeOf('http://127.12.0.9')).toBeUndefined();
    expect(codeOf('http://localhost:8700')).toBeUndefined();
    expect(codeOf('http://[::1]:8700')).toBeUndefined();
  });

  it('refuses other schemes and text that is no address', () => {
    expect(codeOf('ftp://bank.example')).toBe('bank_not_secure');
    expect(codeOf('bank.example')).toBe('bank_not_secure');
  });

  it('judges the address the URL parser sees, whatever the spelling', () => {
    expect(isLoopbackHost(new URL('http://0x7f.1/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://2130706433/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://LOCALHOST/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://[0:0:0:0:0:0:0:1]/').hostname)).toBe(true);
  });
});
