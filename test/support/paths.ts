import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_PROJECTS = path.join(REPO, 'test-projects');

/** Outside the clone, so a rerun on the same machine finds the packages and the tools tree. */
export const TEST_CACHE = process.env.MKOSI_CI_TEST_CACHE ?? '/var/cache/mkosi-ci-test';
export const PACKAGE_CACHE = path.join(TEST_CACHE, 'packages');
/** Built once by .ci/build-tools-tree and refreshed weekly. */
export const TOOLS_TREE = path.join(TEST_CACHE, 'tools/mkosi.tools');

/** The Debian mirror this machine uses, read at run time so no host is ever written down. */
export function debianMirror(): string {
  if (process.env.MKOSI_CI_TEST_MIRROR) return process.env.MKOSI_CI_TEST_MIRROR;
  return execFileSync(path.join(REPO, '../shared/tools/debian-mirror'), { encoding: 'utf8' }).trim();
}

/** Node 24 from node_modules (the runner's node24), else the node running the tests. */
export function actionNode(): string {
  const local = path.join(REPO, 'node_modules/.bin/node');
  return existsSync(local) ? local : process.execPath;
}
