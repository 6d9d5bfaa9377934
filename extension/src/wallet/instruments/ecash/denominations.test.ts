import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChange, planWithdrawal, selectExact } from './denominations.ts';

const euro = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

describe('planWithdrawal', () => {
  it('makes EUR 100 of a change kit and large coins', () => {
    const coins = planWithdrawal(10_000, euro)!;
    expect(coins.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(coins).toHaveLength(30);
    expect(coins.filter((c) => c === 1)).toHaveLength(2);
  });

  it('always adds up exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), (amount) => {
        const coins = planWithdrawal(amount, euro)!;
        expect(coins.reduce((a, b) => a + b, 0)).toBe(amount);
      }),
    );
  });

  it('refuses amounts the values cannot make', () => {
    expect(planWithdrawal(3, [2])).toBeUndefined();
  });
});

describe('selectExact and planChange', () => {
  const coins = (values: number[]) => values.map((minor, i) => ({ id: String(i), minor }));

  it('finds an exact subset greedy misses', () => {
    expect(selectExact(coins([5, 3, 3]), 6)?.map((c) => c.minor)).toEqual([3, 3]);
  });

  it('plans change when no subset pays the price', () => {
    const plan = planChange(coins([20]), 12, euro)!;
    expect(plan.values.reduce((a, b) => a + b, 0)).toBe(20);
    expect(selectExact(coins(plan.values), 12)).toBeDefined();
  });

  it('after the planned change the price can always be paid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...euro), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3000 }),
        (values, price) => {
          const held = coins(values);
          if (held.reduce((a, c) => a + c.minor, 0) < price || selectExact(held, price)) return;
          const plan = planChange(held, price, euro)!;
          const rest = held.filter((c) => c !== plan.coin);
          const after = [...rest, ...coins(plan.values).map((c) => ({ ...c, id: `n${c.id}` }))];
          expect(selectExact(after, price)).toBeDefined();
        },
      ),
    );
  });
});
