/**
 * `npm ci` on a fresh clone installs exactly the committed lockfile and refuses one that does not
 * match the package.json files (issue 18, finding 5). These are the conditions it checks, read
 * from the files themselves, so a dependency added without `npm install` updating the lockfile
 * fails here rather than on the next machine: every workspace's declared dependencies are in its
 * lockfile entry, every dependency a locked package names (optional ones too: Biome's binaries
 * for other platforms) is locked with a version and an integrity hash, and CI installs with
 * `npm ci`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

interface LockedPackage {
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const lock = json('package-lock.json') as {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
};
const manifest = json('package.json') as { workspaces: string[] };

/** Where Node would resolve `name` from the package at `from` (nearest node_modules upwards). */
function resolveLocked(from: string, name: string): LockedPackage | undefined {
  let base = from;
  for (;;) {
    const entry = lock.packages[`${base === '' ? '' : `${base}/`}node_modules/${name}`];
    if (entry !== undefined) return entry;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

describe('the committed lockfile', () => {
  it('is a version 3 lockfile', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it.each(['', ...manifest.workspaces])(
    'locks exactly what "%s" declares ("": the root)',
    (workspace) => {
      const declared = json(`${workspace === '' ? '' : `${workspace}/`}package.json`);
      const locked = lock.packages[workspace]!;
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
        expect(locked[field] ?? {}, `${workspace || 'root'} ${field}`).toEqual(
          declared[field] ?? {},
        );
      }
    },
  );

  it('locks every dependency a locked package needs, optional ones included, with its hash', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.includes('node_modules/') || entry.link) continue;
      if (entry.version === undefined || entry.integrity === undefined) {
        missing.push(`${path} has no version or integrity`);
      }
      const needed = { ...entry.dependencies, ...entry.optionalDependencies };
      for (const [name, optional] of Object.entries(entry.peerDependencies ?? {})) {
        if (entry.peerDependenciesMeta?.[name]?.optional !== true) needed[name] = optional;
      }
      for (const name of Object.keys(needed)) {
        if (resolveLocked(path, name) === undefined) missing.push(`${path} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('locks Biome’s binaries for every platform, not only this one', () => {
    const biome = lock.packages['node_modules/@biomejs/biome']!;
    const platforms = Object.keys(biome.optionalDependencies ?? {});
    expect(platforms.length).toBeGreaterThanOrEqual(8);
    for (const name of platforms) {
      expect(lock.packages[`node_modules/${name}`], name).toMatchObject({
        version: biome.version,
        optional: true,
      });
    }
  });

  it('is what CI installs, with npm ci', () => {
    const script = readFileSync(new URL('.ci/run', root), 'utf8');
    const installs = script.split('\n').filter((line) => /^\s*npm (ci|install)\b/.test(line));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci\b/);
  });
});
