import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectOneEarlyError,
  inputsWithoutCase,
  runActionCase,
  type BadInputCase,
} from '../support/bad-input.js';
import { parseCases, resolvedCases } from '../support/bad-input-cases.js';
import { startGitHubApiServer, type GitHubApiServer } from '../support/github-api-server.js';
import { generateKey } from '../support/gpg-keys.js';
import { serveFiles, type LocalServer } from '../support/http-server.js';
import { makeMkosiTarball } from '../support/mkosi-tarball.js';
import { invocations, ranBuild, recordingMkosi } from '../support/recording-mkosi.js';
import { startResultsServer, type ResultsServer } from '../support/results-server.js';

/**
 * Every input of action.yml with bad values, through the bundled action (main, then post): each gives
 * exactly one error annotation naming the input and what is valid, exit status 1, no stack trace, and
 * never a `mkosi build` (the recording mkosi first on PATH says what mkosi was asked).
 */

const mkosi = recordingMkosi();
const protectedKey = generateKey(`bad input ${Date.now()} passphrase`);
const tarball = makeMkosiTarball('27.1');
let server: LocalServer;
const files = { url: () => server.url };
let results: ResultsServer;
let api: GitHubApiServer;

/** Cases only the action has: GitHub's services, and a tarball served over HTTP. */
const ACTION_CASES: readonly BadInputCase[] = [
  {
    name: 'upload: true with no artifact service',
    inputs: { upload: 'true' },
    error:
      /Input upload: true, but there is no artifact service here \(it needs GitHub Actions' ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL\)/,
    resolves: true,
  },
  {
    name: 'release-events naming no workflow event',
    inputs: { release: 'v1', 'release-events': 'pull-request' },
    error:
      /Input release-events: 'pull-request' is not a workflow event; expected event names such as pull_request/,
  },
  {
    name: 'release with no repository to release in',
    inputs: { release: 'v1' },
    // An event that may publish, so what is missing is the repository.
    env: { GITHUB_EVENT_NAME: 'workflow_dispatch' },
    error:
      /Input release: releases need GitHub Actions \(GITHUB_REPOSITORY, GITHUB_API_URL\) and github-token/,
    resolves: true,
  },
  {
    name: 'release with an empty github-token',
    inputs: { release: 'v1', 'github-token': '' },
    env: {
      GITHUB_REPOSITORY: 'example/project',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      GITHUB_EVENT_NAME: 'workflow_dispatch',
    },
    error: /Input release: releases need .* and github-token/,
    resolves: true,
  },
  {
    name: 'artifact-name that comes out empty for this image',
    inputs: { upload: 'true', 'artifact-name': '{version}' },
    // The results server's variables (the harness gives the action its own RUNNER_TEMP).
    env: () => Object.fromEntries(Object.entries(results.env()).filter(([name]) => name !== 'RUNNER_TEMP')),
    error:
      /Input artifact-name: '\{version\}' gives an empty name for this image; add text or a field that is set, such as \{image\}/,
    resolves: true,
  },
  {
    name: 'github-token the GitHub API refuses',
    inputs: () => ({ release: 'v1', 'github-token': 'ghs_not-the-token' }),
    env: () => ({ GITHUB_REPOSITORY: api.repository, GITHUB_API_URL: api.url }),
    error: /Input github-token: .*401/,
    resolves: true,
    hole: 'the token is first used to publish, after the build: proving it before needs a check through the release store (a port method, the GitHub adapter and the check stage)',
  },
  {
    name: 'release tarball whose checksum is not the pinned one',
    inputs: () => ({ 'mkosi-source': 'release', 'mkosi-release-url': `${server.url}/{ref}.tar.gz` }),
    error:
      /Input mkosi-version: the tarball from http:\/\/127\.0\.0\.1:\d+\/refs\/tags\/v27\.1\.tar\.gz has sha256 [0-9a-f]{64}, expected 33520d66[0-9a-f]{56}; refusing to run it/,
  },
  {
    name: 'mkosi-sha256 the tarball does not have',
    inputs: () => ({
      'mkosi-source': 'release',
      'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
      'mkosi-sha256': '0'.repeat(64),
    }),
    error: /Input mkosi-sha256: the tarball .* has sha256 [0-9a-f]{64}, expected 0{64}; refusing to run it/,
  },
];

const CASES: readonly BadInputCase[] = [
  ...parseCases(files),
  ...resolvedCases({ protectedKey }),
  ...ACTION_CASES,
];

beforeAll(async () => {
  server = await serveFiles({ '/refs/tags/v27.1.tar.gz': tarball.file });
  results = await startResultsServer({ blobHost: false });
  api = await startGitHubApiServer();
});
afterAll(async () => {
  await server?.close();
  await results?.close();
  await api?.close();
});

describe.concurrent('bad input through the bundled action', () => {
  for (const c of CASES) {
    it(c.name, { fails: c.hole !== undefined, skip: c.skip !== undefined }, async () => {
      const outcome = await runActionCase(mkosi, c);
      expectOneEarlyError(outcome, c.error, c.resolves);
    });
  }
});

describe('the suite itself', () => {
  it('gives every input of action.yml a bad value whose error names it', () => {
    expect(inputsWithoutCase(CASES)).toEqual([]);
  });

  it('sees a build through the recording mkosi, and no run went around it', () => {
    const record = mkosi.newRecord();
    const env = { ...process.env, MKOSI_CI_TEST_RECORD: record };
    const version = spawnSync(path.join(mkosi.dir, 'mkosi'), ['--version'], { env, encoding: 'utf8' });
    expect(version.stdout).toMatch(/^mkosi \d+/);
    const build = spawnSync(path.join(mkosi.dir, 'mkosi'), ['-C', '/nonexistent', '-f', 'build'], { env });
    expect(build.status).toBe(97);
    expect(invocations(record)).toEqual([['--version'], ['-C', '/nonexistent', '-f', 'build']]);
    expect(ranBuild(invocations(record))).toBe(true);
    expect(existsSync(mkosi.unlabelled)).toBe(false);
  });
});
