import * as core from '@actions/core';
import path from 'node:path';
import type { Context } from '../context.js';
import { errorMessage } from '../errors.js';
import { cacheSaveInputs, reportFailure } from '../pipeline/adapter-support.js';
import type { Options } from '../pipeline/options.js';
import { runPipeline, type PipelineResult } from '../pipeline/run.js';
import { artifactNameFields, renderArtifactName } from '../publish/artifact-name.js';
import { shouldUpload } from '../publish/destinations.js';
import { renderMarkdown } from '../report/build-summary.js';
import { State, type MainState } from './constants.js';
import { actionContext, releaseStore } from './context.js';
import { getInputs } from './inputs.js';
import { actionsLog } from './log.js';
import { childOutputFence } from './command-fence.js';
import { setOutputs } from './outputs.js';
import { assertReleaseAllowed } from './release-events.js';

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

function mainState(ctx: Context, options: Options, result: PipelineResult): MainState {
  const save = cacheSaveInputs(result, options);
  return {
    workDir: ctx.workDir,
    logsDir: path.join(ctx.workDir, 'logs'),
    succeeded: !result.failure,
    logsArtifact: logsArtifact(ctx, options, result),
    buildSucceeded: save.succeeded,
    caches: result.caches?.records ?? [],
    ...(result.caches?.skipped ? { cachesSkipped: result.caches.skipped } : {}),
    secretFiles: save.secretFiles,
    directory: save.directory,
  };
}

/** The action's main step: every stage, outputs, job summary; fails the job on the first failure. */
export async function runMain(): Promise<void> {
  const ctx = actionContext();
  let inputs;
  try {
    inputs = getInputs();
    assertReleaseAllowed(inputs.options.publish.release, process.env, inputs.releaseEvents);
  } catch (error) {
    reportFailure(actionsLog, error);
    process.exitCode = 1;
    return;
  }
  const { options, githubToken } = inputs;
  ctx.releases = releaseStore(githubToken, process.env);
  const result = await runPipeline(ctx, options);
  childOutputFence.lift();
  core.saveState(State.Main, JSON.stringify(mainState(ctx, options, result)));
  setOutputs(result, ctx.workDir);
  try {
    await core.summary.addRaw(renderMarkdown(result)).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`);
  }
  if (result.failure) {
    reportFailure(actionsLog, result.failure.error, result.failure.message, result.failure.file);
    process.exitCode = 1;
  }
}
