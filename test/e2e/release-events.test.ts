import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { annotations } from '../support/action-harness.js';
import { REPO, TEST_PROJECTS, actionNode } from '../support/paths.js';

/**
 * The action's main entry (src through tsx) asked for a release from events that may not publish one:
 * it fails before anything is built, with one error naming the release input.
 */

const REPOSITORY = 'mkosi-ci/example';

function runMain(event: string, ref: string, head: string, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'release-events-'));
  const eventFile = path.join(dir, 'event.json');
  writeFileSync(
    eventFile,
    JSON.stringify({
      pull_request: { head: { repo: { full_name: head } }, base: { repo: { full_name: REPOSITORY } } },
      repository: { full_name: REPOSITORY },
    }),
  );
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map((name) => {
      const file = path.join(dir, name.toLowerCase());
      writeFileSync(file, '');
      return [name, file];
    }),
  );
  const result = spawnSync(actionNode(), ['--import', 'tsx', path.join(REPO, 'src/github/main.ts')], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_EVENT_NAME: event,
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_REF: ref,
      RUNNER_TEMP: dir,
      INPUT_DIRECTORY: path.join(TEST_PROJECTS, 'debian-minimal'),
      INPUT_RELEASE: 'v1.0',
      'INPUT_GITHUB-TOKEN': 'ghs_notused',
      ...files,
      ...extra,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...result, log: result.stdout + result.stderr, state: readFileSync(files.GITHUB_STATE!, 'utf8') };
}

describe('release: <tag> from an event that may not publish', () => {
  it.each([
    ['pull_request', 'refs/pull/7/merge', REPOSITORY, 'this run is for the pull_request event'],
    ['pull_request_target', 'refs/heads/main', REPOSITORY, 'this run is for the pull_request_target event'],
    ['pull_request_target', 'refs/heads/main', 'evil/example', 'a pull request from the fork evil/example'],
    ['pull_request', 'refs/pull/7/merge', 'evil/example', 'a pull request from the fork evil/example'],
  ])('%s (%s, head %s) fails before the build with one error', (event, ref, head, why) => {
    const run = runMain(event, ref, head);
    expect(run.status, run.log).toBe(1);
    const errors = annotations(run.log, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Input release: no release: /);
    expect(errors[0]).toContain(why);
    // Nothing ran: no stage, no state for post.
    expect(run.log).not.toMatch(/::group::/);
    expect(run.state).toBe('');
  });

  it('a fork stays refused when the user opts pull_request_target in', () => {
    const run = runMain('pull_request_target', 'refs/heads/main', 'evil/example', {
      'INPUT_RELEASE-EVENTS': 'pull_request_target',
    });
    expect(run.status).toBe(1);
    expect(annotations(run.log, 'error')).toEqual([
      'Input release: no release: this run is for a pull request from the fork evil/example; releases are never published from fork pull requests.',
    ]);
  });
});
