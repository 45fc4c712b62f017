import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { saveCaches } from '../cache/caches.js';
import type { Context } from '../context.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import { Input, type RawInputs } from '../inputs.js';
import { cacheSaveInputs, hostFacts, reportFailure } from '../pipeline/adapter-support.js';
import { diffOutputs } from '../pipeline/diff.js';
import { parseOptions, type Options } from '../pipeline/options.js';
import { runPipeline, type PipelineCommand } from '../pipeline/run.js';
import { ProcessRunner } from '../process/runner.js';
import { environmentSecrets } from '../process/environment.js';
import { maskSecrets } from '../process/mask.js';
import { publishDirectory } from '../publish/write-checksums.js';
import { renderText } from '../report/build-summary.js';
import { cacheText } from '../report/cache-summary.js';
import { runOutputs } from '../report/outputs.js';
import { publishText } from '../report/publish-summary.js';
import type { Log } from '../ports.js';
import { MKOSI_CI_VERSION } from '../version.js';
import { helpText, parseCommandLine, type CliFlags } from './args.js';
import { directoryCacheStore } from './cache-store.js';
import { consoleLog } from './log.js';
import { directoryToolCache } from './tool-cache.js';
import { temporaryWorkDir, type TemporaryWorkDir } from './work-dir.js';

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

/** Where the CLI writes: the summary and the children's output go to stderr when stdout is for --json. */
interface Streams {
  out: (text: string | Buffer) => void;
  text: (text: string | Buffer) => void;
}

function streams(json: boolean): Streams {
  const out = (text: string | Buffer): void => void process.stdout.write(text);
  const err = (text: string | Buffer): void => void process.stderr.write(text);
  return { out, text: json ? err : out };
}

/** --work-dir as given, kept whole; else a temporary one whose scratch goes at the end. */
async function workDirFor(flags: CliFlags): Promise<TemporaryWorkDir> {
  if (!flags.workDir) return temporaryWorkDir();
  const dir = await directoryFlag(flags.workDir, 'work-dir');
  return { dir, finish: () => Promise.resolve(undefined) };
}

async function cliContext(
  flags: CliFlags,
  env: NodeJS.ProcessEnv,
  log: Log,
  io: Streams,
  workDir: string,
): Promise<Context> {
  const runner = new ProcessRunner((chunk) => io.text(chunk), env);
  return {
    runner,
    log,
    toolCache: directoryToolCache(path.join(cacheRoot(env), 'tools'), runner),
    workDir,
    cacheStore: directoryCacheStore(
      flags.cacheDir ? await directoryFlag(flags.cacheDir, 'cache-dir') : undefined,
      runner,
    ),
    // A laptop or another CI's runner is nobody's to reconfigure unless prepare-host says yes.
    host: hostFacts(env, os.homedir(), false),
    // Nothing is uploaded here: there is no artifact service.
    trigger: { tag: undefined, uploadByDefault: false },
  };
}

/** build, boot and repro: the pipeline, the cache save, the summary (and with --json the outputs). */
async function runCommand(
  ctx: Context,
  options: Options,
  command: PipelineCommand,
  flags: CliFlags,
  io: Streams,
): Promise<number> {
  const result = await runPipeline(ctx, options, command);
  const caches = result.caches?.records.length
    ? await saveCaches(ctx, result.caches.records, cacheSaveInputs(result, options))
    : [];
  io.text('\n' + renderText(result));
  const cacheLines = cacheText(caches, result.caches?.skipped);
  if (cacheLines.length > 0) io.text(cacheLines.join('\n') + '\n');
  if (flags.json) {
    const outputs = runOutputs(result, path.join(ctx.workDir, 'logs'));
    io.out(
      JSON.stringify({ ...outputs, ...(result.failure ? { failure: result.failure.message } : {}) }) + '\n',
    );
  }
  if (!result.failure) return 0;
  reportFailure(ctx.log, result.failure.error, result.failure.message, result.failure.file);
  return 1;
}

async function runParsedCommand(
  ctx: Context,
  options: Options,
  parsed: Extract<ReturnType<typeof parseCommandLine>, { kind: 'run' }>,
  io: Streams,
): Promise<number> {
  if (parsed.command === 'diff') {
    const [a, b] = parsed.operands as [string, string];
    const diff = await diffOutputs(ctx, a, b, options.toolsTree, options.repro.maxFiles);
    io.out(diff.markdown + `\nreports: ${diff.markdownFile} ${diff.jsonFile}\n`);
    return diff.comparison.identical ? 0 : 1;
  }
  if (parsed.command === 'publish') {
    const published = await publishDirectory(ctx, options.publish, path.resolve(parsed.flags.outputDir!));
    io.out(publishText({ ...published, notes: [] }).join('\n') + '\n');
    return 0;
  }
  return runCommand(ctx, options, parsed.command, parsed.flags, io);
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
    const io = streams(parsed.flags.json);
    const workDir = await workDirFor(parsed.flags);
    try {
      const ctx = await cliContext(parsed.flags, env, log, io, workDir.dir);
      return await runParsedCommand(ctx, options, parsed, io);
    } finally {
      const kept = await workDir.finish();
      if (kept) io.text(`Logs and reports are kept in ${kept}\n`);
    }
  } catch (error) {
    reportFailure(log, error);
    return 1;
  }
}
