/** Small timing helpers shared by the bench modules. */

/** Runs `fn` until `minMs` have passed (at least `minIterations` times); returns ms per call. */
export function timeSync(fn: () => void, { minMs = 1_000, minIterations = 10 } = {}): number {
  let iterations = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || iterations < minIterations) {
    fn();
    iterations++;
    elapsed = performance.now() - started;
  }
  return elapsed / iterations;
}

/** Like `timeSync` for async work, awaited one call at a time. */
export async function timeAsync(
  fn: () => Promise<unknown>,
  { minMs = 1_000, minIterations = 10 } = {},
): Promise<number> {
  let iterations = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || iterations < minIterations) {
    await fn();
    iterations++;
    elapsed = performance.now() - started;
  }
  return elapsed / iterations;
}
