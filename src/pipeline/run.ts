import type { Context } from '../context.js';
import { errorMessage, isConfigurationError } from '../errors.js';
import { bootStage } from './boot.js';
import { buildStage, resolveStage } from './build.js';
import { checkStage } from './check.js';
import type { Options } from './options.js';
import { publishStage, uploadStage } from './publish.js';
import { pinStage, reproStage } from './repro.js';
import type { PipelineResult, StageFailure } from './result.js';
import { setupStage } from './setup.js';
import { updateStage } from './update.js';
import type { PipelineCommand, RunState, Stage, StageName } from './stage.js';
import { Timeline } from './timeline.js';

export type { PipelineCommand } from './stage.js';
export type { PipelineResult, StageFailure } from './result.js';

/**
 * The stages in the order they run. The first failure ends the run: the stages after it do not run,
 * and the adapters still save what the failed run leaves (logs; caches only after a good build).
 */
export const STAGES: readonly Stage[] = [
  setupStage, // the project is one, the host prepared, mkosi installed
  pinStage, // a reproducibility check pins Seed= and SourceDateEpoch= for both builds
  resolveStage, // mkosi --json summary, with the mirror's apt sources
  checkStage, // the inputs judged against the configuration, before anything is built
  buildStage, // restore the caches, mkosi build (or, for boot, the outputs already there)
  bootStage, // boot the image and judge it
  reproStage, // a second build, compared with the first
  publishStage, // SHA256SUMS and its signature
  updateStage, // update-from: an earlier version updated from the signed outputs, booted again
  uploadStage, // the artifact and the release, once every check passed
];

function failure(stage: StageName, error: unknown): StageFailure {
  return {
    stage,
    message: errorMessage(error),
    userError: isConfigurationError(error),
    error,
    file: isConfigurationError(error) ? error.file : undefined,
  };
}

/** Runs a stage; one that timed no phase of its own is one phase of the timeline. */
async function timeOf(stage: Stage, state: RunState): Promise<{ verdict: string } | void> {
  const before = state.timeline.phases.length;
  const start = state.timeline.elapsed();
  let ok = false;
  try {
    const outcome = await stage.run(state);
    ok = outcome === undefined;
    return outcome;
  } finally {
    if (state.timeline.phases.length === before) {
      const durationMs = state.timeline.elapsed() - start;
      state.timeline.phases.push({ stage: stage.name, name: stage.title, startMs: start, durationMs, ok });
    }
  }
}

/** Runs the stages in order and stops at the first failure, returning what was done so far. */
export async function runPipeline(
  ctx: Context,
  options: Options,
  command: PipelineCommand = 'build',
): Promise<PipelineResult> {
  const timeline = new Timeline();
  const state: RunState = { ctx, command, options, result: { phases: timeline.phases }, timeline };
  for (const stage of STAGES) {
    try {
      if (!stage.runs(state)) continue;
      const outcome = await timeOf(stage, state);
      if (outcome) {
        state.result.failure = {
          stage: stage.name,
          message: outcome.verdict,
          userError: true,
          error: undefined,
        };
      }
    } catch (error) {
      state.result.failure = failure(stage.name, error);
    }
    if (state.result.failure) break;
  }
  return state.result;
}
