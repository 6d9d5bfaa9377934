/** Structured JSON logs (one object per line) with pino. */
import { pino } from 'pino';
import type { BankConfig } from './config.ts';

export type Logger = pino.Logger;

export function createLogger(config: Pick<BankConfig, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'farthing-bank' } });
}
