import { defineConfig } from 'vitest/config';
import base from './vitest.config';

/**
 * npm run drills: the fault drills at full length — the suite's quick drills (PostgreSQL now down
 * for 30 s), the crash and scale-out tests, the replay gate, and the long drills kept out of the suite.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'tests/drills/**/*.test.ts',
      'tests/long/**/*.test.ts',
      'tests/scale/**/*.test.ts',
      'tests/workflows/crash.test.ts',
      'tests/notifications/crash.test.ts',
      'tests/notifications/email.test.ts',
      'tests/replay/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    env: { DRILL_PG_OUTAGE_MS: '30000', DRILL_TEMPORAL_KILLS: '6' },
    testTimeout: 300_000,
  },
});
