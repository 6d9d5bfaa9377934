/**
 * Which coin values the mint issues and how long each denomination key lives (DESIGN.md
 * "E-cash": "one RSA-2048 key per denomination and validity period").
 *
 * A key signs coins for `withdrawPeriodMs` from its `validFrom`; its coins can be deposited
 * until `depositPeriodMs` after `validFrom`, so a coin withdrawn on the key's last day still
 * has most of a year to be spent. The next key of a value is generated `lookaheadMs` before
 * the current one stops signing and becomes valid `overlapMs` before that, so wallets see it
 * in the key set in advance and there is never a moment without a key to withdraw with.
 *
 * Every figure can be overridden from the environment (`FARTHING_MINT_*`), checked at
 * startup like the rest of the configuration.
 */
import { parseAmount } from '@farthing/protocol/amount';
import { ConfigError } from '../config.ts';

export interface MintKeyPolicy {
  /** Coin values, in minor units of the bank's currency, ascending. */
  readonly values: readonly number[];
  readonly withdrawPeriodMs: number;
  /** Counted from `validFrom`; at least `withdrawPeriodMs`. */
  readonly depositPeriodMs: number;
  readonly overlapMs: number;
  readonly lookaheadMs: number;
  /** How often the mint checks whether a key is due (and re-signs the key set). */
  readonly checkIntervalMs: number;
}

const hour = 3_600_000;
const day = 24 * hour;

/** The list: 0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1, 2, 5, 10 of the currency. */
export const defaultCoinValues = [
  '0.01',
  '0.02',
  '0.05',
  '0.10',
  '0.20',
  '0.50',
  '1',
  '2',
  '5',
  '10',
];

export const defaultMintTiming = {
  withdrawPeriodMs: 30 * day,
  depositPeriodMs: 365 * day,
  overlapMs: day,
  lookaheadMs: 7 * day,
  checkIntervalMs: hour,
} as const;

/** Values as minor units; those finer than the currency's minor unit (JPY 0.01) are left out. */
export function coinValues(currency: string, values: readonly string[]): number[] {
  const minor = new Set<number>();
  for (const value of values) {
    try {
      minor.add(parseAmount(`${currency} ${value}`).minor);
    } catch {
      // A value the currency cannot express is skipped; an empty result is reported below.
    }
  }
  return [...minor].filter((value) => value > 0).sort((a, b) => a - b);
}

/** Throws `ConfigError` unless the windows fit together (see the module comment). */
export function checkMintKeyPolicy(policy: MintKeyPolicy): MintKeyPolicy {
  const { values, withdrawPeriodMs, depositPeriodMs, overlapMs, lookaheadMs } = policy;
  if (values.length === 0 || values.some((value) => !Number.isSafeInteger(value) || value <= 0)) {
    throw new ConfigError('the mint needs at least one positive coin value');
  }
  if (!(withdrawPeriodMs > 0 && depositPeriodMs >= withdrawPeriodMs)) {
    throw new ConfigError('the deposit period must be at least the withdraw period');
  }
  // Creating one key moves the newest withdraw end by (withdrawPeriod − overlap); with the
  // lookahead no longer than that, one new key per value is always enough.
  if (
    !(overlapMs >= 0 && overlapMs <= lookaheadMs && lookaheadMs <= withdrawPeriodMs - overlapMs)
  ) {
    throw new ConfigError(
      'mint key timing must satisfy overlap ≤ lookahead ≤ withdraw period − overlap',
    );
  }
  if (!(policy.checkIntervalMs > 0 && policy.checkIntervalMs <= lookaheadMs)) {
    throw new ConfigError('the key check interval must be positive and at most the lookahead');
  }
  return policy;
}

type Env = Readonly<Record<string, string | undefined>>;

function duration(env: Env, name: string, unitMs: number, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0 || value * unitMs > 10 * 365 * day) {
    throw new ConfigError(`${name} must be a whole number up to ten years, got "${text}"`);
  }
  return value * unitMs;
}

/**
 * The policy from the environment: `FARTHING_MINT_VALUES` (comma-separated, e.g.
 * `0.05,0.10,1`), `FARTHING_MINT_WITHDRAW_DAYS`, `FARTHING_MINT_DEPOSIT_DAYS`,
 * `FARTHING_MINT_OVERLAP_HOURS`, `FARTHING_MINT_LOOKAHEAD_HOURS`, `FARTHING_MINT_CHECK_MINUTES`.
 */
export function loadMintKeyPolicy(env: Env, currency: string): MintKeyPolicy {
  const listed = env.FARTHING_MINT_VALUES;
  const values = coinValues(
    currency,
    listed === undefined || listed === ''
      ? defaultCoinValues
      : listed.split(',').map((v) => v.trim()),
  );
  return checkMintKeyPolicy({
    values,
    withdrawPeriodMs: duration(
      env,
      'FARTHING_MINT_WITHDRAW_DAYS',
      day,
      defaultMintTiming.withdrawPeriodMs,
    ),
    depositPeriodMs: duration(
      env,
      'FARTHING_MINT_DEPOSIT_DAYS',
      day,
      defaultMintTiming.depositPeriodMs,
    ),
    overlapMs: duration(env, 'FARTHING_MINT_OVERLAP_HOURS', hour, defaultMintTiming.overlapMs),
    lookaheadMs: duration(
      env,
      'FARTHING_MINT_LOOKAHEAD_HOURS',
      hour,
      defaultMintTiming.lookaheadMs,
    ),
    checkIntervalMs: duration(
      env,
      'FARTHING_MINT_CHECK_MINUTES',
      60_000,
      defaultMintTiming.checkIntervalMs,
    ),
  });
}
