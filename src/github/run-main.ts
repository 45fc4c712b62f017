import * as core from '@actions/core';
import os from 'node:os';
import path from 'node:path';
import { mkosiCacheHome } from '../cache/home.js';
import type { CacheName } from '../cache/keys.js';
import { errorMessage, isConfigurationError } from '../errors.js';
import { secretFilesOf } from '../mkosi/config.js';
import type { Context, Trigger } from '../pipeline/context.js';
import type { Options } from '../pipeline/options.js';
import { artifactNameFields, shouldUpload } from '../pipeline/publish.js';
import { runPipeline, type PipelineResult } from '../pipeline/run.js';
import { renderArtifactName } from '../publish/artifact-name.js';
import { ProcessRunner } from '../process/runner.js';
import { bootResultOutput, failedUnitRecords } from '../report/boot-summary.js';
import { artifactRecords, renderMarkdown } from '../report/build-summary.js';
import { Output, State, type MainState } from './constants.js';
import { getInputs } from './inputs.js';
import { actionsArtifactStore } from './artifact-store.js';
import { actionsLog } from './log.js';
import { GitHubReleaseStore } from './release-store.js';
import { actionsCacheStore } from './cache-store.js';
import { actionsToolCache } from './tool-cache.js';

export function trigger(env: NodeJS.ProcessEnv): Trigger {
  const ref = env.GITHUB_REF ?? '';
  return {
    event: env.GITHUB_EVENT_NAME || undefined,
    tag: ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined,
  };
}

export function actionContext(env: NodeJS.ProcessEnv = process.env): Context {
  return {
    runner: new ProcessRunner((chunk) => process.stdout.write(chunk), env),
    log: actionsLog,
    toolCache: actionsToolCache,
    cacheStore: actionsCacheStore(env),
    workDir: path.join(env.RUNNER_TEMP || os.tmpdir(), 'mkosi-ci'),
    host: {
      githubHostedLinux: env.RUNNER_ENVIRONMENT === 'github-hosted' && env.RUNNER_OS === 'Linux',
      root: process.getuid?.() === 0,
      // Outside RUNNER_TEMP, whose path may change between runs: a cache restores to where it was saved.
      cacheHome: mkosiCacheHome(env, os.homedir()),
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
    },
    trigger: trigger(env),
    artifacts: actionsArtifactStore(env),
  };
}

/** Releases need the repository and a token, which comes in as an input. */
function releaseStore(options: Options, env: NodeJS.ProcessEnv): GitHubReleaseStore | undefined {
  const token = options.publish.githubToken;
  if (!token || !env.GITHUB_REPOSITORY) return undefined;
  return new GitHubReleaseStore({
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY,
    token,
    commit: env.GITHUB_SHA,
  });
}

/** Post uploads the logs and reports when the outputs are uploaded, and of a failed run unless told not to. */
function logsArtifact(ctx: Context, options: Options, result: PipelineResult): MainState['logsArtifact'] {
  const publish = options.publish;
  if (!ctx.artifacts || publish.upload === 'no') return undefined;
  if (!result.failure && !shouldUpload(publish.upload, ctx.trigger)) return undefined;
  let name = 'mkosi-ci-logs';
  if (result.build) {
    try {
      name = `${renderArtifactName(publish.artifactName, artifactNameFields(result.build.config, options.profiles))}-logs`;
    } catch {
      // The template's error is reported by the publish stage; the logs still go up.
    }
  }
  return { name, retentionDays: publish.retentionDays };
}

const CACHE_HIT_OUTPUTS: Readonly<Record<CacheName, Output>> = {
  packages: Output.CacheHitPackages,
  incremental: Output.CacheHitIncremental,
  'tools-tree': Output.CacheHitToolsTree,
};

function setOutputs(result: PipelineResult, ctx: Context): void {
  core.setOutput(Output.Logs, path.join(ctx.workDir, 'logs'));
  for (const [name, output] of Object.entries(CACHE_HIT_OUTPUTS)) {
    core.setOutput(output, result.caches?.records.find((r) => r.name === name)?.hit ?? 'miss');
  }
  if (result.setup) core.setOutput(Output.MkosiVersion, result.setup.mkosi.version);
  const verdict = result.boot?.check.verdict;
  if (result.build) {
    core.setOutput(Output.BootResult, bootResultOutput(verdict, result.failure?.stage));
    core.setOutput(Output.FailedUnits, JSON.stringify(failedUnitRecords(verdict)));
  }
  if (result.repro) {
    core.setOutput(Output.Reproducible, result.repro.reproducible ? 'yes' : 'no');
    core.setOutput(Output.DiffReport, result.repro.reportDir);
  }
  const build = result.build;
  if (!build) return;
  core.setOutput(Output.Image, build.image?.path ?? '');
  core.setOutput(Output.OutputDirectory, build.outputDirectory);
  core.setOutput(Output.Artifacts, JSON.stringify(artifactRecords(build.artifacts)));
  core.setOutput(Output.Config, build.configFile);
  const published = result.publish;
  if (!published) return;
  core.setOutput(Output.Checksums, published.checksumsFile);
  core.setOutput(Output.SigningFingerprint, published.signature?.key.fingerprint ?? '');
  core.setOutput(Output.ArtifactId, published.artifact ? String(published.artifact.id) : '');
  core.setOutput(Output.ArtifactUrl, published.artifact?.url ?? '');
  core.setOutput(Output.ReleaseUrl, published.release?.url ?? '');
}

function fail(error: unknown, message = errorMessage(error), file?: string): void {
  if (!isConfigurationError(error) && error instanceof Error && error.stack) {
    core.debug(error.stack);
  }
  core.error(message, file ? { file } : {});
  process.exitCode = 1;
}

/** The action's main step: every stage, outputs, job summary; fails the job on the first failure. */
export async function runMain(): Promise<void> {
  const ctx = actionContext();
  let options;
  try {
    options = getInputs();
  } catch (error) {
    fail(error);
    return;
  }
  ctx.releases = releaseStore(options, process.env);
  const result = await runPipeline(ctx, options);
  const state: MainState = {
    workDir: ctx.workDir,
    logsDir: path.join(ctx.workDir, 'logs'),
    succeeded: !result.failure,
    logsArtifact: logsArtifact(ctx, options, result),
    buildSucceeded: result.build !== undefined,
    caches: result.caches?.records ?? [],
    ...(result.caches?.skipped ? { cachesSkipped: result.caches.skipped } : {}),
    secretFiles: result.build ? secretFilesOf(result.build.config) : [],
    directory: options.directory,
  };
  core.saveState(State.Main, JSON.stringify(state));
  setOutputs(result, ctx);
  try {
    await core.summary.addRaw(renderMarkdown(result)).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`);
  }
  if (result.failure) fail(result.failure.error, result.failure.message, result.failure.file);
}
