import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorJson } from '../wallet/errors.ts';
import { callBackground } from './client.ts';
import { walletErrorCodes } from './contract.ts';
import { recordMissing, unreachable, WalletFailure } from './failure.ts';

describe('the wallet failure', () => {
  it('crosses the message boundary as JSON and comes back as the same failure', async () => {
    const thrown = new WalletFailure('over_site_budget', 'Raise this site’s budget to pay.', {
      hint: 'settings#sites',
      detail: { left: 3 },
    });
    const answer = { ok: false, error: errorJson(thrown) };
    const caught = await callBackground(async () => answer, 'wallet.overview', {}).catch(
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(WalletFailure);
    expect((caught as WalletFailure).toJSON()).toEqual({
      code: 'over_site_budget',
      message: 'Raise this site’s budget to pay.',
      hint: 'settings#sites',
      detail: { left: 3 },
    });
  });

  it('names the missing record and the value no switch expected, with stable codes', () => {
    expect(recordMissing('coin', 'abc').toJSON()).toEqual({
      code: 'record_missing',
      message: "The wallet's coin is missing from its database; nothing was paid with it.",
      detail: { record: 'coin', key: 'abc' },
    });
    expect(() => unreachable('surprise' as never)).toThrow(
      expect.objectContaining({ code: 'internal', detail: { value: 'surprise' } }),
    );
    expect(walletErrorCodes).toContain('record_missing');
    expect(walletErrorCodes).toContain('signature_invalid');
  });

  it('is what the extension throws: no plain Error without a code in its source', () => {
    const root = join(import.meta.dirname, '..');
    const plain: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(entry.name) && !/\.(test|fixture)\.tsx?$/.test(entry.name)) {
          if (/throw new Error\(/.test(readFileSync(path, 'utf8'))) plain.push(path);
        }
      }
    };
    walk(root);
    expect(plain).toEqual([]);
  });
});
