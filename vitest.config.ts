import { defineConfig } from 'vitest/config';

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
