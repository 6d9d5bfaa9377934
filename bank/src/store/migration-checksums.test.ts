/**
 * A released migration is never edited: databases in the field applied its text (and SQLite
 * keeps each CREATE statement as written, in `sqlite_master`). So every migration's SQL, per
 * backend and version, must hash to the SHA-256 recorded here when it was released, as Flyway
 * keeps its checksums. A new migration is appended with its checksum added below.
 */
import { describeMigrationChecksums } from '@farthing/server-runtime/migration-checksums.fixture';
import { migrations as postgres } from './postgres/migrations.ts';
import { migrations as sqlite } from './sqlite/migrations.ts';

describeMigrationChecksums('the bank', {
  sqlite: {
    migrations: sqlite,
    released: [
      'f80887a9535bd0ff7a3a0a3bef30b0f8ee7029dca55ce10fd2b913f9bb0fe7a2',
      '2822537c2716443f05972c2042bc4ff7eb6d01ee2f07cf5b6001662031944a82',
      'e0d882ab9d0240ccebcbd37f644778f4699d2fe80f005ec0dafd8348ee70cb71',
      '1c9515d849e84999cfe987de1922b1ea5cb86aff82af25bac2b7fdbb5458ad04',
      '362a14b3e2c19ca49687883e0413dd8ce8d1bf4769d47ea20067fe481fd342fa',
      '115e3c24e9f2d7e80541c9d3c1fc2b2e6a5757a8dda284ce3003e2059da82c4a',
    ],
  },
  postgres: {
    migrations: postgres,
    released: [
      '408079bb7d6b5640bda2dcb5dd885278657013952040864039a0b93b961c6668',
      'c955469142a3ab3837bd06fb8e8c740e0e2e73d744d7400251615d6baa4792cd',
      '19a44c7865087cbc50574d463103d035998a2d88877d36d9cda5ee699287c6ac',
      '115e3c24e9f2d7e80541c9d3c1fc2b2e6a5757a8dda284ce3003e2059da82c4a',
    ],
  },
});
