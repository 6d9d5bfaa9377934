/**
 * The one HTTP request the CA makes on a merchant's behalf: GET the answer to an origin
 * challenge (origin-proof.ts). Node's own http/https client rather than `fetch`, for the
 * controls a CA fetching merchant-chosen URLs needs:
 *
 * - never a redirect (a 3xx is reported, not followed): a merchant answering its own challenge
 *   has none to make, and following one would let it point the bank elsewhere;
 * - a deadline for the whole exchange and a cap on the bytes read;
 * - outside development mode, no connection to a private, loopback, link-local or otherwise
 *   non-public address, checked on the addresses DNS actually returned for this connection
 *   (so a name that resolves inward, or rebinds between a check and the connect, is refused):
 *   the bank must not become a way to probe the network it runs in. Let's Encrypt refuses
 *   such addresses for HTTP-01 too.
 */
import { type LookupAddress, lookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Addresses that are not the public Internet (RFC 6890 special-purpose registries). */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ChallengeFetchError extends Error {
  override readonly name = 'ChallengeFetchError';
  /** What went wrong, in a few words the merchant sees. */
  readonly reason: string;
  constructor(reason: string, cause?: unknown) {
    super(reason, cause === undefined ? undefined : { cause });
    this.reason = reason;
  }
}

export interface ChallengeFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Whether private and loopback addresses may be reached (development mode). */
  readonly allowPrivate: boolean;
}

/** The status and, if it is at most `maxBytes`, the body as UTF-8 text. */
export interface ChallengeFetchResult {
  readonly status: number;
  readonly body: string | undefined;
}

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 4);
      return;
    }
    const allowed = addresses.filter((entry) => isPublicAddress(entry.address));
    if (allowed.length === 0) {
      callback(new ChallengeFetchError('private address'), '', 4);
    } else if (options.all) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
    } else {
      callback(null, allowed[0]!.address, allowed[0]!.family);
    }
  });
};

export function fetchChallengeAnswer(
  url: string,
  options: ChallengeFetchOptions,
): Promise<ChallengeFetchResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    return Promise.reject(new ChallengeFetchError('private address'));
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: ChallengeFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outgoing.destroy();
      reject(error);
    };
    const outgoing = request(
      target,
      {
        method: 'GET',
        headers: { accept: 'text/plain', 'user-agent': 'farthing-bank-ca' },
        ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        agent: false,
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let length = 0;
        let tooLong = false;
        response.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > options.maxBytes) {
            tooLong = true;
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            response.destroy();
            resolve({ status, body: undefined });
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled || tooLong) return;
          settled = true;
          clearTimeout(deadline);
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', (error) => fail(new ChallengeFetchError('unreadable', error)));
      },
    );
    const deadline = setTimeout(() => fail(new ChallengeFetchError('timeout')), options.timeoutMs);
    outgoing.on('error', (error) =>
      fail(
        error instanceof ChallengeFetchError
          ? error
          : new ChallengeFetchError(
              (error as { cause?: unknown }).cause instanceof ChallengeFetchError
                ? 'private address'
                : 'unreachable',
              error,
            ),
      ),
    );
    outgoing.end();
  });
}
