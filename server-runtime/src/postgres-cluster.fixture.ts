/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl start` on
 * a free loopback port with its socket in that folder, and on `stop()` the server stopped and
 * the folder removed. PostgreSQL refuses to run as root, so as root the server runs as the
 * `postgres` user Debian's package creates. One cluster per test file; each test takes a
 * fresh database of it (`createDatabase`), which costs a few milliseconds.
 *
 * Without the server installed this fails saying how to install it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian's postgresql package puts the server's programs. */
export const debianPostgresBin = '/usr/lib/postgresql/15/bin';

export function postgresMissing(binDir: string): string {
  return `PostgreSQL's server is not installed (no ${join(binDir, 'initdb')}). Install it with \`apt-get install -y postgresql\` (Debian; .ci/run does this) or point FARTHING_PG_BIN at the folder holding initdb and pg_ctl.`;
}

export interface PostgresCluster {
  readonly port: number;
  /** The folder of the data directory, socket and log. */
  readonly dir: string;
  /** A connection URL for `database` on this server. */
  url(database: string): string;
  /** Runs one statement on `database` (tests and benchmarks reading the server's counters). */
  query(database: string, text: string): Promise<Record<string, unknown>[]>;
  /** Creates an empty database and returns its connection URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server at once (`-m immediate`, a crash) and starts it again. */
  restart(mode?: 'fast' | 'immediate'): void;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function startPostgresCluster(
  binDir = process.env.FARTHING_PG_BIN || debianPostgresBin,
): Promise<PostgresCluster> {
  if (!existsSync(join(binDir, 'initdb'))) throw new Error(postgresMissing(binDir));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'farthing-pg-'));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const run = (command: string, args: readonly string[]) => {
    const [file, argv] =
      owner === undefined
        ? [join(binDir, command), args]
        : ['runuser', ['-u', 'postgres', '--', join(binDir, command), ...args]];
    const result = spawnSync(file, argv as string[], { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'farthing', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      'start',
      '-w',
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
    ]);
  try {
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (database: string) => `postgres://farthing@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    port,
    dir,
    url,
    async query(database, text) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return (await client.query(text)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async createDatabase(prefix = 'bank') {
      const name = `${prefix}_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    restart(mode = 'immediate') {
      run('pg_ctl', ['stop', '-w', '-D', data, '-m', mode]);
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['stop', '-w', '-D', data, '-m', 'fast']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as: install Debian\'s postgresql package (`apt-get install -y postgresql`), which creates it.',
    );
  }
}
