/**
 * The SDK's only way to the bank: its public HTTP API (bank/src/{mint,broker,ca}/routes.ts),
 * JSON in and out, the merchant's API key as `Authorization: Bearer`, an `Idempotency-Key` on
 * every state-changing call.
 *
 * Failures come back as `FarthingError`s: a problem the payer caused (a spent or forged coin)
 * keeps the bank's code, so the wallet learns what happened; anything else — the bank
 * unreachable, slow, failing, or refusing the merchant's own request (a wrong API key) — is
 * `bank_unavailable` (503), with the bank's code in `details.bankCode` for the merchant's logs.
 */
import { type ErrorCode, FarthingError, fromProblemDetails } from '@farthing/protocol/errors';

/** Codes of the bank that describe the payer's coins, passed on to the payer as they are. */
const payerCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'coin_already_spent',
  'coin_invalid',
  'coin_amount_mismatch',
  'bad_signature',
  'merchant_mismatch',
  'currency_mismatch',
  'unknown_denomination',
  'denomination_expired',
  'denomination_not_yet_valid',
  'unsupported_version',
  'conflict',
]);

/** Where the bank is and how to reach it. */
export interface BankClientOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly fetch: typeof globalThis.fetch;
  /** Per request; default 15 s. */
  readonly timeoutMs?: number;
}

/** Per call: its idempotency key, which codes pass, whether to authenticate. */
export interface BankCallOptions {
  readonly idempotencyKey?: string;
  /**
   * Which of the bank's codes are thrown as they are: `payer` (deposits: the coins' codes),
   * `all` (the merchant's own calls, e.g. registration); by default none.
   */
  readonly pass?: 'payer' | 'all';
  readonly auth?: boolean;
}

/** A JSON client for the bank's HTTP API (see the module comment for its errors). */
export class BankClient {
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(options: BankClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** GET a JSON document. */
  get(path: string, options: BankCallOptions = {}): Promise<unknown> {
    return this.#call('GET', path, undefined, options);
  }

  /** POST a JSON body (already serialized, so a retry sends the very same bytes). */
  post(path: string, body: string, options: BankCallOptions = {}): Promise<unknown> {
    return this.#call('POST', path, body, options);
  }

  async #call(
    method: string,
    path: string,
    body: string | undefined,
    options: BankCallOptions,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false && this.#apiKey !== undefined) {
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      throw unavailable(`the bank could not be reached (${method} ${path})`, {}, cause);
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (cause) {
      throw unavailable(
        `the bank answered ${method} ${path} with something other than JSON`,
        { bankStatus: response.status },
        cause,
      );
    }
    if (response.ok) return json;
    const problem = fromProblemDetails(json);
    const passed =
      options.pass === 'all' || (options.pass === 'payer' && payerCodes.has(problem.code));
    if (passed && response.status < 500) throw problem;
    throw unavailable(
      `the bank refused ${method} ${path}; try again later`,
      { bankStatus: response.status, bankCode: problem.code },
      problem,
    );
  }
}

function unavailable(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): FarthingError {
  return new FarthingError('bank_unavailable', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}
