import { describe, expect, it } from 'vitest';
import {
  assertBytes,
  assertInteger,
  assertString,
  errorCatalog,
  FarthingError,
  fromProblemDetails,
  isFarthingError,
  problemContentType,
  problemResponse,
  toProblemDetails,
} from './errors.ts';

describe('FarthingError', () => {
  it('carries a stable code, short message, details and cause', () => {
    const cause = new Error('low level');
    const error = new FarthingError('offer_expired', 'the offer expired; reload the page', {
      details: { expiredAt: 5 },
      cause,
    });
    expect(error.name).toBe('FarthingError');
    expect(error.code).toBe('offer_expired');
    expect(error.status).toBe(410);
    expect(error.message).toBe('the offer expired; reload the page [offer_expired]');
    expect(error.shortMessage).toBe('the offer expired; reload the page');
    expect(error.details).toEqual({ expiredAt: 5 });
    expect(error.cause).toBe(cause);
    expect(isFarthingError(error, 'offer_expired')).toBe(true);
    expect(isFarthingError(error, 'bad_signature')).toBe(false);
    expect(isFarthingError(new Error('x'))).toBe(false);
  });

  it('maps every code to an HTTP error status', () => {
    for (const info of Object.values(errorCatalog)) {
      expect(info.status).toBeGreaterThanOrEqual(400);
      expect(info.status).toBeLessThan(600);
      expect(info.title.length).toBeGreaterThan(0);
    }
  });
});

describe('argument checks', () => {
  it('names the field, the expected and the actual size', () => {
    expect(() => assertBytes(new Uint8Array(31), 'coinPub', 32)).toThrow(
      'expected 32-byte Uint8Array "coinPub", got 31 [invalid_argument]',
    );
    expect(() => assertBytes('ab', 'coinPub')).toThrow('expected Uint8Array "coinPub", got string');
    expect(() => assertBytes([1, 2], 'coinPub')).toThrow('got array of 2');
    expect(() => assertInteger(1.5, 'index')).toThrow('expected integer "index", got number');
    expect(() => assertInteger(7, 'index', 0, 5)).toThrow('expected "index" in [0, 5], got 7');
    expect(() => assertString('', 'merchantId')).toThrow(
      'non-empty well-formed string "merchantId"',
    );
    expect(() => assertString('a\uD800', 'merchantId')).toThrow(FarthingError);
    expect(() => assertString('x'.repeat(9), 'merchantId', 8)).toThrow(FarthingError);
    expect(() => assertString(null, 'merchantId')).toThrow('got null');
  });

  it('accepts what it should', () => {
    expect(() => assertBytes(new Uint8Array(32), 'k', 32)).not.toThrow();
    expect(() => assertInteger(0, 'i')).not.toThrow();
    expect(() => assertString('ok', 's')).not.toThrow();
  });
});

describe('RFC 9457 problem details', () => {
  it('renders a FarthingError with its code, status and extension members', () => {
    const error = new FarthingError('payword_replayed', 'this payword was already spent', {
      details: { index: 4, status: 999, type: 'spoofed' },
    });
    expect(toProblemDetails(error, '/pay/1')).toEqual({
      type: 'urn:farthing:problem:payword_replayed',
      title: 'PayWord already spent',
      status: 409,
      detail: 'this payword was already spent',
      code: 'payword_replayed',
      instance: '/pay/1',
      index: 4,
    });
  });

  it('hides the message of an unexpected error', () => {
    const problem = toProblemDetails(new Error('SQLITE_BUSY at /srv/db'));
    expect(problem.code).toBe('internal');
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('SQLITE');
  });

  it('builds a Response with the problem content type', async () => {
    const response = problemResponse(new FarthingError('not_found', 'no such coin'), {
      headers: { 'cache-control': 'no-store' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe(problemContentType);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ code: 'not_found', detail: 'no such coin' });
  });

  it('turns a received problem back into the same error', () => {
    const original = new FarthingError('bad_signature', 'offer signature invalid', {
      details: { field: 'signature' },
    });
    const back = fromProblemDetails(JSON.parse(JSON.stringify(toProblemDetails(original))));
    expect(back.code).toBe('bad_signature');
    expect(back.shortMessage).toBe('offer signature invalid');
    expect(back.details).toEqual({ field: 'signature' });
  });

  it('refuses problem documents that are not ours', () => {
    expect(fromProblemDetails(null).code).toBe('invalid_message');
    expect(fromProblemDetails({ code: 'made_up' }).code).toBe('invalid_message');
    expect(fromProblemDetails({ code: 'not_found', type: 'about:blank' }).code).toBe(
      'invalid_message',
    );
    expect(
      fromProblemDetails({ code: 'toString', type: 'urn:farthing:problem:toString' }).code,
    ).toBe('invalid_message');
  });
});
