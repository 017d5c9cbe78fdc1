import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.spec.ts', 'test/integration/**/*.spec.ts', 'test/e2e/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // tfjs backends are process-global: one worker per file, files run in parallel up to the core count.
    pool: 'forks',
    reporters: ['default'],
  },
});
