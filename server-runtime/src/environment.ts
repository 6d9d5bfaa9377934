/**
 * Settings of a server process from its environment, checked at start so that a typo fails
 * loudly instead of quietly falling back to a default: the bank and the demo shop read their
 * integers and their HTTP timeouts (the same `FARTHING_HTTP_*_MS` variables) here. A refusal is
 * thrown as the caller's own configuration error, so each program keeps one class of them.
 */
import { type HttpTimeouts, resolveHttpTimeouts } from './http-server.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The error a program throws for a bad setting (the bank's `ConfigError`, the shop's own). */
export type ConfigErrorClass = new (message: string) => Error;

/** Variable `name` as an integer from `min` to `max`; `fallback` when unset or empty. */
export function environmentInteger(
  env: Environment,
  name: string,
  range: { readonly fallback: number; readonly min: number; readonly max: number },
  ConfigError: ConfigErrorClass,
): number {
  const text = env[name];
  if (text === undefined || text === '') return range.fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(
      `${name} must be an integer from ${range.min} to ${range.max}, got "${text}"`,
    );
  }
  return value;
}

/** Node's header, request and keep-alive timeouts from FARTHING_HTTP_*_MS, checked together. */
export function environmentHttpTimeouts(
  env: Environment,
  ConfigError: ConfigErrorClass,
): HttpTimeouts {
  const ms = (name: string, fallback: number) =>
    environmentInteger(env, name, { fallback, min: 1, max: 3_600_000 }, ConfigError);
  try {
    return resolveHttpTimeouts({
      headersMs: ms('FARTHING_HTTP_HEADERS_TIMEOUT_MS', 10_000),
      requestMs: ms('FARTHING_HTTP_REQUEST_TIMEOUT_MS', 30_000),
      keepAliveMs: ms('FARTHING_HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000),
      checkIntervalMs: ms('FARTHING_HTTP_CHECK_INTERVAL_MS', 1_000),
    });
  } catch (error) {
    throw new ConfigError(`FARTHING_HTTP_*: ${(error as Error).message}`);
  }
}
