/**
 * What the worker keeps for its lifetime once made: imported and parsed keys, which are the same
 * every time for the same key bytes.
 */
export function remembered<V>(memo: Map<string, V>, key: string, make: () => V): V {
  let value = memo.get(key);
  if (value === undefined) {
    value = make();
    memo.set(key, value);
  }
  return value;
}
