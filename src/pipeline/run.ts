import { errorMessage, isConfigurationError } from '../errors.js';
import { boot, shouldBoot, type BootStageResult } from './boot.js';
import { build, existingOutputs, resolveInGroup, withArgs, type BuildResult } from './build.js';
import { restoreCaches, type CachesResult } from './caches.js';
import type { Context } from './context.js';
import type { Options } from './options.js';
import { assertProject } from './project.js';
import { setup, type SetupResult } from './setup.js';

export type StageName = 'setup' | 'build' | 'boot';

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
  /** The caches restored before the build, for the save after it. */
  caches?: CachesResult;
  build?: BuildResult;
  boot?: BootStageResult;
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
    const mkosi = result.setup.mkosi;
    if (command === 'build') {
      const resolved = await resolveInGroup(ctx, options, mkosi);
      result.caches = await ctx.log.group('Restore caches', () =>
        restoreCaches(ctx, options, mkosi.version, resolved.config).catch((error: unknown) => {
          ctx.log.warning(`Caches are not used in this run: ${errorMessage(error)}`);
          return { skipped: errorMessage(error), records: [], args: [] };
        }),
      );
      result.build = await build(ctx, options, mkosi, withArgs(resolved, result.caches.args));
    } else {
      result.build = await existingOutputs(ctx, options, mkosi);
    }
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
      }
    }
  } catch (error) {
    result.failure = failure(stage, error);
  }
  return result;
}
