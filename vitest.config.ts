import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import every workspace package from its source, so `vitest` never runs
// against stale builds; plain Node uses the built `dist/` through each exports map.
const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));
const names = ['wire', 'data', 'ml', 'strategies', 'protocol', 'sdk', 'identity', 'secagg', 'privacy', 'fairness', 'dashboard'];

export default defineConfig({
  resolve: {
    alias: names.map((n) => ({ find: new RegExp(`^@cohortfl/${n}$`), replacement: pkg(n) })),
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'coordinator/src/**/*.test.ts', 'site-agent/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
