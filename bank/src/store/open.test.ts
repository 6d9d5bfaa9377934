import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { describeLocation, isPostgresUrl } from './open.ts';

describe('choosing the storage backend', () => {
  it('takes a postgres:// FARTHING_BANK_DB as PostgreSQL with its pool size, and seeds no demo there', () => {
    const config = loadConfig({
      FARTHING_BANK_DB: 'postgres://bank:secret@db.internal:5432/bank',
      FARTHING_BANK_DB_POOL: '25',
    });
    expect(isPostgresUrl(config.databasePath)).toBe(true);
    expect(config.databasePoolSize).toBe(25);
    expect(config.seedDemo).toBe(false);
    expect(loadConfig({ FARTHING_BANK_DB: 'postgresql://db/bank' }).databasePoolSize).toBe(10);
  });

  it('keeps SQLite for a path', () => {
    const config = loadConfig({ FARTHING_BANK_DB: '/srv/farthing/bank.sqlite' });
    expect(isPostgresUrl(config.databasePath)).toBe(false);
    expect(config.seedDemo).toBe(true);
  });

  it('refuses a URL without a host and a pool size out of range', () => {
    expect(() => loadConfig({ FARTHING_BANK_DB: 'postgres://' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ FARTHING_BANK_DB: 'postgres://db/bank', FARTHING_BANK_DB_POOL: '0' }),
    ).toThrow('FARTHING_BANK_DB_POOL must be an integer from 1 to 1000');
  });

  it('never logs the password of a connection URL', () => {
    expect(describeLocation('postgres://bank:secret@db.internal:5432/bank')).toBe(
      'postgres://bank:***@db.internal:5432/bank',
    );
    expect(describeLocation('/srv/farthing/bank.sqlite')).toBe('/srv/farthing/bank.sqlite');
  });
});
