/**
 * Which coins to withdraw and which to spend, in minor units; pure functions.
 *
 * Withdrawal spread: a change kit first — up to two coins of each value no larger than a
 * twentieth of the amount (at least the smallest value), while the kit stays within a fifth
 * of the amount — then the rest greedily, largest value first. EUR 100 on values 0.01 … 10
 * makes 30 coins, 17.76 of them small enough to pay most priced links without change.
 *
 * Paying: an exact subset of the spendable coins (greedy, then subset-sum), since a deposit
 * spends whole coins and the mint gives no change back. When none exists, one coin is
 * exchanged at the mint (`planChange`) for coins that make the price exactly.
 */

/** Largest-first; returns the coins and what could not be made. */
export function greedy(
  amount: number,
  values: readonly number[],
): { coins: number[]; rest: number } {
  const sorted = [...new Set(values)].filter((value) => value > 0).sort((a, b) => b - a);
  const coins: number[] = [];
  let rest = amount;
  for (const value of sorted) {
    while (rest >= value) {
      coins.push(value);
      rest -= value;
    }
  }
  return { coins, rest };
}

/** The coins (values) a withdrawal of `amount` makes, or undefined when they cannot add up. */
export function planWithdrawal(amount: number, values: readonly number[]): number[] | undefined {
  if (!Number.isSafeInteger(amount) || amount <= 0) return undefined;
  const sorted = [...new Set(values)].filter((value) => value > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const kitLimit = Math.floor(amount / 5);
  const smallest = sorted[0]!;
  const kitValues = sorted.filter((value) => value <= Math.max(Math.floor(amount / 20), smallest));
  const kit: number[] = [];
  let kitTotal = 0;
  for (const value of kitValues) {
    for (let copy = 0; copy < 2; copy++) {
      if (kitTotal + value > kitLimit) break;
      kit.push(value);
      kitTotal += value;
    }
  }
  const { coins, rest } = greedy(amount - kitTotal, sorted);
  if (rest !== 0) return undefined;
  return [...coins, ...kit].sort((a, b) => b - a);
}

export interface CoinValue {
  readonly id: string;
  readonly minor: number;
}

/** Coins whose values add up to exactly `price`, fewest-ish; undefined when none do. */
export function selectExact<C extends CoinValue>(
  coins: readonly C[],
  price: number,
): C[] | undefined {
  if (price <= 0) return undefined;
  const sorted = [...coins].sort((a, b) => b.minor - a.minor);
  const picked: C[] = [];
  let rest = price;
  for (const coin of sorted) {
    if (coin.minor <= rest) {
      picked.push(coin);
      rest -= coin.minor;
      if (rest === 0) return picked;
    }
  }
  // Subset sum (0/1): from[s] is the coin that first reached s; every coin before it reached s − v.
  const total = sorted.reduce((sum, coin) => sum + coin.minor, 0);
  if (total < price) return undefined;
  const from = new Int32Array(price + 1).fill(-1);
  const reached = new Uint8Array(price + 1);
  reached[0] = 1;
  for (const [index, coin] of sorted.entries()) {
    for (let sum = price; sum >= coin.minor; sum--) {
      if (reached[sum] === 0 && reached[sum - coin.minor] === 1) {
        reached[sum] = 1;
        from[sum] = index;
      }
    }
    if (reached[price] === 1) break;
  }
  if (reached[price] === 0) return undefined;
  const result: C[] = [];
  for (let sum = price; sum > 0; ) {
    const coin = sorted[from[sum]!]!;
    result.push(coin);
    sum -= coin.minor;
  }
  return result;
}

export interface ChangePlan<C extends CoinValue> {
  /** The coin to exchange at the mint. */
  readonly coin: C;
  /** The values of the new coins: together exactly `coin.minor`. */
  readonly values: number[];
}

/**
 * One coin to exchange so that `price` can then be paid exactly: the smallest coin worth at
 * least the price, split into the price and the rest; else, adding coins largest first, the
 * one that overshoots, split into what is still missing and the overshoot.
 */
export function planChange<C extends CoinValue>(
  coins: readonly C[],
  price: number,
  values: readonly number[],
): ChangePlan<C> | undefined {
  const split = (coin: C, part: number): ChangePlan<C> | undefined => {
    const first = greedy(part, values);
    const second = greedy(coin.minor - part, values);
    if (first.rest !== 0 || second.rest !== 0) return undefined;
    return { coin, values: [...first.coins, ...second.coins] };
  };
  const single = [...coins]
    .filter((coin) => coin.minor > price)
    .sort((a, b) => a.minor - b.minor)[0];
  if (single !== undefined) return split(single, price);
  let sum = 0;
  for (const coin of [...coins].sort((a, b) => b.minor - a.minor)) {
    if (sum + coin.minor > price) return split(coin, price - sum);
    sum += coin.minor;
  }
  return undefined;
}
