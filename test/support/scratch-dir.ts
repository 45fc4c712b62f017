import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Once per test run: a temporary directory of the run's own, which every test's mkdtemp() lands in
 * (TMPDIR, inherited by the workers and the processes the tests start), removed when the run ends so a
 * run by hand leaves nothing behind in /tmp. `.ci/run` gives the tests a scratch directory already
 * (MKOSI_CI_TEST_SCRATCH) and keeps it when a test failed: then this does nothing.
 */
export default function setup(): (() => void) | undefined {
  if (process.env.MKOSI_CI_TEST_SCRATCH) return undefined;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mkosi-ci-tests-'));
  process.env.TMPDIR = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}
