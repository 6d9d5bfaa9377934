import { defineConfig } from 'vitest/config';

// One runner for every workspace: unit tests live next to the code (`*.test.ts`),
// cross-component tests under `test/`.
export default defineConfig({
  test: {
    include: ['*/src/**/*.test.{ts,tsx}', '*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: '.ci/report.json' }]],
  },
});
