import { defineConfig } from 'vitest/config';

// The unit tests alone, for Stryker (npm run mutate): no e2e project, so no tools-tree global setup.
export default defineConfig({
  test: { include: ['test/unit/**/*.test.ts'] },
});
