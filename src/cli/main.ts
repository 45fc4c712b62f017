import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { saveCaches } from '../cache/caches.js';
import type { Context } from '../context.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import { Input, type RawInputs } from '../inputs.js';
import { cacheSaveInputs, hostFacts, reportFailure } from '../pipeline/adapter-support.js';
import { diffOutputs } from '../pipeline/diff.js';
import { parseOptions } from '../pipeline/options.js';
import { runPipeline } from '../pipeline/run.js';
import { ProcessRunner } from '../process/runner.js';
import { publishDirectory } from '../publish/write-checksums.js';
import { renderText } from '../report/build-summary.js';
import { cacheText } from '../report/cache-summary.js';
import { publishText } from '../report/publish-summary.js';
import { MKOSI_CI_VERSION } from '../version.js';
import { helpText, parseCommandLine, type CliFlags } from './args.js';
import { directoryCacheStore } from './cache-store.js';
import { consoleLog } from './log.js';
import { directoryToolCache } from './tool-cache.js';

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

/** --work-dir or --cache-dir as given: a directory, or a path where one can be made. */
async function directoryFlag(given: string, flag: 'work-dir' | 'cache-dir'): Promise<string> {
  const dir = path.resolve(given);
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new ConfigurationError(
      `--${flag}: ${dir} is not a directory; give a directory (it is made if missing).`,
    );
  }
  return dir;
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
    const runner = new ProcessRunner((chunk) => process.stdout.write(chunk), env);
    const ctx: Context = {
      runner,
      log,
      toolCache: directoryToolCache(path.join(cacheRoot(env), 'tools'), runner),
      workDir: parsed.flags.workDir
        ? await directoryFlag(parsed.flags.workDir, 'work-dir')
        : await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-')),
      cacheStore: directoryCacheStore(
        parsed.flags.cacheDir ? await directoryFlag(parsed.flags.cacheDir, 'cache-dir') : undefined,
        runner,
      ),
      // A laptop or another CI's runner is nobody's to reconfigure unless prepare-host says yes.
      host: hostFacts(env, os.homedir(), false),
      // Nothing is uploaded here: there is no artifact service.
      trigger: { tag: undefined, uploadByDefault: false },
    };
    if (parsed.command === 'diff') {
      const [a, b] = parsed.operands as [string, string];
      const diff = await diffOutputs(ctx, a, b, options.toolsTree, options.repro.maxFiles);
      process.stdout.write(diff.markdown + `\nreports: ${diff.markdownFile} ${diff.jsonFile}\n`);
      return diff.comparison.identical ? 0 : 1;
    }
    if (parsed.command === 'publish') {
      const published = await publishDirectory(ctx, options.publish, path.resolve(parsed.flags.outputDir!));
      process.stdout.write(publishText({ ...published, notes: [] }).join('\n') + '\n');
      return 0;
    }
    const result = await runPipeline(ctx, options, parsed.command);
    const caches = result.caches?.records.length
      ? await saveCaches(ctx, result.caches.records, cacheSaveInputs(result, options))
      : [];
    process.stdout.write('\n' + renderText(result));
    const cacheLines = cacheText(caches, result.caches?.skipped);
    if (cacheLines.length > 0) process.stdout.write(cacheLines.join('\n') + '\n');
    if (result.failure) {
      reportFailure(log, result.failure.error, result.failure.message, result.failure.file);
      return 1;
    }
    return 0;
  } catch (error) {
    reportFailure(log, error);
    return 1;
  }
}
