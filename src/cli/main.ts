import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkosiCacheHome } from '../cache/home.js';
import { ConfigurationError, errorMessage, isConfigurationError } from '../errors.js';
import { secretFilesOf } from '../mkosi/config.js';
import type { Context } from '../pipeline/context.js';
import { parseOptions } from '../pipeline/options.js';
import { diffOutputs } from '../pipeline/diff.js';
import { publishDirectory } from '../pipeline/publish.js';
import { publishText } from '../report/publish-summary.js';
import { runPipeline } from '../pipeline/run.js';
import { ProcessRunner } from '../process/runner.js';
import { environmentSecrets } from '../process/environment.js';
import { maskSecrets } from '../process/mask.js';
import { renderText } from '../report/build-summary.js';
import { helpText, parseCommandLine, type CliFlags } from './args.js';
import { Input, type RawInputs } from '../pipeline/inputs.js';
import { consoleLog } from './log.js';
import { directoryToolCache } from './tool-cache.js';
import { directoryCacheStore } from './cache-store.js';
import { saveCaches } from '../pipeline/caches.js';
import { cacheText } from '../report/cache-summary.js';
import { MKOSI_CI_VERSION } from '../version.js';

function cacheRoot(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mkosi-ci');
}

async function readSecretFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      `--${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}).`,
    );
  }
}

/** --sign-key-file and --sign-passphrase-file fill the inputs they stand for. */
async function withSecretFiles(inputs: RawInputs, flags: CliFlags): Promise<RawInputs> {
  const filled = { ...inputs };
  if (flags.signKeyFile) filled[Input.SignKey] = await readSecretFile(flags.signKeyFile, 'sign-key-file');
  if (flags.signPassphraseFile) {
    // A passphrase file's final newline is not part of the passphrase.
    filled[Input.SignPassphrase] = (
      await readSecretFile(flags.signPassphraseFile, 'sign-passphrase-file')
    ).replace(/\r?\n$/, '');
  }
  return filled;
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
    const options = parseOptions(await withSecretFiles(parsed.inputs, parsed.flags), process.cwd());
    maskSecrets(log, [options.publish.signKey, options.publish.signPassphrase, ...environmentSecrets(env)]);
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
      trigger: { event: undefined, tag: undefined },
    };
    if (parsed.command === 'diff') {
      const [a, b] = parsed.operands as [string, string];
      const diff = await diffOutputs(ctx, a, b, options.toolsTree, options.repro.maxFiles);
      process.stdout.write(diff.markdown + `\nreports: ${diff.markdownFile} ${diff.jsonFile}\n`);
      return diff.comparison.identical ? 0 : 1;
    }
    if (parsed.command === 'publish') {
      const published = await publishDirectory(ctx, options.publish, path.resolve(parsed.flags.outputDir!));
      process.stdout.write(publishText(published).join('\n') + '\n');
      return 0;
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
