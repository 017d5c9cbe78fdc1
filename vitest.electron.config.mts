import { defineConfig } from 'vitest/config';

// Electron-only tests (test/electron): need the Electron binary, so they are not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/electron/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
