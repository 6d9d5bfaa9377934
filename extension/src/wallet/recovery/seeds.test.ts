import { hkdfSync } from 'node:crypto';
import { signingBytes } from '@farthing/protocol/encoding';
import { describe, expect, it } from 'vitest';
import { deriveSeed } from './seeds.ts';

const master = new Uint8Array(32).map((_, i) => i);

describe('seeds derived from the master secret', () => {
  it('are RFC 5869 HKDF-SHA256 with the recovery salt and a tagged info (checked with Node)', () => {
    const info = signingBytes('walletRecovery', 1, (w) =>
      w.string('withdrawal', 'purpose', 32).u32(7, 'counter'),
    );
    const node = new Uint8Array(hkdfSync('sha256', master, 'farthing/wallet-recovery', info, 32));
    expect(deriveSeed(master, 'withdrawal', 7)).toEqual(node);
  });

  it('are the same for the same purpose and counter, and differ otherwise', () => {
    expect(deriveSeed(master, 'withdrawal', 0)).toEqual(deriveSeed(master, 'withdrawal', 0));
    const seen = new Set<string>();
    for (const purpose of ['withdrawal', 'change', 'payword-chain'] as const) {
      for (let counter = 0; counter < 20; counter++) {
        seen.add(Buffer.from(deriveSeed(master, purpose, counter)).toString('hex'));
      }
    }
    expect(seen.size).toBe(60);
  });

  it('refuses a master secret of the wrong length and an out-of-range counter', () => {
    expect(() => deriveSeed(master.subarray(1), 'withdrawal', 0)).toThrow(RangeError);
    expect(() => deriveSeed(master, 'withdrawal', -1)).toThrow(/"counter"/);
    expect(() => deriveSeed(master, 'withdrawal', 2 ** 32)).toThrow(RangeError);
  });
});
