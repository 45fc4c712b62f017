import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { summaryArgs } from '../mkosi/args.js';
import type { Artifact } from '../mkosi/outputs.js';
import type { Runner } from '../ports.js';
import { claimDirectory } from '../process/owned-directory.js';
import { chainToolBoxes, hostToolBox, toolsTreeToolBox, type ToolBox } from '../repro/filesystems.js';
import { diffoscopeArgs, findDiffoscope, narrowedPath, type DiffoscopeRun } from '../repro/diffoscope.js';
import { mergeComparisons } from '../repro/merge.js';
import { compareOutputs, type ComparisonResult, type FileDifference } from '../repro/narrow.js';
import { renderReproJson, renderReproMarkdown, type ReproConditions } from '../repro/repro-report.js';
import { variedBuild, type VariedBuild } from '../repro/variations.js';
import { baseInvocation, build, lastErrorLine, type BuildResult } from './build.js';
import type { Context } from './context.js';
import type { Options, ToolsTree } from './options.js';
import type { Mkosi } from './setup.js';

/**
 * The reproducibility check: a second build of the same source, in a fresh copy of the project at
 * another path, with the variations and without anything of the first build's (no incremental
 * cache, no workspace, no build directory; only the package cache is shared); then both builds'
 * outputs narrowed to the files that differ, and diffoscope on those files only.
 */

export interface Pin {
  setting: 'Seed' | 'SourceDateEpoch';
  value: string;
  /** Why this value: "derived from ImageId", "time of the last commit". */
  source: string;
}

export interface ReproPins {
  /** What mkosi-ci pinned because the project left it unset (empty when the project pins both). */
  pinned: Pin[];
  /** mkosi options for both builds. */
  args: string[];
}

export interface ReproResult {
  reproducible: boolean;
  comparison: ComparisonResult;
  conditions: ReproConditions;
  second: BuildResult;
  /** The report directory: report.md, report.json, diffoscope.html/.txt. */
  reportDir: string;
  markdownFile: string;
  jsonFile: string;
  markdown: string;
}

/** Largest differing file copied for diffoscope: enough for any config or binary, not for a whole image. */
const DIFFOSCOPE_MAX_FILE_BYTES = 256 * 1024 * 1024;
const DIFFOSCOPE_TIMEOUT_MS = 10 * 60_000;

/** A stable UUID for an image, so two runs of the check on the same project pin the same Seed=. */
export function derivedSeed(imageId: string): string {
  const h = createHash('sha256').update(`mkosi-ci repro seed\0${imageId}`).digest('hex');
  // A version 4 / variant 1 layout, so tools that check the UUID's shape accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface SummaryFacts {
  seed: unknown;
  sourceDateEpoch: unknown;
  imageId: string;
}

async function summaryFacts(runner: Runner, mkosi: Mkosi, options: Options): Promise<SummaryFacts> {
  const result = await runner.run(mkosi.command, summaryArgs(baseInvocation(options)), { stream: false });
  if (result.exitCode !== 0) {
    const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
    throw new ConfigurationError(`mkosi could not read the configuration in ${options.directory}: ${why}`, {
      file: options.directory,
    });
  }
  const raw = JSON.parse(result.stdout) as { Images: Array<Record<string, unknown>> };
  const main = raw.Images.at(-1) ?? {};
  return {
    seed: main.Seed,
    sourceDateEpoch: main.SourceDateEpoch,
    imageId: typeof main.ImageId === 'string' ? main.ImageId : path.basename(options.directory),
  };
}

/** The time of the project's last commit, when it is in git: the usual SOURCE_DATE_EPOCH. */
async function lastCommitTime(runner: Runner, directory: string): Promise<number | undefined> {
  const result = await runner
    .run('git', ['-C', directory, 'log', '-1', '--format=%ct'], { stream: false })
    .catch(() => undefined);
  const value = Number(result?.stdout.trim());
  return result?.exitCode === 0 && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Seed= and SourceDateEpoch= for both builds. mkosi draws a new random seed for every run when
 * Seed= is unset (two summaries differ), and takes SourceDateEpoch= from the environment when unset
 * (null in the summary): those are pinned, everything the project pins is left alone.
 */
export async function reproPins(ctx: Context, options: Options, mkosi: Mkosi): Promise<ReproPins> {
  const first = await summaryFacts(ctx.runner, mkosi, options);
  const second = await summaryFacts(ctx.runner, mkosi, options);
  const pins: ReproPins = { pinned: [], args: [] };
  if (first.seed !== second.seed || first.seed === null || first.seed === undefined) {
    const seed = derivedSeed(first.imageId);
    pins.pinned.push({ setting: 'Seed', value: seed, source: `derived from ImageId=${first.imageId}` });
    pins.args.push(`--seed=${seed}`);
  }
  if (first.sourceDateEpoch === null || first.sourceDateEpoch === undefined) {
    const commit = await lastCommitTime(ctx.runner, options.directory);
    const epoch = commit ?? Math.floor(Date.now() / 1000);
    pins.pinned.push({
      setting: 'SourceDateEpoch',
      value: String(epoch),
      source: commit ? 'time of the last commit' : 'start of this run (the project is not in git)',
    });
    pins.args.push(`--source-date-epoch=${epoch}`);
  }
  return pins;
}

/**
 * The options of both builds: the pins before the user's options (a user's own --seed wins and was
 * already seen as pinned), and Incremental=no after them, so neither build can reuse a cached image
 * that would hide nondeterminism.
 */
export function reproBuildOptions(options: Options, pins: ReproPins): Options {
  return { ...options, args: [...pins.args, ...options.args, '--incremental=no'] };
}

/** A Runner that starts mkosi with the second build's variations (wrapper, environment). */
export function variedRunner(runner: Runner, mkosiCommand: string, varied: VariedBuild): Runner {
  return {
    which: (command) => runner.which(command),
    run(command, args, options = {}) {
      if (command !== mkosiCommand) return runner.run(command, args, options);
      const env = { ...options.env, ...varied.env };
      if (varied.wrapper.length === 0) return runner.run(command, args, { ...options, env });
      return runner.run(varied.wrapper[0]!, [...varied.wrapper.slice(1), command, ...args], {
        ...options,
        env,
      });
    },
  };
}

/** Project files that belong to a build, not to the source: never copied into the second build's tree. */
const BUILD_STATE = new Set([
  'mkosi.output',
  'mkosi.cache',
  'mkosi.builddir',
  'mkosi.workspace',
  'mkosi.tools',
]);

async function copyProject(source: string, target: string, exclude: readonly string[]): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source)) {
    const from = path.join(source, entry);
    if (BUILD_STATE.has(entry) || exclude.some((e) => e === from || e.startsWith(`${from}${path.sep}`)))
      continue;
    await cp(from, path.join(target, entry), {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    });
  }
}

/** The tools tree of the second build: the first build's, so it is neither rebuilt nor compared. */
function secondToolsTree(options: Options): ToolsTree {
  const inProject = path.join(options.directory, 'mkosi.tools');
  if (options.toolsTree.kind === 'default' && existsSync(inProject)) return { kind: 'path', path: inProject };
  return options.toolsTree;
}

function toolBox(ctx: Context, toolsTree: ToolsTree): ToolBox {
  const host = hostToolBox(ctx.runner);
  return chainToolBoxes(toolsTree.kind === 'path' ? toolsTreeToolBox(toolsTree.path, host) : host);
}

/** The outputs compared: the main image's files and directories (symlinks point at them). */
function comparable(artifacts: readonly Artifact[]): Artifact[] {
  return artifacts.filter((a) => a.type !== 'symlink');
}

async function runDiffoscope(
  ctx: Context,
  options: Options,
  toolsTree: ToolsTree,
  narrowedDir: string,
  reportDir: string,
  copied: number,
): Promise<DiffoscopeRun> {
  if (options.repro.diffoscope === 'no') return { status: 'disabled' };
  const command = await findDiffoscope(toolsTree.kind === 'path' ? toolsTree.path : undefined, (c) =>
    ctx.runner.which(c),
  );
  if (!command) {
    if (options.repro.diffoscope === 'yes') {
      throw new ConfigurationError(
        'Input diffoscope: yes, but diffoscope is neither in the tools tree nor on PATH (add diffoscope-minimal to ToolsTreePackages= or install it).',
      );
    }
    return { status: 'unavailable' };
  }
  if (copied === 0) return { status: 'nothing-to-explain' };
  const html = path.join(reportDir, 'diffoscope.html');
  const text = path.join(reportDir, 'diffoscope.txt');
  const started = Date.now();
  const result = await ctx.log.group(`diffoscope on ${copied} differing files`, () =>
    ctx.runner.run(
      command.command,
      [
        ...command.args,
        ...diffoscopeArgs({
          html,
          text,
          maxReportSize: options.repro.maxReportSize,
          timeoutSeconds: DIFFOSCOPE_TIMEOUT_MS / 1000,
          a: 'a',
          b: 'b',
        }),
      ],
      // Relative paths, so the report's headings read a/<image>/<partition>/<file>.
      {
        cwd: narrowedDir,
        timeoutMs: DIFFOSCOPE_TIMEOUT_MS,
        stream: false,
        logFile: path.join(reportDir, 'diffoscope.log'),
      },
    ),
  );
  const durationMs = Date.now() - started;
  // diffoscope exits 1 when it found differences, which is what it was given.
  if (result.timedOut) return { status: 'timed-out', durationMs, files: copied };
  if (result.exitCode > 1) {
    return {
      status: 'failed',
      durationMs,
      files: copied,
      reason: lastErrorLine(result.stderr) ?? `exit status ${result.exitCode}`,
    };
  }
  return { status: 'ran', durationMs, files: copied, html: 'diffoscope.html', text: 'diffoscope.txt' };
}

/**
 * The second build: a fresh copy of the source at another path (or the same tree when build-path is
 * not varied) with its own output, workspace, build and work directories, started with the variations.
 */
async function secondBuild(
  ctx: Context,
  options: Options,
  mkosi: Mkosi,
  first: BuildResult,
  dir: string,
  varied: VariedBuild,
): Promise<{ second: BuildResult; directory: string; toolsTree: ToolsTree }> {
  const directory = options.repro.variations.includes('build-path')
    ? path.join(await mkdtemp(path.join(dir, 'src-')), path.basename(options.directory))
    : options.directory;
  if (directory !== options.directory) {
    await copyProject(options.directory, directory, [first.outputDirectory, ctx.workDir]);
  }
  const own = (name: string): string => path.join(dir, 'second', name);
  for (const d of ['output', 'workspace', 'build']) await mkdir(own(d), { recursive: true });
  const toolsTree = secondToolsTree(options);
  const secondOptions: Options = {
    ...options,
    directory,
    toolsTree,
    args: [
      ...options.args,
      ...varied.mkosiArgs,
      `--output-directory=${own('output')}`,
      `--workspace-directory=${own('workspace')}`,
      `--build-directory=${own('build')}`,
    ],
  };
  const secondCtx: Context = {
    ...ctx,
    workDir: own('work'),
    runner: variedRunner(ctx.runner, mkosi.command, varied),
  };
  ctx.log.info(`Second build in ${directory}: ${varied.applied.join('; ') || 'no variations'}`);
  const second = await build(secondCtx, secondOptions, mkosi);
  await rm(own('workspace'), { recursive: true, force: true });
  return { second, directory, toolsTree };
}

/** Output pairs by name: every output of either build, the other side's path even if it is missing. */
function outputPairs(first: BuildResult, second: BuildResult): Array<{ name: string; a: string; b: string }> {
  const names = [
    ...new Set([...comparable(first.artifacts), ...comparable(second.artifacts)].map((a) => a.name)),
  ];
  return names.map((name) => ({
    name,
    a: first.artifacts.find((x) => x.name === name)?.path ?? path.join(first.outputDirectory, name),
    b: second.artifacts.find((x) => x.name === name)?.path ?? path.join(second.outputDirectory, name),
  }));
}

/**
 * Compares every output pair, narrowing each difference, and copies the differing regular files
 * (both versions, while they are extracted) into `narrowedDir` for diffoscope.
 */
async function compareBuilds(
  ctx: Context,
  options: Options,
  first: BuildResult,
  second: BuildResult,
  toolsTree: ToolsTree,
  dir: string,
  narrowedDir: string,
): Promise<{ comparison: ComparisonResult; copied: number }> {
  let copied = 0;
  const keep = async (difference: FileDifference, files: { a: string; b: string }): Promise<void> => {
    if (options.repro.diffoscope === 'no') return;
    const size = Math.max(...(await Promise.all([stat(files.a), stat(files.b)])).map((s) => s.size));
    if (size > DIFFOSCOPE_MAX_FILE_BYTES) return;
    const relative = narrowedPath(difference);
    await cp(files.a, path.join(narrowedDir, 'a', relative), { preserveTimestamps: true });
    await cp(files.b, path.join(narrowedDir, 'b', relative), { preserveTimestamps: true });
    copied++;
  };
  const extractDir = await mkdtemp(path.join(dir, 'extract-'));
  const results: ComparisonResult[] = [];
  try {
    await ctx.log.group('Compare the two builds', async () => {
      for (const pair of outputPairs(first, second)) {
        const kept = results.reduce((n, r) => n + r.differences.length, 0);
        const result = await compareOutputs(pair.a, pair.b, {
          runner: ctx.runner,
          tools: toolBox(ctx, toolsTree),
          tmpDir: extractDir,
          maxFiles: Math.max(1, options.repro.maxFiles - kept),
          onDifference: keep,
        });
        results.push(result);
        ctx.log.info(
          `${pair.name}: ${result.identical ? 'identical' : `${result.totalDifferences} differences`}`,
        );
      }
    });
  } finally {
    await rm(extractDir, { recursive: true, force: true });
  }
  const comparison = mergeComparisons(
    first.outputDirectory,
    second.outputDirectory,
    results,
    options.repro.maxFiles,
  );
  return { comparison, copied };
}

export async function repro(
  ctx: Context,
  options: Options,
  mkosi: Mkosi,
  first: BuildResult,
  pins: ReproPins,
): Promise<ReproResult> {
  const dir = path.join(ctx.workDir, 'repro');
  const reportDir = path.join(ctx.workDir, 'logs', 'repro');
  // Emptied only when an earlier run made them: --work-dir may be a directory of the user's.
  await claimDirectory(dir);
  await claimDirectory(reportDir);
  const varied = variedBuild(options.repro.variations, { root: ctx.host.root });
  const { second, directory, toolsTree } = await secondBuild(ctx, options, mkosi, first, dir, varied);

  const narrowedDir = path.join(dir, 'narrowed');
  const { comparison, copied } = await compareBuilds(
    ctx,
    options,
    first,
    second,
    toolsTree,
    dir,
    narrowedDir,
  );
  const diffoscope: DiffoscopeRun = comparison.identical
    ? { status: 'nothing-to-explain' }
    : await runDiffoscope(ctx, options, toolsTree, narrowedDir, reportDir, copied);
  await rm(narrowedDir, { recursive: true, force: true });

  const conditions: ReproConditions = {
    pinned: pins.pinned,
    variations: varied.applied,
    notVaried: varied.skipped,
    secondDirectory: directory,
    durations: { first: first.durationMs, second: second.durationMs },
    diffoscope,
  };
  const markdown = renderReproMarkdown(comparison, conditions);
  const markdownFile = path.join(reportDir, 'report.md');
  const jsonFile = path.join(reportDir, 'report.json');
  await writeFile(markdownFile, markdown);
  await writeFile(jsonFile, renderReproJson(comparison, conditions));
  return {
    reproducible: comparison.identical,
    comparison,
    conditions,
    second,
    reportDir,
    markdownFile,
    jsonFile,
    markdown,
  };
}
