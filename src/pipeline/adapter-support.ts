import { mkosiCacheHome } from '../cache/home.js';
import type { HostFacts } from '../context.js';
import { errorMessage, isConfigurationError } from '../errors.js';
import { secretFilesOf } from '../mkosi/config.js';
import type { Log } from '../ports.js';
import type { Options } from './options.js';
import type { PipelineResult } from './result.js';

/**
 * What every adapter needs of the pipeline in the same words: the host's facts, how a failure is
 * reported, and what the cache save after the run needs to know.
 */

/** The facts of the machine the run is on; `disposable` is the adapter's judgement of its platform. */
export function hostFacts(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  disposable: boolean,
): HostFacts {
  return {
    disposable,
    root: process.getuid?.() === 0,
    // Outside any per-run directory, whose path may change between runs: a cache restores to where it was saved.
    cacheHome: mkosiCacheHome(env, home),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
}

/**
 * Reports a failure as one error line (naming the file it is about); a bug in mkosi-ci, unlike a user
 * error, also leaves its stack trace in the debug log.
 */
export function reportFailure(log: Log, error: unknown, message = errorMessage(error), file?: string): void {
  if (!isConfigurationError(error) && error instanceof Error && error.stack) log.debug(error.stack);
  log.error(message, file ? { file } : undefined);
}

/** What saving the caches after the run needs: whether the build succeeded, what they must not contain. */
export function cacheSaveInputs(
  result: PipelineResult,
  options: Pick<Options, 'directory'>,
): { succeeded: boolean; secretFiles: string[]; directory: string } {
  return {
    succeeded: result.build !== undefined,
    secretFiles: result.build ? secretFilesOf(result.build.config) : [],
    directory: options.directory,
  };
}
