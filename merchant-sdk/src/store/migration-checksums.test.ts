/**
 * A released migration step is never edited: shops' databases applied its text (and SQLite
 * keeps each CREATE statement as written, in `sqlite_master`). So every step's SQL, per backend
 * and version, must hash to the SHA-256 recorded here when it was released, as Flyway keeps its
 * checksums. A new step is appended with its checksum added below.
 */
import { describeMigrationChecksums } from '@farthing/server-runtime/migration-checksums.fixture';
import { migrations as postgres } from './postgres-schema.ts';
import { migrations as sqlite } from './sqlite-schema.ts';

describeMigrationChecksums('the merchant store', {
  sqlite: {
    migrations: sqlite,
    released: [
      '0d315e9b512c4d46925dadc7c78692bec1a518a76eef439008402a75c0d60040',
      '7496b0506032246e800dd11295ab27587fa51435c644649e5d8f786139c6f12e',
      '2967b9ac75cd1bb23997e7605de89806698f6e06986b913c10c4a8c1ece812e5',
      '929e8cc6fd73b3f46eae697548f7d55cb7aa98ab095deab318c9d0610de71dfb',
      '3b6df30368f950f5d2e0f7e9f78d9795af6c4660f24c6c0f17c6408f449747f2',
      'd389577345f28e09270bbd056f3d8feab24bf826b1736ec03d5ba4862a9bd21c',
      '0baea818f5b30aae63fee044bc5d017e5e7b024f3d26ea4a7b610086ae3e91cd',
      'd7658cdf0e472f0df3f8b3efbcbb74d3d2ca82bd469e5806f0fc8833842125cb',
    ],
  },
  postgres: {
    migrations: postgres,
    released: [
      'a8e6fbb70d55c223691f6ab478afa725a8e83c95d368ca4f3f23985ab17dde41',
      '820c3df7c5a69ecd6b6ca8afbb1b6b116203c4b305e50f65434f77ccfedb4411',
      'ceb1984b38763342ab60dfc74b9f02d3ed2d7249ad4c4546227f32a4b6390c46',
      'bf9a06d7351dbd317e3be25a779d95b3771f08f8f481fb682fb9fce7dd73f85d',
    ],
  },
});
