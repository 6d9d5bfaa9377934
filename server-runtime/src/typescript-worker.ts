/**
 * A worker thread whose entry module is TypeScript, as this project ships it (the bank's
 * deposit checks, the merchant store's writer).
 *
 * Under Node 20 an `--import tsx` in a worker's `execArgv` runs but does not apply its hooks to
 * the worker's own modules, so the worker registers tsx itself before importing its entry,
 * and the parent's tsx flags are left out of its `execArgv`. This works under
 * `node --import tsx` and inside vitest alike; where tsx cannot be found the entry is imported
 * as is (a runtime that loads TypeScript itself).
 *
 * A built entry (`.js`, as the published packages ship) is imported as is. A TypeScript entry
 * also gets the `@farthing/source` export condition, so that the workspace packages it imports
 * resolve to their sources as they do in its parent (they resolve to their built `dist/` files
 * without it).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The export condition under which this repository's packages resolve to their sources. */
const sourceCondition = '--conditions=@farthing/source';

function isTypeScript(entry: URL): boolean {
  return entry.pathname.endsWith('.ts');
}

/**
 * The module `name` (no extension) beside `base` (the caller's `import.meta.url`): TypeScript
 * when the caller runs from its source, JavaScript when it runs from a build.
 */
export function moduleBeside(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** The code the worker evaluates first: tsx registered, then the entry imported. */
function bootstrap(entry: URL): string {
  const load = `import(${JSON.stringify(entry.href)})`;
  if (!isTypeScript(entry)) return load;
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    return load;
  }
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return ${load}; });`;
}

/**
 * The parent's flags, less its tsx loader (registered by `bootstrap` instead), and with the
 * source condition for a TypeScript entry.
 */
function workerExecArgv(entry: URL): string[] {
  const argv: string[] = [];
  const parent = process.execArgv;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if ((arg === '--import' || arg === '--loader') && /tsx/.test(parent[i + 1] ?? '')) i++;
    else if (!/^--(import|loader)=.*tsx/.test(arg)) argv.push(arg);
  }
  if (isTypeScript(entry) && !argv.includes(sourceCondition)) argv.push(sourceCondition);
  return argv;
}

/** Starts a worker on the module `entry`, TypeScript or built (module comment). */
export function typeScriptWorker(
  entry: URL,
  options: Omit<WorkerOptions, 'eval' | 'execArgv'> = {},
): Worker {
  return new Worker(bootstrap(entry), { ...options, eval: true, execArgv: workerExecArgv(entry) });
}
