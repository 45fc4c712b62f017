import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_CACHE, REPO, TEST_CACHE } from './paths.js';

/**
 * Once per e2e run: the shared tools tree (built or refreshed by .ci/build-tools-tree, reused across
 * runs) and the package cache, both outside the clone.
 */
export default function setup(): void {
  mkdirSync(PACKAGE_CACHE, { recursive: true });
  execFileSync('bash', [path.join(REPO, '.ci/build-tools-tree')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MKOSI_CI_TEST_CACHE: TEST_CACHE },
  });
}
