import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // The e2e files share one tools tree and package cache and each builds real images: run them
          // one at a time so two mkosi builds never compete for the two cores of the CI machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 30 * 60_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
