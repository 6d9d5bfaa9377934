/**
 * Keeping the merchant certificate fresh while the merchant runs.
 *
 * The bank's CA issues short-lived merchant certificates (30 days
 * by default, bank/src/ca/merchant-certificates.ts), and every wallet refuses to pay a merchant
 * whose certificate has expired (x509/merchant-certificate.ts). A site that registers once at
 * start-up therefore stops being paid after its certificate's `notAfter`, however healthy it
 * is otherwise. `merchant.keepCertificateRenewed` asks for a new chain (normally
 * `registerWithBank` again) once the current one is within `renewBeforeMs` of its end, and
 * swaps it in with `replaceCertificate`.
 *
 * - The default `renewBeforeMs` is a third of the current certificate's lifetime (10 days of a
 *   30-day certificate): it scales with whatever validity the bank issues, and leaves a bank
 *   outage or a revoked API key days to be noticed and fixed before wallets start refusing.
 * - Failures are retried from `retryMs`, doubling up to `checkIntervalMs`, never sleeping longer
 *   than half the validity left, and every failure goes to `onError`. Once the certificate has expired, each further
 *   failure is followed by a `certificate_expired` report: the lapse is never silent.
 * - One attempt at a time: the next timer is set only when an attempt has finished.
 * - Due-ness is judged by the merchant's clock (`config.now`), while the waiting is done by
 *   timers, which count neither time a machine spends suspended nor a clock set forward; so the
 *   schedule looks at the clock at least every `checkIntervalMs` (an hour) however far the
 *   renewal is. Timers are `unref()`'d: the schedule never keeps a process alive.
 */
import { FarthingError } from '@farthing/protocol/errors';
import type { CertificateChainInput, MerchantCertificateStatus } from '../config.ts';

/** What `renew` may resolve to: a chain, or `registerWithBank`'s answer as it is. */
export type RenewedCertificateChain =
  | CertificateChainInput
  | { readonly certificateChain: CertificateChainInput };

/** `merchant.keepCertificateRenewed`'s options. */
export interface KeepCertificateRenewedOptions {
  /**
   * Gets a new chain for the same merchant, origins and offer key, normally
   * `() => registerWithBank({ ... })`; persist it here too if the site reads its chain from a
   * file at start-up.
   */
  readonly renew: () => Promise<RenewedCertificateChain>;
  /** Renew once less than this is left; default a third of the certificate's lifetime. */
  readonly renewBeforeMs?: number;
  /** The first retry's delay after a failure, doubling up to `checkIntervalMs`; default 1 minute. */
  readonly retryMs?: number;
  /** The longest the schedule sleeps before looking at the clock again; default 1 hour. */
  readonly checkIntervalMs?: number;
  /** Called with the new certificate once it is served, and the one it replaced. */
  readonly onRenewed?: (
    certificate: MerchantCertificateStatus,
    previous: MerchantCertificateStatus,
  ) => void;
  /**
   * Called with each failed attempt (the attempt is retried), then a `certificate_expired`
   * error once the served certificate has lapsed. Default: `console.error`.
   */
  readonly onError?: (error: unknown) => void;
}

/** A running renewal schedule. */
export interface CertificateRenewal {
  /**
   * Stops the schedule; idempotent. An attempt in progress is not waited for, and what it
   * brings is dropped: after `stop()` the schedule never touches the merchant again.
   */
  stop(): void;
}

/** What the schedule needs of the merchant. */
export interface RenewableCertificate {
  readonly certificate: MerchantCertificateStatus;
  /** Checks and installs `chain` (throws and keeps the current one when it does not fit). */
  replaceCertificate(chain: CertificateChainInput): MerchantCertificateStatus;
  /** The clock certificate validity is judged by. */
  now(): number;
}

const defaultRetryMs = 60_000;
const defaultCheckIntervalMs = 3_600_000;
/** setTimeout's longest delay (a signed 32-bit count of milliseconds). */
const maxTimerDelay = 2 ** 31 - 1;

function invalid(field: string, message: string): FarthingError {
  return new FarthingError('invalid_argument', `"${field}" ${message}`, { details: { field } });
}

function milliseconds(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > maxTimerDelay) {
    throw invalid(field, `must be a whole number of milliseconds from 1 to ${maxTimerDelay}`);
  }
  return value;
}

function chainOf(renewed: RenewedCertificateChain): CertificateChainInput {
  if (typeof renewed === 'object' && renewed !== null && 'certificateChain' in renewed) {
    return renewed.certificateChain;
  }
  return renewed;
}

function reportToConsole(error: unknown): void {
  console.error('farthing: merchant certificate renewal:', error);
}

/** Starts renewing `holder`'s certificate (see the module comment); `merchant.ts` calls it. */
export function startCertificateRenewal(
  holder: RenewableCertificate,
  options: KeepCertificateRenewedOptions,
): CertificateRenewal {
  if (typeof options?.renew !== 'function') throw invalid('renew', 'must be a function');
  const retryMs = milliseconds(options.retryMs, defaultRetryMs, 'retryMs');
  const checkIntervalMs = milliseconds(
    options.checkIntervalMs,
    defaultCheckIntervalMs,
    'checkIntervalMs',
  );
  const current = holder.certificate;
  const lifetime = current.notAfter - current.notBefore;
  if (options.renewBeforeMs !== undefined) {
    milliseconds(options.renewBeforeMs, 0, 'renewBeforeMs');
    // A fresh certificate would be due at once: the schedule would renew without end.
    if (options.renewBeforeMs >= lifetime) {
      throw invalid(
        'renewBeforeMs',
        `must be shorter than the certificate's lifetime (${lifetime} ms)`,
      );
    }
  }
  const renewBeforeOf = (status: MerchantCertificateStatus) =>
    options.renewBeforeMs ?? Math.floor((status.notAfter - status.notBefore) / 3);
  const onError = options.onError ?? reportToConsole;
  const report = (error: unknown) => {
    try {
      onError(error);
    } catch {
      // A failing reporter must not stop the schedule that keeps the site payable.
    }
  };

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const sleep = (delay: number, next: () => void) => {
    if (stopped) return;
    timer = setTimeout(next, Math.max(0, Math.min(delay, checkIntervalMs, maxTimerDelay)));
    timer.unref?.();
  };

  const check = () => {
    timer = undefined;
    if (stopped) return;
    const status = holder.certificate;
    const dueAt = status.notAfter - renewBeforeOf(status);
    const now = holder.now();
    if (now < dueAt) sleep(dueAt - now, check);
    else void attempt();
  };

  const failed = (error: unknown) => {
    failures += 1;
    report(error);
    const status = holder.certificate;
    const left = status.notAfter - holder.now();
    if (left <= 0) {
      report(
        new FarthingError(
          'certificate_expired',
          `the merchant certificate ${status.serialNumber} expired at ${new Date(status.notAfter).toISOString()} and renewing it failed: wallets refuse to pay until a renewal succeeds`,
          {
            details: { serialNumber: status.serialNumber, notAfter: status.notAfter },
            cause: error,
          },
        ),
      );
    }
    // Back off (up to `checkIntervalMs`, where `sleep` caps it), but while the certificate
    // still holds, try again before half of what is left has gone.
    const backoff = retryMs * 2 ** Math.min(failures - 1, 30);
    sleep(left > 0 ? Math.max(retryMs, Math.min(backoff, left / 2)) : backoff, () => {
      timer = undefined;
      if (!stopped) void attempt();
    });
  };

  const attempt = async () => {
    const previous = holder.certificate;
    let installed: MerchantCertificateStatus;
    try {
      const renewed = await options.renew();
      if (stopped) return;
      installed = holder.replaceCertificate(chainOf(renewed));
    } catch (error) {
      if (!stopped) failed(error);
      return;
    }
    if (installed.notAfter - holder.now() < renewBeforeOf(installed)) {
      // Renewing again at once would get the same: the bank's certificates (or its CA's own
      // validity) are shorter than the window. Say so, and retry at the failure pace.
      failed(
        invalid(
          'renewBeforeMs',
          `leaves the renewed certificate ${installed.serialNumber} due at once (valid until ${new Date(installed.notAfter).toISOString()}); renew closer to the end, or check the bank's CA validity`,
        ),
      );
    } else {
      failures = 0;
      sleep(0, check);
    }
    if (installed.serialNumber !== previous.serialNumber) {
      try {
        options.onRenewed?.(installed, previous);
      } catch (error) {
        report(error);
      }
    }
  };

  sleep(0, check);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
