import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The workspace packages resolve to their TypeScript sources under this export condition and
// to their built `dist/` files (what a merchant installs) without it. Vite's resolver gets it
// below; Node's, for the worker threads and child processes tests start, through NODE_OPTIONS,
// which the test processes inherit.
const sourceCondition = '@farthing/source';
if (!process.env.NODE_OPTIONS?.includes(`--conditions=${sourceCondition}`)) {
  process.env.NODE_OPTIONS =
    `${process.env.NODE_OPTIONS ?? ''} --conditions=${sourceCondition}`.trim();
}

// One runner for every workspace: unit tests live next to the code (`*.test.ts`),
// cross-component tests under `test/`.
export default defineConfig({
  resolve: { conditions: [sourceCondition, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions] } },
  test: {
    include: ['*/src/**/*.test.{ts,tsx}', '*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    // Vite resolves `preact` for the DOM tests under the client conditions above; Node would
    // load the testing library's own `preact` under its conditions, a second copy whose hooks
    // do not see the first's renderer. Inlined, the library shares the test's copy.
    server: { deps: { inline: ['@testing-library/preact'] } },
    reporters: ['default', ['json', { outputFile: '.ci/report.json' }]],
  },
});
