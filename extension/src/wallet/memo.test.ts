import { describe, expect, it } from 'vitest';
import { remembered } from './memo.ts';

describe('remembered', () => {
  it('makes a value once per key and gives it back after', () => {
    const memo = new Map<string, { made: number }>();
    let made = 0;
    const make = () => ({ made: ++made });
    const first = remembered(memo, 'a', make);
    expect(remembered(memo, 'a', make)).toBe(first);
    expect(made).toBe(1);
    expect(remembered(memo, 'b', make)).toEqual({ made: 2 });
    expect(made).toBe(2);
  });
});
