import { defineConfig } from 'vitest/config';

// The unit tests alone, for Stryker (npm run mutate): no e2e project, so no tools-tree global setup.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // As in vitest.config.ts: every test's temporary files in one directory of the run.
    globalSetup: ['test/support/scratch-dir.ts'],
    // Stryker runs the tests in worker threads, where process.chdir() (which @actions/cache's save needs
    // to plant an archive) is refused; that file tests restore, which no mutated file decides.
    exclude: process.env.MKOSI_CI_MUTATE ? ['test/unit/cache/restore-poisoned.test.ts'] : [],
    // As in vitest.config.ts: the workflow parser's JSON schema is loaded by vite.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
