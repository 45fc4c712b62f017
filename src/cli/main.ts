import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkosiCacheHome } from '../cache/home.js';
import { errorMessage, isConfigurationError } from '../errors.js';
import { secretFilesOf } from '../mkosi/config.js';
import type { Context } from '../pipeline/context.js';
import { parseOptions } from '../pipeline/options.js';
import { diffOutputs } from '../pipeline/diff.js';
import { runPipeline } from '../pipeline/run.js';
import { ProcessRunner } from '../process/runner.js';
import { renderText } from '../report/build-summary.js';
import { helpText, parseCommandLine } from './args.js';
import { consoleLog } from './log.js';
import { directoryToolCache } from './tool-cache.js';
import { directoryCacheStore } from './cache-store.js';
import { saveCaches } from '../pipeline/caches.js';
import { cacheText } from '../report/cache-summary.js';
import { MKOSI_CI_VERSION } from '../version.js';

function cacheRoot(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mkosi-ci');
}

/** The CLI: same pipeline as the action, summary printed as text; resolves to the exit status. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let debug = false;
  const log = consoleLog(() => debug);
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`mkosi-ci ${MKOSI_CI_VERSION}\n`);
      return 0;
    }
    debug = parsed.flags.debug;
    const options = parseOptions(parsed.inputs, process.cwd());
    const runner = new ProcessRunner((chunk) => process.stdout.write(chunk), env);
    const ctx: Context = {
      runner,
      log,
      toolCache: directoryToolCache(path.join(cacheRoot(env), 'tools'), runner),
      workDir: parsed.flags.workDir
        ? path.resolve(parsed.flags.workDir)
        : await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-')),
      cacheStore: directoryCacheStore(
        parsed.flags.cacheDir ? path.resolve(parsed.flags.cacheDir) : undefined,
        runner,
      ),
      host: {
        githubHostedLinux: false,
        root: process.getuid?.() === 0,
        cacheHome: mkosiCacheHome(env, os.homedir()),
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
      },
    };
    if (parsed.command === 'diff') {
      const [a, b] = parsed.operands as [string, string];
      const diff = await diffOutputs(ctx, a, b, options.toolsTree);
      process.stdout.write(diff.markdown + `\nreports: ${diff.markdownFile} ${diff.jsonFile}\n`);
      return diff.comparison.identical ? 0 : 1;
    }
    const result = await runPipeline(ctx, options, parsed.command);
    const caches = result.caches?.records.length
      ? await saveCaches(ctx, result.caches.records, {
          succeeded: result.build !== undefined,
          secretFiles: result.build ? secretFilesOf(result.build.config) : [],
          directory: options.directory,
        })
      : [];
    process.stdout.write('\n' + renderText(result));
    const cacheLines = cacheText(caches, result.caches?.skipped);
    if (cacheLines.length > 0) process.stdout.write(cacheLines.join('\n') + '\n');
    if (result.failure) {
      if (!result.failure.userError && result.failure.error instanceof Error)
        log.debug(result.failure.error.stack ?? '');
      log.error(result.failure.message, { file: result.failure.file });
      return 1;
    }
    return 0;
  } catch (error) {
    if (!isConfigurationError(error) && error instanceof Error) log.debug(error.stack ?? '');
    log.error(errorMessage(error));
    return 1;
  }
}
