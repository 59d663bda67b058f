import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native modules (Temporal core, embedded PostgreSQL) want processes, not threads; the
    // machine has two cores and the files share one Temporal server, so they run one at a time.
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['tests/**/*.test.ts'],
    // The long fault drills run with `npm run drills` (vitest.drills.config.ts).
    exclude: ['tests/long/**', '**/node_modules/**'],
  },
});
