/**
 * One payment at a time per merchant: its words and coins are reserved in click order, and the
 * words prepared for a hovered link (../instruments/payword/prepared.ts) are made ready, taken
 * and given back in the same line.
 */
const vendorQueues = new Map<string, Promise<unknown>>();

/** Runs `run` once everything queued before it for `key` has settled. */
export function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = vendorQueues.get(key) ?? Promise.resolve();
  const result = previous.then(run, run);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  vendorQueues.set(key, tail);
  void tail.then(() => {
    if (vendorQueues.get(key) === tail) vendorQueues.delete(key);
  });
  return result;
}
