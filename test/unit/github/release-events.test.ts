import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import {
  assertReleaseAllowed,
  forkOf,
  parseReleaseEvents,
  releasePermission,
  type WorkflowEvent,
} from '../../../src/github/release-events.js';

const REPO = 'mkosi-ci/example';
const pullRequest = (head: string | null, base = REPO) => ({
  pull_request: {
    head: { repo: head === null ? null : { full_name: head } },
    base: { repo: { full_name: base } },
  },
  repository: { full_name: base },
});
const event = (name: string | undefined, ref?: string, payload?: unknown): WorkflowEvent => ({
  name,
  ref,
  payload,
});

describe('releasePermission', () => {
  it.each([
    ['a pushed tag', event('push', 'refs/tags/v1', {})],
    ['a release', event('release', 'refs/tags/v1', {})],
    ['a manual dispatch', event('workflow_dispatch', 'refs/heads/main', {})],
  ])('allows %s without opting in', (_, e) => {
    expect(releasePermission(e, [])).toEqual({ allowed: true });
  });

  it.each([
    ['pull_request', event('pull_request', 'refs/pull/7/merge', pullRequest(REPO))],
    ['pull_request_target', event('pull_request_target', 'refs/heads/main', pullRequest(REPO))],
    ['schedule', event('schedule', 'refs/heads/main', {})],
    ['push', event('push', 'refs/heads/main', {})],
  ])('refuses %s unless opted into, and allows it then', (name, e) => {
    const refused = releasePermission(e, []);
    expect(refused.allowed).toBe(false);
    expect(!refused.allowed && refused.reason).toContain(`Add ${name} to release-events`);
    expect(releasePermission(e, [name])).toEqual({ allowed: true });
  });

  it.each([
    ['pull_request', pullRequest('evil/example')],
    ['pull_request_target', pullRequest('evil/example')],
    ['pull_request_review', pullRequest('evil/example')],
  ])('refuses a %s from a fork even when opted into', (name, payload) => {
    expect(releasePermission(event(name, 'refs/heads/main', payload), [name])).toEqual({
      allowed: false,
      reason:
        'this run is for a pull request from the fork evil/example; releases are never published from fork pull requests.',
    });
  });

  it('counts a pull request whose fork is gone, or whose payload is missing, as a fork', () => {
    expect(forkOf(event('pull_request_target', undefined, pullRequest(null)))).toBe('unknown');
    expect(forkOf(event('pull_request', undefined, undefined))).toBe('unknown');
    expect(releasePermission(event('pull_request', undefined, undefined), ['pull_request']).allowed).toBe(
      false,
    );
  });

  it('compares repository names as GitHub does, without case', () => {
    expect(forkOf(event('pull_request', undefined, pullRequest('MKOSI-CI/Example')))).toBeUndefined();
  });

  it('refuses a workflow_run started from a fork, even when opted into', () => {
    const payload = {
      workflow_run: { head_repository: { full_name: 'evil/example' } },
      repository: { full_name: REPO },
    };
    expect(
      releasePermission(event('workflow_run', 'refs/heads/main', payload), ['workflow_run']).allowed,
    ).toBe(false);
    const own = { workflow_run: { head_repository: { full_name: REPO } }, repository: { full_name: REPO } };
    expect(releasePermission(event('workflow_run', 'refs/heads/main', own), ['workflow_run']).allowed).toBe(
      true,
    );
  });
});

describe('parseReleaseEvents', () => {
  it('reads names separated by commas, spaces or lines', () => {
    expect(parseReleaseEvents('pull_request, schedule\nworkflow_run  schedule')).toEqual([
      'pull_request',
      'schedule',
      'workflow_run',
    ]);
    expect(parseReleaseEvents('')).toEqual([]);
  });

  it('refuses a name that is no workflow event, naming the input', () => {
    expect(() => parseReleaseEvents('pull-request')).toThrow(
      new ConfigurationError(
        "Input release-events: 'pull-request' is not a workflow event; expected event names such as pull_request, schedule or workflow_run, separated by commas.",
      ),
    );
  });
});

describe('assertReleaseAllowed', () => {
  const payloadFile = (payload: unknown): string => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'event-')), 'event.json');
    writeFileSync(file, JSON.stringify(payload));
    return file;
  };

  it('refuses a named tag from pull_request_target with one error naming the release input', () => {
    const env = {
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_EVENT_PATH: payloadFile(pullRequest(REPO)),
    };
    expect(() => assertReleaseAllowed({ kind: 'tag' }, env)).toThrow(
      'Input release: no release: this run is for the pull_request_target event; releases are published from a pushed tag, a release event or workflow_dispatch. Add pull_request_target to release-events to publish from it.',
    );
  });

  it('leaves release: true alone on a run that is not for a tag (it publishes nothing there)', () => {
    const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/7/merge' };
    expect(() => assertReleaseAllowed({ kind: 'current-tag' }, env)).not.toThrow();
    expect(() => assertReleaseAllowed({ kind: 'none' }, env)).not.toThrow();
  });

  it('refuses release: true for a tag created by another event (create)', () => {
    const env = {
      GITHUB_EVENT_NAME: 'create',
      GITHUB_REF: 'refs/tags/v1',
      GITHUB_EVENT_PATH: payloadFile({}),
    };
    expect(() => assertReleaseAllowed({ kind: 'current-tag' }, env)).toThrow(/the create event/);
    expect(() => assertReleaseAllowed({ kind: 'current-tag' }, env, ['create'])).not.toThrow();
  });
});
