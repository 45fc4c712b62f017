import { defineConfig } from 'vitest/config';

// .ci/run asks for a JSON report too, to print one plain 'N passed, N failed' line at the end.
const json = process.env.MKOSI_CI_VITEST_JSON;

export default defineConfig({
  test: {
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
    // Every test's temporary files in one directory of the run, removed at its end.
    globalSetup: ['test/support/scratch-dir.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The workflow parser imports its JSON schema without an import attribute, which node refuses:
          // let vite load it.
          server: { deps: { inline: ['@actions/workflow-parser'] } },
        },
      },
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
