/**
 * The layer check `npm test` runs (layering.test.ts): reads every workspace's source imports
 * and says where the layering the README states does not hold.
 *
 * - A workspace imports another one (`@farthing/<name>…`) only if its package.json declares
 *   it, and only a subpath that workspace's `exports` map publishes.
 * - No import leaves its workspace by relative path (`../../bank/src/…`).
 * - `protocol/` imports nothing of ours, and each workspace's package.json declares only the
 *   workspaces its layer allows (`Layers`), so `tsc -b`'s project references agree.
 * - Bare imports of npm packages are declared by the workspace (or are the root's tools).
 * - Test harnesses are `*.fixture.ts` modules, and only tests import them: a `*.test.ts`, another
 *   fixture, or a file under a `test/` folder or in an extra folder (bench). Production code
 *   never does, by relative path or through a `.fixture` subpath of another workspace.
 * - No import cycle among the files of one workspace (type-only imports count: a cycle of
 *   types is still two modules that cannot be understood one without the other).
 *
 * Imports are read with TypeScript's own pre-processor (`ts.preProcessFile`), which sees
 * static and dynamic imports and re-exports, not only lines that look like them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** What a package.json says that matters here. */
interface Manifest {
  readonly name?: string;
  readonly workspaces?: readonly string[];
  readonly exports?: string | Readonly<Record<string, unknown>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/**
 * For each workspace (package name), the workspaces it may declare; '*' for any, which only the
 * test workspace has (all of its code is test code).
 */
export type Layers = Readonly<Record<string, readonly string[] | '*'>>;

export interface LayeringOptions {
  /** The repository root: its package.json lists the workspaces. */
  readonly root: string;
  readonly layers: Layers;
  /** Folders that are no workspace but hold code of ours (e.g. `bench`); they may use any. */
  readonly extraFolders?: readonly string[];
}

export type Violation =
  | { readonly kind: 'undeclared-workspace'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'not-exported'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'relative-escape'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'protocol-imports-ours'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'undeclared-package'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'fixture-in-production'; readonly file: string; readonly specifier: string }
  | { readonly kind: 'layer'; readonly workspace: string; readonly dependency: string }
  | { readonly kind: 'no-layer'; readonly workspace: string }
  | { readonly kind: 'cycle'; readonly files: readonly string[] };

interface Workspace {
  /** The package name, or the folder name of an extra folder. */
  readonly name: string;
  readonly dir: string;
  readonly manifest: Manifest | undefined;
}

const sourceFile = /\.(m|c)?(ts|tsx|js|jsx)$/;
const skippedFolders = new Set(['node_modules', 'dist', '.tsbuild', 'artifacts']);
const ours = '@farthing/';
const protocolName = '@farthing/protocol';
const fixture = /\.fixture(\.tsx?)?$/;
const testFile = /\.test\.tsx?$/;

/** Whether `file` (relative to its workspace) is test code, which may import fixtures. */
function isTestCode(file: string): boolean {
  return testFile.test(file) || fixture.test(file) || file.split(sep).includes('test');
}

function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : undefined;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skippedFolders.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (sourceFile.test(entry.name)) files.push(path);
  }
  return files.sort();
}

/** The module specifiers `file` imports, re-exports or loads with `import()`/`require()`. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}

function declared(manifest: Manifest | undefined): Set<string> {
  return new Set(
    [
      manifest?.dependencies,
      manifest?.devDependencies,
      manifest?.peerDependencies,
      manifest?.optionalDependencies,
    ].flatMap((deps) => Object.keys(deps ?? {})),
  );
}

/** `@scope/name/sub` → [`@scope/name`, `./sub`]; `name/sub` → [`name`, `./sub`]. */
function splitPackage(specifier: string): [string, string] {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(length).join('/');
  return [parts.slice(0, length).join('/'), rest === '' ? '.' : `./${rest}`];
}

/** Whether `exports` publishes `subpath` (exact keys and `*` patterns, Node's rules). */
function isExported(exports: Manifest['exports'], subpath: string): boolean {
  if (exports === undefined) return false;
  if (typeof exports === 'string') return subpath === '.';
  return Object.keys(exports).some((key) => {
    const star = key.indexOf('*');
    if (star < 0) return key === subpath;
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    return (
      subpath.length >= key.length - 1 && subpath.startsWith(before) && subpath.endsWith(after)
    );
  });
}

const builtins = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]!);
}

/** The file a relative specifier names, if it exists (explicit extensions, then the usual). */
function resolveRelative(from: string, specifier: string): string {
  const path = resolve(dirname(from), specifier.replace(/[?#].*$/, ''));
  for (const candidate of [path, `${path}.ts`, `${path}.tsx`, join(path, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return path;
}

function isInside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** Tarjan's strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** Every violation of the layering in the repository at `options.root` (module comment). */
export function checkLayering(options: LayeringOptions): Violation[] {
  const root = resolve(options.root);
  const rootManifest = readManifest(root);
  const workspaces: Workspace[] = [
    ...(rootManifest?.workspaces ?? []).map((folder) => {
      const dir = join(root, folder);
      const manifest = readManifest(dir);
      return { name: manifest?.name ?? folder, dir, manifest };
    }),
    ...(options.extraFolders ?? []).map((folder) => ({
      name: folder,
      dir: join(root, folder),
      manifest: undefined,
    })),
  ];
  const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
  const rootTools = declared(rootManifest);
  const violations: Violation[] = [];
  const at = (file: string) => relative(root, file).split(sep).join('/');

  for (const workspace of workspaces) {
    const extra = workspace.manifest === undefined;
    const layer = extra ? '*' : options.layers[workspace.name];
    const dependencies = declared(workspace.manifest);
    if (layer === undefined) violations.push({ kind: 'no-layer', workspace: workspace.name });
    for (const dependency of [...dependencies].filter((name) => name.startsWith(ours)).sort()) {
      if (layer !== undefined && layer !== '*' && !layer.includes(dependency)) {
        violations.push({ kind: 'layer', workspace: workspace.name, dependency });
      }
    }

    const graph = new Map<string, Set<string>>();
    for (const file of sourceFiles(workspace.dir)) {
      const edges = new Set<string>();
      graph.set(file, edges);
      const mayUseFixtures = extra || layer === '*' || isTestCode(relative(workspace.dir, file));
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const where = { file: at(file), specifier };
        if (!mayUseFixtures && fixture.test(specifier)) {
          violations.push({ kind: 'fixture-in-production', ...where });
        }
        if (specifier.startsWith('.')) {
          const target = resolveRelative(file, specifier);
          if (!isInside(workspace.dir, target)) {
            violations.push({ kind: 'relative-escape', ...where });
          } else if (sourceFile.test(target)) {
            edges.add(target);
          }
          continue;
        }
        if (isBuiltin(specifier) || specifier.startsWith('virtual:')) continue;
        const [name, subpath] = splitPackage(specifier);
        if (name === workspace.name) continue;
        const target = byName.get(name);
        if (target !== undefined && target.manifest !== undefined) {
          if (workspace.name === protocolName) {
            violations.push({ kind: 'protocol-imports-ours', ...where });
          } else if (!extra && !dependencies.has(name)) {
            violations.push({ kind: 'undeclared-workspace', ...where });
          }
          if (!isExported(target.manifest.exports, subpath)) {
            violations.push({ kind: 'not-exported', ...where });
          }
        } else if (!extra && !dependencies.has(name) && !rootTools.has(name)) {
          violations.push({ kind: 'undeclared-package', ...where });
        }
      }
    }
    for (const files of cycles(graph)) violations.push({ kind: 'cycle', files: files.map(at) });
  }
  return violations;
}

/** One line per violation, for a test's failure message. */
export function describeViolation(violation: Violation): string {
  switch (violation.kind) {
    case 'undeclared-workspace':
      return `${violation.file}: imports ${violation.specifier}, a workspace its package.json does not declare`;
    case 'not-exported':
      return `${violation.file}: imports ${violation.specifier}, which that workspace's exports map does not publish`;
    case 'relative-escape':
      return `${violation.file}: imports ${violation.specifier}, outside its workspace, by relative path`;
    case 'protocol-imports-ours':
      return `${violation.file}: protocol imports ${violation.specifier}; protocol depends on nothing of ours`;
    case 'undeclared-package':
      return `${violation.file}: imports ${violation.specifier}, a package its package.json does not declare`;
    case 'fixture-in-production':
      return `${violation.file}: imports the test fixture ${violation.specifier} outside a test`;
    case 'layer':
      return `${violation.workspace}: declares ${violation.dependency}, which its layer does not allow`;
    case 'no-layer':
      return `${violation.workspace}: a workspace with no layer in the layer check`;
    case 'cycle':
      return `import cycle among ${violation.files.join(', ')}`;
    default: {
      const unknown: never = violation;
      return String(unknown);
    }
  }
}
