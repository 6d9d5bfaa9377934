/**
 * Banks over HTTPS only (issue 20): a password or session token must never travel in clear.
 * Plain `http:` is allowed only to loopback addresses, for development, where nothing leaves
 * the machine: `localhost`, IPv4 127.0.0.0/8 (RFC 1122 §3.2.1.3) and IPv6 `::1` (RFC 4291
 * §2.5.3). Anything else is `bank_not_secure`, before a request is sent.
 */
import { WalletFailure } from '../errors.ts';

/** Whether `hostname` (as `URL` serializes it) is a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  // The URL parser has already turned every IPv4 spelling (0x7f.1, 2130706433) into dotted quads.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Throws `bank_not_secure` unless `url` is https, or http to a loopback address. */
export function assertSecureBankUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new WalletFailure('bank_not_secure', `"${url}" is not a web address.`, {
      cause,
      hint: 'settings#banks',
    });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new WalletFailure(
    'bank_not_secure',
    `The wallet talks to banks only over HTTPS, so your password never travels in clear. Use https://${parsed.host || '…'} instead.`,
    { hint: 'settings#banks', detail: { protocol: parsed.protocol } },
  );
}
