import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { hostFacts } from '../pipeline/adapter-support.js';
import { ProcessRunner } from '../process/runner.js';
import { actionsArtifactStore } from './artifact-store.js';
import { actionsCacheStore } from './cache-store.js';
import { childOutputFence } from './command-fence.js';
import { githubHostedLinux, trigger } from './events.js';
import { actionsLog } from './log.js';
import { GitHubReleaseStore } from './release-store.js';
import { actionsToolCache } from './tool-cache.js';

/** The pipeline's context on a runner; releases are added once the token is known. */
export function actionContext(env: NodeJS.ProcessEnv = process.env): Context {
  return {
    runner: new ProcessRunner((chunk) => childOutputFence.output(chunk), env),
    log: actionsLog,
    toolCache: actionsToolCache,
    cacheStore: actionsCacheStore(env),
    workDir: path.join(env.RUNNER_TEMP || os.tmpdir(), 'mkosi-ci'),
    host: hostFacts(env, os.homedir(), githubHostedLinux(env)),
    trigger: trigger(env),
    artifacts: actionsArtifactStore(env),
  };
}

/** Releases need the repository and a token, which comes in as an input. */
export function releaseStore(
  token: string | undefined,
  env: NodeJS.ProcessEnv,
): GitHubReleaseStore | undefined {
  if (!token || !env.GITHUB_REPOSITORY) return undefined;
  return new GitHubReleaseStore({
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY,
    token,
    commit: env.GITHUB_SHA,
  });
}
