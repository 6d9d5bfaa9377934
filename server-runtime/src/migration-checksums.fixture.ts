/**
 * Holds released migrations to their checksums, for the bank's and the merchant store's
 * `migration-checksums.test.ts`: a released migration is never edited (databases in the field
 * applied its text, and SQLite keeps each CREATE statement as written in `sqlite_master`), so
 * every migration's SQL must hash to the SHA-256 recorded when it was released, as Flyway keeps
 * its checksums; a new migration fails until its checksum is recorded too.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

const sha256 = (sql: string) => createHash('sha256').update(sql).digest('hex');

/** One suite per backend: `released` are the recorded SHA-256s, oldest first. */
export function describeMigrationChecksums(
  owner: string,
  backends: Record<string, { migrations: readonly string[]; released: readonly string[] }>,
): void {
  describe.each(Object.entries(backends))(`${owner}’s %s migrations`, (_backend, backend) => {
    const { migrations, released } = backend;
    it('render each released migration byte for byte as it was released', () => {
      expect(migrations.slice(0, released.length).map(sha256)).toEqual(released);
    });

    it('have a recorded checksum for every migration', () => {
      const unrecorded = migrations.slice(released.length).map(sha256);
      expect(unrecorded, 'append these SHA-256 of new migrations to the released list').toEqual([]);
    });
  });
}
