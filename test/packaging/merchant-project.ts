/**
 * A new merchant's project outside this repository: the packages `npm pack` makes of
 * `protocol/`, `server-runtime/` and `merchant-sdk/`, installed from their tarballs beside
 * Express, Hono and the types a TypeScript merchant adds, with the sites of `./site/` copied in.
 * Nothing here runs through this repository's TypeScript loader or its `@farthing/source`
 * condition: the children get an environment without NODE_OPTIONS and npm's own variables.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const siteDir = fileURLToPath(new URL('./site/', import.meta.url));

/** The workspaces a merchant installs, in build order. */
export const packedWorkspaces = ['protocol', 'server-runtime', 'merchant-sdk'] as const;

/** The versions the project installs beside the tarballs (those this repository locks). */
const thirdParty = {
  dependencies: { express: '5.3.0', hono: '4.13.19', '@hono/node-server': '2.1.8' },
  devDependencies: { '@types/node': '20.19.43', '@types/express': '5.0.6' },
};

/** The environment of a process a merchant would start: no source condition, no npm run state. */
export function merchantEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.toLowerCase().startsWith('npm_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Builds the packages unless `npm test`'s pretest (or `npm run build:packages`) already did. */
async function ensureBuilt(): Promise<void> {
  if (packedWorkspaces.every((w) => existsSync(join(repoRoot, w, 'dist')))) return;
  await run('npm', ['run', 'build:packages'], { cwd: repoRoot, env: merchantEnv() });
}

export interface MerchantProject {
  readonly dir: string;
  /** The tarballs' file names, by workspace. */
  readonly tarballs: Readonly<Record<(typeof packedWorkspaces)[number], string>>;
  /** `tar -tzf` of a tarball: the paths it holds. */
  contents(workspace: (typeof packedWorkspaces)[number]): Promise<string[]>;
  /** Runs `tsc` (this repository's compiler) on the project's `consumer.ts`. */
  typeCheck(): Promise<{ code: number; output: string }>;
  /** Starts `node <file>` in the project and resolves once it prints `listening <origin>`. */
  start(file: string, env: Readonly<Record<string, string>>): Promise<RunningSite>;
}

export interface RunningSite {
  readonly origin: string;
  readonly child: ChildProcess;
  /** What it wrote to stderr so far. */
  readonly errors: string[];
  stop(): Promise<void>;
}

/** Packs, makes the project and installs it (one `npm install`, from npm's cache when it can). */
export async function openMerchantProject(): Promise<MerchantProject> {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'farthing-new-merchant-'));
  // The tarballs as built by pretest: --ignore-scripts skips `prepack`'s second build.
  const packArgs = ['pack', '--ignore-scripts', '--json', '--pack-destination', dir];
  for (const workspace of packedWorkspaces) packArgs.push('-w', workspace);
  const packed = JSON.parse(
    (await run('npm', packArgs, { cwd: repoRoot, env: merchantEnv() })).stdout,
  ) as { name: string; filename: string }[];
  const tarballs = Object.fromEntries(
    packedWorkspaces.map((w) => [w, packed.find((p) => p.name === `@farthing/${w}`)!.filename]),
  ) as MerchantProject['tarballs'];

  // The SDK's own @farthing dependencies are listed too, so npm takes them from the tarballs
  // rather than looking for them in the registry (where they are not published yet).
  const farthing = Object.fromEntries(
    packedWorkspaces.map((w) => [`@farthing/${w}`, `file:./${tarballs[w]}`]),
  );
  const manifest = {
    name: 'new-merchant',
    private: true,
    type: 'module',
    dependencies: { ...farthing, ...thirdParty.dependencies },
    devDependencies: thirdParty.devDependencies,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        // As merchants' projects do: the published declarations are checked through their
        // use in consumer.ts (whose @ts-expect-error lines fail if a type decays to any).
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  for (const file of readdirSync(siteDir)) cpSync(join(siteDir, file), join(dir, file));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: merchantEnv({ PUPPETEER_SKIP_DOWNLOAD: '1' }),
  });

  return {
    dir,
    tarballs,
    async contents(workspace) {
      const { stdout } = await run('tar', ['-tzf', join(dir, tarballs[workspace])]);
      return stdout.split('\n').filter((line) => line !== '');
    },
    async typeCheck() {
      const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
      try {
        const { stdout } = await run(process.execPath, [tsc, '-p', dir], {
          cwd: dir,
          env: merchantEnv(),
        });
        return { code: 0, output: stdout };
      } catch (error) {
        const failed = error as { code: number; stdout: string };
        return { code: failed.code, output: failed.stdout };
      }
    },
    start: (file, env) => startSite(dir, file, env),
  };
}

function startSite(
  dir: string,
  file: string,
  env: Readonly<Record<string, string>>,
): Promise<RunningSite> {
  const child = spawn(process.execPath, [file], { cwd: dir, env: merchantEnv(env) });
  const errors: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else {
        child.once('exit', () => resolve());
        child.kill();
      }
    });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const listening = /listening (\S+)/.exec(out);
      if (listening) resolve({ origin: listening[1]!, child, errors, stop });
    });
    child.once('exit', (code) =>
      reject(new Error(`${file} exited with ${code} before listening: ${errors.join('')}`)),
    );
  });
}
