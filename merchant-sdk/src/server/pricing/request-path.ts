/**
 * Which priced resource a request asks for, decided so that no spelling of a priced path
 * reaches the application unpaid.
 *
 * Frameworks disagree about paths: Express routes case-insensitively and ignores a trailing
 * slash by default, Hono decodes `%61` to `a` before routing, file servers resolve `..`, and
 * some applications decode a parameter a second time (`%252F` → `%2F` → `/`). The guard cannot
 * know which of these the application behind it does, so it sorts every request path into
 * exactly one of three kinds:
 *
 * 1. **priced** — the path is in strict form (below) and matches a price-table entry exactly.
 *    The path itself is the resource that offers, grants and receipts name.
 * 2. **refused** (400 `non_canonical_path`) — the path is not that, but some lenient reading
 *    of it matches a priced entry: any percent-decoding (repeated, so `%252F` counts as `/`),
 *    `\` read as `/`, empty segments dropped (`//`, a trailing `/`), dot segments resolved or
 *    kept, and letters compared without case.
 * 3. **free** — no reading matches a priced entry; the guard is not concerned.
 *
 * Strict form of a segment (RFC 3986 §3.3 `pchar`, narrowed): unreserved characters,
 * sub-delims, `:` and `@`, and percent-encodings with upper-case hex (§6.2.2.1) of bytes that
 * are not unreserved (§6.2.2.2), not `/` `\` `%`, not control characters, and that decode as
 * UTF-8; never `.` or `..`. A strict path is therefore also in the normal form of
 * protocol/src/offer-resource.ts, checked once more before it is used as a resource.
 */
import { isUnreserved, normalizeResource } from '@farthing/protocol/offer-resource';
import {
  type CompiledEntry,
  entryParams,
  entryTitle,
  matchEntry,
  type PricedResource,
} from './price-table.ts';

/** Whether a request path is free, priced (and what), or refused. */
export type PathDecision =
  | { readonly kind: 'free' }
  | { readonly kind: 'priced'; readonly priced: PricedResource }
  | {
      readonly kind: 'refused';
      /** The price-table pattern some lenient reading of the path matched. */
      readonly pattern: string;
    };

/**
 * The path of a request-target or URL, as received: origin-form (`/a?b`) or absolute-form
 * (`https://host/a?b`, RFC 9112 §3.2), up to the query or fragment, not decoded.
 */
export function requestPathOf(target: string): string {
  let start = 0;
  if (!target.startsWith('/')) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (scheme === null) return target;
    start = scheme[0].length;
  }
  let end = target.length;
  for (let i = start; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f || c === 0x23) {
      end = i;
      break;
    }
  }
  return start === end ? '/' : target.slice(start, end);
}

// RFC 3986 §2.3 unreserved, §2.2 sub-delims, ":" and "@".
const strictSegmentCharacter = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

function isStrictSegment(segment: string): boolean {
  if (segment.length === 0 || segment === '.' || segment === '..') return false;
  let escaped = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '%') {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return false; // lower-case or broken escape
      const byte = Number.parseInt(hex, 16);
      if (isUnreserved(byte) || byte === 0x2f || byte === 0x5c || byte === 0x25) return false;
      if (byte < 0x20 || byte === 0x7f) return false;
      escaped = true;
      i += 2;
    } else if (!strictSegmentCharacter.test(c)) {
      return false;
    }
  }
  if (!escaped) return true;
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false; // not UTF-8
  }
}

/** Every `%XX` decoded, as often as there are any left (bounded), bytes read as Latin-1. */
function decodeLeniently(text: string): string {
  let current = text;
  for (let round = 0; round < 8; round++) {
    const next = current.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (next === current) return current;
    current = next;
  }
  return current;
}

function resolveDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out;
}

/**
 * The segment lists a lenient reader could make of `path`: split before decoding (a router
 * that decodes parameters afterwards) or after (one that decodes first, or twice), each with
 * empty segments dropped, and with dot segments kept or resolved. Lower-cased.
 */
function lenientReadings(path: string): string[][] {
  const lower = path.toLowerCase();
  const splitFirst = lower.split(/[/\\]/).map(decodeLeniently);
  const decodedFirst = decodeLeniently(lower).split(/[/\\]/);
  const readings: string[][] = [];
  for (const segments of [splitFirst, decodedFirst]) {
    const nonEmpty = segments.filter((segment) => segment.length > 0);
    readings.push(nonEmpty, resolveDotSegments(nonEmpty));
  }
  return readings;
}

function isNormalResource(path: string): boolean {
  try {
    return normalizeResource(path) === path;
  } catch {
    return false; // longer than a resource may be
  }
}

const exact = (pattern: string, segment: string) => pattern === segment;
const caseless = (pattern: string, segment: string) => pattern.toLowerCase() === segment;

/** Sorts one request path (from `requestPathOf`) into free, priced or refused. */
export function classifyRequestPath(table: readonly CompiledEntry[], path: string): PathDecision {
  if (table.length === 0) return { kind: 'free' };
  const segments = path.startsWith('/') ? path.slice(1).split('/') : [];
  if (segments.length > 0 && segments.every(isStrictSegment)) {
    const entry = table.find((candidate) => matchEntry(candidate, segments, exact));
    if (entry !== undefined && isNormalResource(path)) {
      const params = entryParams(entry, segments);
      return {
        kind: 'priced',
        priced: {
          resource: path,
          price: entry.price,
          title: entryTitle(entry, params),
          pattern: entry.pattern,
          params,
        },
      };
    }
  }
  for (const reading of lenientReadings(path)) {
    const entry = table.find((candidate) => matchEntry(candidate, reading, caseless));
    if (entry !== undefined) return { kind: 'refused', pattern: entry.pattern };
  }
  return { kind: 'free' };
}
