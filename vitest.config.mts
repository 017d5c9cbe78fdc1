import { defineConfig } from 'vitest/config';

import { PlainSummaryReporter } from './scripts/plain-summary-reporter';
import { tfjsEsmAliases } from './scripts/tfjs-esm-aliases';

export default defineConfig({
  resolve: { alias: tfjsEsmAliases },
  test: {
    include: ['test/unit/**/*.spec.ts', 'test/integration/**/*.spec.ts', 'test/e2e/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // tfjs backends are process-global: one worker per file, files run in parallel up to the core count.
    pool: 'forks',
    // threads = 'auto' follows the machine's load, which the suite's parallel files make vary from run to run;
    // tests that compare runs need the same thread count each time (nas/parallel/threads.ts reads this).
    env: { NAS_STUDIO_AUTO_THREADS: '1' },
    reporters: ['default', new PlainSummaryReporter()],
    // One copy of tfjs: its packages' CJS entries (loaded when externalised) register neither gradients nor
    // chained ops, and mixing them with the ESM files that do breaks the engine. Inline = ESM everywhere,
    // exactly as the app's build bundles them.
    server: { deps: { inline: [/@tensorflow\//] } },
  },
});
