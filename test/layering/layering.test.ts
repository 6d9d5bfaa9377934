import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayering, describeViolation, type Layers } from './layering.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The README's layer rule: which workspaces each workspace may declare. */
const layers: Layers = {
  '@farthing/protocol': [],
  '@farthing/server-runtime': [],
  '@farthing/bank': ['@farthing/protocol', '@farthing/server-runtime'],
  '@farthing/merchant-sdk': ['@farthing/protocol', '@farthing/server-runtime'],
  '@farthing/extension': ['@farthing/protocol'],
  '@farthing/reader': ['@farthing/protocol'],
  '@farthing/demo-shop': ['@farthing/merchant-sdk'],
  '@farthing/test': '*',
};

describe('the layering of the repository', () => {
  const violations = checkLayering({ root, layers, extraFolders: ['bench'] });

  it('holds: every import is declared, exported, inside its workspace, and acyclic', () => {
    expect(violations.map(describeViolation)).toEqual([]);
  });
});
