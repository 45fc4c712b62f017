import { errorMessage, isConfigurationError } from '../errors.js';
import { build, type BuildResult } from './build.js';
import type { Context } from './context.js';
import type { Options } from './options.js';
import { assertProject } from './project.js';
import { setup, type SetupResult } from './setup.js';

export type StageName = 'setup' | 'build';

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
export async function runPipeline(ctx: Context, options: Options): Promise<PipelineResult> {
  const result: PipelineResult = {};
  try {
    // A wrong directory is an input error: say so before anything is downloaded or installed.
    await assertProject(options.directory);
    result.setup = await setup(ctx, options);
  } catch (error) {
    result.failure = failure('setup', error);
    return result;
  }
  try {
    result.build = await build(ctx, options, result.setup.mkosi);
  } catch (error) {
    result.failure = failure('build', error);
  }
  return result;
}
