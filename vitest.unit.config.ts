import { defineConfig } from 'vitest/config';

// The unit tests alone, for Stryker (npm run mutate): no e2e project, so no tools-tree global setup.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // As in vitest.config.ts: the workflow parser's JSON schema is loaded by vite.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
