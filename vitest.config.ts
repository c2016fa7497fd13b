import { defineConfig } from 'vitest/config';

// The lab matrix: files that each start a lab of another shape of their own (3 brokers, OAUTHBEARER, identity
// naming, partial failures on the 3-broker TLS SCRAM-512 lab). CI runs the TLS SCRAM-512 profile test and leaves
// these to `FAILOVER_LAB_MATRIX=1 npm test`, which runs them as well (README, Tests).
const LAB_MATRIX = [
  'test/integration/lab/multiBroker.test.ts',
  'test/integration/lab/profileOauth.test.ts',
  'test/integration/lab/identity.test.ts',
  'test/integration/drill/partial.test.ts',
];
const matrix = process.env.FAILOVER_LAB_MATRIX === '1';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Some unit tests spawn the built CLI; a loaded 2-core machine needs slack.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: matrix ? [] : LAB_MATRIX,
          environment: 'node',
          globalSetup: ['test/integration/globalSetup.ts'],
          setupFiles: ['test/integration/pairReset.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One lab, shared; files run one at a time because some of them
          // kill or pause a broker and restore it before they end.
          fileParallelism: false,
        },
      },
    ],
  },
});
