import type { Trigger } from '../context.js';

/** Workflow events whose outputs are worth keeping by default: pushed branches and tags, releases. */
const UPLOAD_EVENTS = new Set(['push', 'release']);

/** What started the run, from the runner's environment, judged by GitHub's rules. */
export function trigger(env: Readonly<Record<string, string | undefined>>): Trigger {
  const ref = env.GITHUB_REF ?? '';
  const event = env.GITHUB_EVENT_NAME || undefined;
  return {
    tag: ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined,
    uploadByDefault: event !== undefined && UPLOAD_EVENTS.has(event),
  };
}

/** A GitHub-hosted Linux runner: a throwaway VM mkosi-ci may reconfigure. */
export function githubHostedLinux(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.RUNNER_ENVIRONMENT === 'github-hosted' && env.RUNNER_OS === 'Linux';
}
