import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayering, describeViolation, importsOf, type Layers } from './layering.ts';

type Tree = Record<string, string>;

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** A small repository that keeps every rule: protocol ← bank, protocol ← shop. */
function cleanTree(): Tree {
  return {
    'package.json': json({ name: 'root', workspaces: ['protocol', 'bank', 'shop'] }),
    'protocol/package.json': json({
      name: '@farthing/protocol',
      exports: { './amount': './src/amount.ts', './coin/*': './src/coin/*.ts' },
    }),
    'protocol/src/amount.ts': "import { x } from './coin/coin.ts';\nexport const amount = x;\n",
    'protocol/src/coin/coin.ts': "import { hash } from 'node:crypto';\nexport const x = hash;\n",
    'bank/package.json': json({
      name: '@farthing/bank',
      exports: { './app': './src/app.ts' },
      dependencies: { '@farthing/protocol': '0.1.0', hono: '4.0.0' },
    }),
    'bank/src/app.ts': [
      "import { amount } from '@farthing/protocol/amount';",
      "import { x } from '@farthing/protocol/coin/coin';",
      "import { Hono } from 'hono';",
      "import { route } from './routes.ts';",
      'export const app = [amount, x, Hono, route];',
      '',
    ].join('\n'),
    'bank/src/routes.ts': "export const route = await import('./lazy.ts');\n",
    'bank/src/lazy.ts': 'export const lazy = 1;\n',
    'shop/package.json': json({
      name: '@farthing/shop',
      dependencies: { '@farthing/protocol': '0.1.0' },
    }),
    'shop/src/shop.ts': "export { amount } from '@farthing/protocol/amount';\n",
  };
}

const layers: Layers = {
  '@farthing/protocol': [],
  '@farthing/bank': ['@farthing/protocol'],
  '@farthing/shop': ['@farthing/protocol'],
};

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function check(tree: Tree, policy: Layers = layers): string[] {
  const root = mkdtempSync(join(tmpdir(), 'farthing-layering-'));
  roots.push(root);
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return checkLayering({ root, layers: policy }).map(describeViolation);
}

describe('checkLayering', () => {
  it('finds nothing in a tree that keeps every rule', () => {
    expect(check(cleanTree())).toEqual([]);
  });

  it('refuses an import of a workspace the package.json does not declare', () => {
    const tree = cleanTree();
    tree['shop/src/bank.ts'] = "import { app } from '@farthing/bank/app';\nexport { app };\n";
    expect(check(tree)).toEqual([
      'shop/src/bank.ts: imports @farthing/bank/app, a workspace its package.json does not declare',
    ]);
  });

  it("refuses another workspace's files by relative path", () => {
    const tree = cleanTree();
    tree['bank/src/reach.ts'] = "export * from '../../protocol/src/amount.ts';\n";
    expect(check(tree)).toEqual([
      'bank/src/reach.ts: imports ../../protocol/src/amount.ts, outside its workspace, by relative path',
    ]);
  });

  it('refuses a subpath the exports map does not publish', () => {
    const tree = cleanTree();
    tree['bank/src/inner.ts'] = "import '@farthing/protocol/src/amount.ts';\n";
    expect(check(tree)).toEqual([
      "bank/src/inner.ts: imports @farthing/protocol/src/amount.ts, which that workspace's exports map does not publish",
    ]);
  });

  it('refuses any import of ours in protocol, even a declared one', () => {
    const tree = cleanTree();
    tree['protocol/package.json'] = json({
      name: '@farthing/protocol',
      exports: { './amount': './src/amount.ts', './coin/*': './src/coin/*.ts' },
      dependencies: { '@farthing/bank': '0.1.0' },
    });
    tree['protocol/src/up.ts'] = "const app = import('@farthing/bank/app');\nexport { app };\n";
    expect(check(tree)).toEqual([
      '@farthing/protocol: declares @farthing/bank, which its layer does not allow',
      'protocol/src/up.ts: protocol imports @farthing/bank/app; protocol depends on nothing of ours',
    ]);
  });

  it('refuses a declared dependency its layer does not allow', () => {
    const tree = cleanTree();
    tree['shop/package.json'] = json({
      name: '@farthing/shop',
      dependencies: { '@farthing/protocol': '0.1.0', '@farthing/bank': '0.1.0' },
    });
    expect(check(tree)).toEqual([
      '@farthing/shop: declares @farthing/bank, which its layer does not allow',
    ]);
  });

  it('refuses a workspace the layer policy does not know', () => {
    expect(check(cleanTree(), { ...layers, '@farthing/shop': undefined } as never)).toEqual([
      '@farthing/shop: a workspace with no layer in the layer check',
    ]);
  });

  it('refuses a test fixture imported by production code, relatively or through exports', () => {
    const tree = cleanTree();
    tree['protocol/package.json'] = json({
      name: '@farthing/protocol',
      exports: {
        './amount': './src/amount.ts',
        './coin/*': './src/coin/*.ts',
        './amount.fixture': './src/amount.fixture.ts',
      },
    });
    tree['protocol/src/amount.fixture.ts'] = "export { amount } from './amount.ts';\n";
    tree['protocol/src/amount.test.ts'] = "import { amount } from './amount.fixture.ts';\n";
    tree['protocol/src/leak.ts'] = "export * from './amount.fixture.ts';\n";
    tree['bank/src/test/helper.ts'] = "export * from '@farthing/protocol/amount.fixture';\n";
    tree['bank/src/leak.ts'] = "export * from '@farthing/protocol/amount.fixture';\n";
    expect(check(tree)).toEqual([
      'protocol/src/leak.ts: imports the test fixture ./amount.fixture.ts outside a test',
      'bank/src/leak.ts: imports the test fixture @farthing/protocol/amount.fixture outside a test',
    ]);
  });

  it('refuses an npm package the workspace does not declare', () => {
    const tree = cleanTree();
    tree['shop/src/pad.ts'] = "import pad from 'left-pad/index.js';\nexport { pad };\n";
    expect(check(tree)).toEqual([
      'shop/src/pad.ts: imports left-pad/index.js, a package its package.json does not declare',
    ]);
  });

  it('finds an import cycle, type-only imports included, and names its files', () => {
    const tree = cleanTree();
    tree['bank/src/lazy.ts'] =
      "import type { Route } from './a/route.ts';\nexport type L = Route;\n";
    tree['bank/src/a/route.ts'] =
      "import { app } from '../app.ts';\nexport type Route = typeof app;\n";
    expect(check(tree)).toEqual([
      'import cycle among bank/src/a/route.ts, bank/src/app.ts, bank/src/lazy.ts, bank/src/routes.ts',
    ]);
  });

  it('finds a module that imports itself', () => {
    const tree = cleanTree();
    tree['shop/src/self.ts'] = "export * from './self.ts';\n";
    expect(check(tree)).toEqual(['import cycle among shop/src/self.ts']);
  });
});

describe('importsOf', () => {
  it('reads static, dynamic, side-effect and re-export imports, not strings or comments', () => {
    const text = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "export { c } from 'c';",
      "import 'd';",
      "const e = await import('e');",
      'const s = "import x from \'not-an-import\'";',
      "// import y from 'commented';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
