import { errorMessage, isConfigurationError } from '../errors.js';
import { boot, shouldBoot, type BootStageResult } from './boot.js';
import { build, existingOutputs, type BuildResult } from './build.js';
import type { Context } from './context.js';
import type { Options } from './options.js';
import { assertProject } from './project.js';
import { publish, type PublishResult } from './publish.js';
import { setup, type SetupResult } from './setup.js';

export type StageName = 'setup' | 'build' | 'boot' | 'publish';

/** What a run does: build (and boot-check what was built), or boot-check outputs built earlier. */
export type PipelineCommand = 'build' | 'boot';

export interface StageFailure {
  stage: StageName;
  message: string;
  /** A user error (bad input, broken project, failed build) rather than a bug in mkosi-ci. */
  userError: boolean;
  error: unknown;
  file?: string;
}

/** What the pipeline got done; stages after a failure are absent. */
export interface PipelineResult {
  setup?: SetupResult;
  build?: BuildResult;
  boot?: BootStageResult;
  publish?: PublishResult;
  failure?: StageFailure;
}

function failure(stage: StageName, error: unknown): StageFailure {
  return {
    stage,
    message: errorMessage(error),
    userError: isConfigurationError(error),
    error,
    file: isConfigurationError(error) ? error.file : undefined,
  };
}

/** Runs the stages in order and stops at the first failure, returning what was done so far. */
export async function runPipeline(
  ctx: Context,
  options: Options,
  command: PipelineCommand = 'build',
): Promise<PipelineResult> {
  const result: PipelineResult = {};
  let stage: StageName = 'setup';
  try {
    // A wrong directory is an input error: say so before anything is downloaded or installed.
    await assertProject(options.directory);
    result.setup = await setup(ctx, options);
    stage = 'build';
    result.build =
      command === 'build'
        ? await build(ctx, options, result.setup.mkosi)
        : await existingOutputs(ctx, options, result.setup.mkosi);
    stage = 'boot';
    // `mkosi-ci boot` boots unless told not to; `build` boots what boot: auto or true selects.
    const bootOptions =
      command === 'boot' && options.boot.enabled === 'auto'
        ? { ...options.boot, enabled: 'yes' as const }
        : options.boot;
    if (shouldBoot(bootOptions, result.build.config)) {
      result.boot = await ctx.log.group('Boot check', () =>
        boot(ctx, bootOptions, result.build!.config, result.build!.image),
      );
      const verdict = result.boot.check.verdict;
      if (verdict.result !== 'passed') {
        result.failure = {
          stage,
          message: `Boot check of ${result.build.image?.name ?? 'the image'}: ${verdict.result}: ${verdict.reason} (logs: ${result.boot.logsDir})`,
          userError: true,
          error: undefined,
        };
        return result;
      }
    }
    // Only what was built here is published: `boot` checks outputs that were published when built.
    if (command === 'build') {
      stage = 'publish';
      result.publish = await ctx.log.group('Publish', () =>
        publish(ctx, options.publish, result.build!, options.profiles),
      );
    }
  } catch (error) {
    result.failure = failure(stage, error);
  }
  return result;
}
