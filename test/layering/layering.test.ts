import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayering, describeViolation, type Layers, type Violation } from './layering.ts';

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

/**
 * Violations known today and being removed in the commits that follow (issue 13): each must
 * still occur, so an entry goes as soon as its violation does.
 */
const known: readonly { readonly why: string; readonly matches: (v: Violation) => boolean }[] = [
  {
    why: "the bank's cycle through http/context.ts and the deposit worker",
    matches: (v) => v.kind === 'cycle' && v.files.includes('bank/src/http/context.ts'),
  },
];

describe('the layering of the repository', () => {
  const violations = checkLayering({ root, layers, extraFolders: ['bench'] });

  it('holds: every import is declared, exported, inside its workspace, and acyclic', () => {
    const unexpected = violations.filter((v) => !known.some((entry) => entry.matches(v)));
    expect(unexpected.map(describeViolation)).toEqual([]);
  });

  it.each(known.map((entry) => [entry.why, entry] as const))(
    'still has the known violation: %s',
    (_, entry) => {
      expect(violations.some(entry.matches)).toBe(true);
    },
  );
});
