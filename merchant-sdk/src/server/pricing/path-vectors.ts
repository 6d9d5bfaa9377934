/**
 * Test vectors for priced-path matching (request-path.ts), shared by its unit test and the
 * adapter tests that send each one to a real Express server and a Hono app. Not part of the
 * API. The price table is `vectorPrices`; `expected` is what the guard must decide for the
 * request-target `target` as it arrives (not normalised by any URL parser).
 */
import type { PriceEntry } from './price-table.ts';

/** The price table the vectors are decided against. */
export const vectorPrices: readonly PriceEntry[] = [
  { path: '/articles/:slug', price: 'EUR 0.05', title: 'An article' },
  { path: '/downloads/:file', price: 'EUR 0.10' },
  { path: '/gallery/:id/full', price: 'EUR 0.02', title: (params) => `Photo ${params.id}` },
];

/** One request-target and the decision the guard must reach. */
export type PathVector =
  | {
      readonly target: string;
      readonly expected: 'priced';
      readonly resource: string;
      readonly why: string;
    }
  | { readonly target: string; readonly expected: 'refused' | 'free'; readonly why: string };

/** The vectors, grouped by the trick they try. */
export const pathVectors: readonly PathVector[] = [
  // the canonical spelling is priced, with the path as the resource
  { target: '/articles/7', expected: 'priced', resource: '/articles/7', why: 'canonical' },
  {
    target: '/articles/7?ref=home',
    expected: 'priced',
    resource: '/articles/7',
    why: 'query is not part of the price',
  },
  {
    target: '/articles/7?farthing-paying=q-9_AZaz09q-9_AZaz09Ag',
    expected: 'priced',
    resource: '/articles/7',
    why: "the wallet's navigation id (protocol http/paying-navigation.ts) is a query like any other",
  },
  {
    target: '/articles/7#top',
    expected: 'priced',
    resource: '/articles/7',
    why: 'a fragment that reached the server',
  },
  {
    target: 'https://shop.example/articles/7',
    expected: 'priced',
    resource: '/articles/7',
    why: 'absolute-form target',
  },
  {
    target: '/articles/caf%C3%A9',
    expected: 'priced',
    resource: '/articles/caf%C3%A9',
    why: 'UTF-8 in a parameter',
  },
  {
    target: '/articles/a%3Fb',
    expected: 'priced',
    resource: '/articles/a%3Fb',
    why: 'an encoded reserved character is data',
  },
  {
    target: '/downloads/report.pdf',
    expected: 'priced',
    resource: '/downloads/report.pdf',
    why: 'dots inside a segment',
  },
  {
    target: '/gallery/3/full',
    expected: 'priced',
    resource: '/gallery/3/full',
    why: 'literal after a parameter',
  },
  // encoded slashes, once or more
  { target: '/articles%2F7', expected: 'refused', why: '%2F' },
  { target: '/articles%2f7', expected: 'refused', why: '%2f' },
  { target: '/articles%252F7', expected: 'refused', why: '%252F (double-encoded)' },
  { target: '/articles%25252F7', expected: 'refused', why: '%25252F (triple-encoded)' },
  { target: '/articles/7%2F', expected: 'refused', why: 'encoded trailing slash' },
  { target: '/articles/..%2F7', expected: 'refused', why: 'dot-dot with an encoded slash' },
  // dot segments, plain and encoded
  { target: '/free/../articles/7', expected: 'refused', why: '..' },
  { target: '/free/%2e%2e/articles/7', expected: 'refused', why: '%2e%2e' },
  { target: '/free/%2E%2E/articles/7', expected: 'refused', why: '%2E%2E' },
  { target: '/free/.%2e/articles/7', expected: 'refused', why: '.%2e' },
  { target: '/articles/./7', expected: 'refused', why: 'single dot segment' },
  { target: '/articles/..', expected: 'refused', why: '.. as the parameter' },
  { target: '/articles/%2e%2e', expected: 'refused', why: '%2e%2e as the parameter' },
  { target: '/articles/.', expected: 'refused', why: '. as the parameter' },
  // backslashes
  { target: '/articles\\7', expected: 'refused', why: 'backslash' },
  { target: '/articles%5C7', expected: 'refused', why: 'encoded backslash' },
  { target: '/free\\..\\articles\\7', expected: 'refused', why: 'backslash dot-dot' },
  // empty segments and trailing slashes
  { target: '/articles/7/', expected: 'refused', why: 'trailing slash' },
  { target: '/articles/7//', expected: 'refused', why: 'two trailing slashes' },
  { target: '//articles/7', expected: 'refused', why: 'leading //' },
  { target: '/articles//7', expected: 'refused', why: 'inner //' },
  // case
  { target: '/Articles/7', expected: 'refused', why: 'capital letter' },
  { target: '/ARTICLES/7', expected: 'refused', why: 'upper case' },
  { target: '/gallery/3/FULL', expected: 'refused', why: 'upper-case literal after a parameter' },
  // other non-canonical percent-encodings
  { target: '/%61rticles/7', expected: 'refused', why: 'encoded unreserved letter' },
  { target: '/articles/%37', expected: 'refused', why: 'encoded digit' },
  { target: '/articles/caf%c3%a9', expected: 'refused', why: 'lower-case hex' },
  { target: '/articles/7%00', expected: 'refused', why: 'encoded NUL' },
  { target: '/articles/%C3', expected: 'refused', why: 'not UTF-8' },
  { target: '/articles/7%', expected: 'refused', why: 'broken escape' },
  // free: no reading of these is a priced entry
  { target: '/', expected: 'free', why: 'home page' },
  { target: '/articles', expected: 'free', why: 'the section index' },
  { target: '/articles/', expected: 'free', why: 'the section index with a slash' },
  { target: '/articles/7/comments', expected: 'free', why: 'a page below an article' },
  { target: '/gallery/3', expected: 'free', why: 'a gallery page' },
  { target: '/about', expected: 'free', why: 'unpriced page' },
  { target: '/free/%2Fwhatever', expected: 'free', why: 'odd but not near a priced path' },
  { target: '*', expected: 'free', why: 'asterisk-form (OPTIONS *)' },
];
