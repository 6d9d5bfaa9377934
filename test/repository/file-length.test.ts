/**
 * Small rooms (issue 13, "Done when"): no source file is over 400 lines without a sentence in its
 * header saying why. The header is the comment before the file's first statement; the sentence
 * is recognised by how such sentences start here ("Long because", "Longer than 400", "Past
 * 400", "over 400"), so a header that only says how long something lasts does not count. Read
 * from the tracked files themselves, so a file that grows past the limit fails here until it is
 * split or says why.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const maxLines = 400;
const root = new URL('../../', import.meta.url);

/** The comment lines before the first line of code (blank lines and directives pass). */
function headerOf(text: string): string {
  const header: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || /^(\/\/|\/\*|\*)/.test(trimmed)) header.push(trimmed);
    else break;
  }
  return header.join('\n');
}

function explainsLength(text: string): boolean {
  if (text.split('\n').length - (text.endsWith('\n') ? 1 : 0) <= maxLines) return true;
  return /\b(long because|longer than 400|past 400|over 400)\b/i.test(headerOf(text));
}

const sources = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.tsx', '*.js', '*.mjs'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\0')
  .filter((path) => path !== '');

describe('file length', () => {
  it('every source file over 400 lines says why in its header', () => {
    const unexplained = sources.filter(
      (path) => !explainsLength(readFileSync(new URL(path, root), 'utf8')),
    );
    expect(unexplained).toEqual([]);
  });

  it('finds a long file whose header does not say why, and accepts one that does', () => {
    const body = Array.from({ length: maxLines }, (_, i) => `export const x${i} = ${i};`);
    const silent = ['/** Constants. */', ...body, ''].join('\n');
    const explained = ['/**', ' * Constants.', ' *', ' * Long because it is a table.', ' */'];
    expect(explainsLength(silent)).toBe(false);
    const unrelated = ['/** How long a session lasts. */', ...body, ''].join('\n');
    expect(explainsLength(unrelated)).toBe(false);
    expect(explainsLength([...explained, ...body, ''].join('\n'))).toBe(true);
    expect(explainsLength(['/** Constants. */', ...body.slice(1), ''].join('\n'))).toBe(true);
  });

  it('reads only the header, not a comment further down', () => {
    const body = Array.from({ length: maxLines + 1 }, (_, i) => `export const x${i} = ${i};`);
    expect(explainsLength([...body.slice(0, 3), '// long', ...body.slice(3), ''].join('\n'))).toBe(
      false,
    );
  });
});
