/**
 * The price table: which paths of the site cost money, and how much (DESIGN.md "Priced link").
 *
 * Pattern syntax (deliberately small, so what is priced is obvious from reading the table):
 *
 *   pattern  = 1*( "/" segment )            e.g. /articles/:slug, /downloads/:file, /about
 *   segment  = literal / ":" name
 *   literal  = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "!" / "$" / "&" / "'" / "(" / ")"
 *                 / "*" / "+" / "," / ";" / "=" / "@" ), and not "." or ".."
 *   name     = ( ALPHA / "_" ) *( ALPHA / DIGIT / "_" )
 *
 * A literal matches itself exactly (case-sensitive, like the resource rule of
 * protocol/src/offer-resource.ts); a `:name` matches exactly one non-empty segment of the
 * strict form checked in request-path.ts. No wildcards, no optional parts, no trailing slash,
 * no query: the query string never takes part in pricing, and `/a` and `/a/` are not both
 * priced by one entry (request-path.ts refuses the second spelling instead).
 *
 * Entries are tried in order; two entries that can match the same path are refused when the
 * table is built, so the price of a path never depends on the order of the table.
 */
import { type Amount, formatAmount, parseAmount } from '@farthing/protocol/amount';
import { FarthingError } from '@farthing/protocol/errors';
import { maxOfferTitleLength } from '@farthing/protocol/offer';

/** One priced resource (or family of resources) of the site. */
export interface PriceEntry {
  /** A pattern such as `/articles/:slug` (syntax above). */
  readonly path: string;
  /** `EUR 0.05`, or an `Amount`; more than zero. */
  readonly price: string | Amount;
  /**
   * What the payer buys, shown in the wallet's confirmation and on the paywall page; a
   * function gets the pattern's parameters (percent-decoded) of the requested path.
   */
  readonly title?: string | ((params: Readonly<Record<string, string>>) => string);
}

/** A path of the price table, matched. */
export interface PricedResource {
  /** The requested path: the resource offers, grants and receipts name. */
  readonly resource: string;
  readonly price: Amount;
  readonly title: string | undefined;
  /** The entry's `path` pattern. */
  readonly pattern: string;
  readonly params: Readonly<Record<string, string>>;
}

type Segment =
  | { readonly type: 'literal'; readonly text: string }
  | { readonly type: 'param'; readonly name: string };

/** A price-table entry once checked. */
export interface CompiledEntry {
  readonly pattern: string;
  readonly segments: readonly Segment[];
  readonly price: Amount;
  readonly title: PriceEntry['title'];
}

const literalPattern = /^[A-Za-z0-9\-._~!$&'()*+,;=@]+$/;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalidEntry(index: number, field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `prices.${index}.${field} ${message}`, {
    details: { field: `prices.${index}.${field}` },
  });
}

function compilePattern(path: unknown, index: number): Segment[] {
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 512) {
    throw invalidEntry(index, 'path', 'must be a pattern starting with "/"');
  }
  const names = new Set<string>();
  return path
    .slice(1)
    .split('/')
    .map((part): Segment => {
      if (part.startsWith(':')) {
        const name = part.slice(1);
        if (!namePattern.test(name) || names.has(name)) {
          throw invalidEntry(index, 'path', `has a bad or repeated parameter "${part}"`);
        }
        names.add(name);
        return { type: 'param', name };
      }
      if (!literalPattern.test(part) || part === '.' || part === '..') {
        throw invalidEntry(
          index,
          'path',
          `has a segment "${part}" that is empty, a dot segment or needs percent-encoding`,
        );
      }
      return { type: 'literal', text: part };
    });
}

/** Two patterns overlap when some path matches both. */
function overlaps(a: readonly Segment[], b: readonly Segment[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((segment, i) => {
    const other = b[i]!;
    return segment.type === 'param' || other.type === 'param' || segment.text === other.text;
  });
}

/** Validates and compiles the merchant's price table; throws `invalid_argument` naming the entry. */
export function compilePriceTable(entries: readonly PriceEntry[]): readonly CompiledEntry[] {
  if (!Array.isArray(entries)) {
    throw new FarthingError('invalid_argument', '"prices" must be an array of price entries', {
      details: { field: 'prices' },
    });
  }
  const compiled: CompiledEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    const segments = compilePattern(entry?.path, index);
    let price: Amount;
    try {
      price = typeof entry.price === 'string' ? parseAmount(entry.price) : entry.price;
      formatAmount(price);
    } catch (cause) {
      throw new FarthingError('invalid_argument', `prices.${index}.price is not an amount`, {
        details: { field: `prices.${index}.price` },
        cause,
      });
    }
    if (price.minor === 0) throw invalidEntry(index, 'price', 'must be more than zero');
    const { title } = entry;
    if (
      title !== undefined &&
      typeof title !== 'function' &&
      (typeof title !== 'string' || title.length === 0 || title.length > maxOfferTitleLength)
    ) {
      throw invalidEntry(index, 'title', `must be 1–${maxOfferTitleLength} characters`);
    }
    const clash = compiled.find((other) => overlaps(other.segments, segments));
    if (clash !== undefined) {
      throw invalidEntry(index, 'path', `overlaps the earlier entry "${clash.pattern}"`);
    }
    compiled.push({ pattern: entry.path, segments, price, title });
  }
  return compiled;
}

/** Segments of a request path split on "/" (the leading empty one dropped). */
export function matchEntry(
  entry: CompiledEntry,
  segments: readonly string[],
  compare: (pattern: string, segment: string) => boolean,
): boolean {
  if (entry.segments.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const pattern = entry.segments[i]!;
    const segment = segments[i]!;
    if (segment.length === 0) return false;
    if (pattern.type === 'literal' && !compare(pattern.text, segment)) return false;
  }
  return true;
}

/** The parameters of a path `entry` matched, percent-decoded. */
export function entryParams(
  entry: CompiledEntry,
  segments: readonly string[],
): Record<string, string> {
  const params: Record<string, string> = {};
  entry.segments.forEach((pattern, i) => {
    if (pattern.type === 'param') params[pattern.name] = decodeURIComponent(segments[i]!);
  });
  return params;
}

/** The title an entry gives one matched path, checked against the offer's limit. */
export function entryTitle(
  entry: CompiledEntry,
  params: Readonly<Record<string, string>>,
): string | undefined {
  const { title } = entry;
  if (typeof title !== 'function') return title;
  const text = title(params);
  if (typeof text !== 'string' || text.length === 0) return undefined;
  if (text.length <= maxOfferTitleLength) return text.toWellFormed();
  return `${text.slice(0, maxOfferTitleLength - 1)}…`.toWellFormed();
}
