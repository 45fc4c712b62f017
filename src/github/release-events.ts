import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';

/** What the release input asked for (the shape of the publish options' release choice). */
interface ReleaseRequest {
  kind: 'none' | 'current-tag' | 'tag';
}

/**
 * Which workflow events may publish a release. A release is written with the job's token and carries
 * whatever the build ran: from `pull_request_target` that is untrusted code with a write token, from
 * `pull_request` a tag at a merge commit nobody reviewed. So only a pushed tag, a published release and
 * a manual dispatch publish unless the user names another event; a pull request from a fork never does.
 */

const RELEASE_EVENTS_INPUT = Input.ReleaseEvents;

/** Events that publish without being named. `push` only for a tag: a branch push must be named. */
const TRUSTED_EVENTS = ['push', 'release', 'workflow_dispatch'];

/** GitHub's workflow trigger events, to refuse a misspelt name rather than never match it. */
const KNOWN_EVENTS = new Set([
  'branch_protection_rule',
  'check_run',
  'check_suite',
  'create',
  'delete',
  'deployment',
  'deployment_status',
  'discussion',
  'discussion_comment',
  'fork',
  'gollum',
  'issue_comment',
  'issues',
  'label',
  'merge_group',
  'milestone',
  'page_build',
  'public',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_target',
  'push',
  'registry_package',
  'release',
  'repository_dispatch',
  'schedule',
  'status',
  'watch',
  'workflow_call',
  'workflow_dispatch',
  'workflow_run',
]);

export interface WorkflowEvent {
  /** GITHUB_EVENT_NAME */
  name: string | undefined;
  /** GITHUB_REF */
  ref: string | undefined;
  /** The JSON at GITHUB_EVENT_PATH; undefined when it could not be read. */
  payload: unknown;
}

export type ReleasePermission = { allowed: true } | { allowed: false; reason: string };

interface RepoRef {
  full_name?: unknown;
}

function fullName(repo: unknown): string | undefined {
  const name = (repo as RepoRef | null | undefined)?.full_name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The repository a pull request (or a workflow_run started by one) comes from when it is not the one
 * the workflow runs in; `unknown` when the payload does not say, which counts as a fork.
 */
export function forkOf(event: WorkflowEvent): string | undefined {
  const payload = event.payload as Record<string, unknown> | undefined;
  const pull = payload?.pull_request as { head?: { repo?: unknown }; base?: { repo?: unknown } } | undefined;
  if (pull || event.name?.startsWith('pull_request')) {
    const head = fullName(pull?.head?.repo);
    const base = fullName(pull?.base?.repo) ?? fullName(payload?.repository);
    // A deleted fork leaves head.repo null: still a fork.
    if (!head || !base) return head ?? 'unknown';
    return head.toLowerCase() === base.toLowerCase() ? undefined : head;
  }
  const run = payload?.workflow_run as { head_repository?: unknown } | undefined;
  if (event.name === 'workflow_run') {
    const head = fullName(run?.head_repository);
    const base = fullName(payload?.repository);
    if (!head || !base) return head ?? 'unknown';
    return head.toLowerCase() === base.toLowerCase() ? undefined : head;
  }
  return undefined;
}

/** Whether a run for `event` may publish a release, given the events the user opted into. */
export function releasePermission(event: WorkflowEvent, optIn: readonly string[]): ReleasePermission {
  const name = event.name;
  const fork = forkOf(event);
  if (fork) {
    return {
      allowed: false,
      reason: `this run is for a pull request from ${fork === 'unknown' ? 'a repository the event does not name' : `the fork ${fork}`}; releases are never published from fork pull requests.`,
    };
  }
  if (!name) return { allowed: false, reason: 'the workflow event is unknown (no GITHUB_EVENT_NAME).' };
  if (optIn.includes(name)) return { allowed: true };
  if (name === 'push') {
    if (event.ref?.startsWith('refs/tags/')) return { allowed: true };
    return {
      allowed: false,
      reason: `this run is for a push to ${event.ref ?? 'a branch'}, not of a tag; releases are published from a pushed tag, a release event or workflow_dispatch. Add push to ${RELEASE_EVENTS_INPUT} to publish from branch pushes too.`,
    };
  }
  if (TRUSTED_EVENTS.includes(name)) return { allowed: true };
  return {
    allowed: false,
    reason: `this run is for the ${name} event; releases are published from a pushed tag, a release event or workflow_dispatch. Add ${name} to ${RELEASE_EVENTS_INPUT} to publish from it.`,
  };
}

/** The opt-in list: event names separated by commas, spaces or lines. */
export function parseReleaseEvents(raw: string | undefined): string[] {
  const names = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  const unknown = names.find((n) => !KNOWN_EVENTS.has(n));
  if (unknown !== undefined) {
    throw new ConfigurationError(
      `Input ${RELEASE_EVENTS_INPUT}: '${unknown}' is not a workflow event; expected event names such as pull_request, schedule or workflow_run, separated by commas.`,
    );
  }
  return [...new Set(names)];
}

/** Whether `release` would publish in this run: a named tag always, `true` only when the run is for a tag. */
function publishes(release: ReleaseRequest, ref: string | undefined): boolean {
  if (release.kind === 'tag') return true;
  return release.kind === 'current-tag' && (ref ?? '').startsWith('refs/tags/');
}

export function readEventPayload(file: string | undefined): unknown {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Refuses, before anything is built, a release the event may not publish: one ConfigurationError
 * naming the release input and why. Does nothing when this run publishes no release.
 */
export function assertReleaseAllowed(
  release: ReleaseRequest,
  env: NodeJS.ProcessEnv,
  optIn: readonly string[] = [],
): void {
  if (!publishes(release, env.GITHUB_REF)) return;
  const permission = releasePermission(
    {
      name: env.GITHUB_EVENT_NAME || undefined,
      ref: env.GITHUB_REF,
      payload: readEventPayload(env.GITHUB_EVENT_PATH),
    },
    optIn,
  );
  if (!permission.allowed)
    throw new ConfigurationError(`Input ${Input.Release}: no release: ${permission.reason}`);
}
