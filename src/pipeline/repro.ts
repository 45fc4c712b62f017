import { access, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import type { BuildResult } from '../mkosi/build-result.js';
import type { Mkosi } from '../mkosi/install.js';
import { compareBuilds } from '../repro/compare-builds.js';
import type { DiffoscopeRun } from '../repro/diffoscope.js';
import type { ComparisonResult } from '../repro/comparison.js';
import type { ReproMode } from '../repro/options.js';
import { reproPins, type ReproPins } from '../repro/pins.js';
import { formatDifference } from '../repro/report.js';
import { claimDirectory } from '../process/owned-directory.js';
import { renderReproJson, renderReproMarkdown, type ReproConditions } from '../repro/repro-report.js';
import { runDiffoscope } from '../repro/run-diffoscope.js';
import { secondBuild } from '../repro/second-build.js';
import { variedBuild } from '../repro/variations.js';
import type { Options } from './options.js';
import type { ReportFile } from './publish.js';
import type { RunState, Stage } from './stage.js';
import type { TimePhase } from './timeline.js';

/**
 * The reproducibility check: a second build of the same source, in a fresh copy of the project at
 * another path, with the variations; then both builds' outputs narrowed to the files that differ, and
 * diffoscope on those files only.
 */

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

/**
 * The options of both builds: the pins before the user's options (a user's own --seed wins and was
 * already seen as pinned), and Incremental=no after them, so neither build can reuse a cached image
 * that would hide nondeterminism.
 */
export function reproBuildOptions(options: Options, pins: ReproPins): Options {
  return { ...options, args: [...pins.args, ...options.args, '--incremental=no'] };
}

/** `mkosi-ci repro` checks even when the reproducible input says no; `boot` never builds. */
function reproMode({ command, options }: RunState): ReproMode {
  if (command === 'boot') return 'no';
  return command === 'repro' && options.repro.mode === 'no' ? 'check' : options.repro.mode;
}

/** Before the first build: both builds of a check are made alike, pinned and without incremental images. */
export const pinStage: Stage = {
  name: 'build',
  title: 'pin Seed= and SourceDateEpoch=',
  runs: (state) => reproMode(state) !== 'no',
  async run(state) {
    const { ctx, options, result } = state;
    const mode = reproMode(state);
    const pins = await ctx.log.group('Pin Seed= and SourceDateEpoch=', () =>
      reproPins(ctx.runner, options, result.setup!.mkosi),
    );
    state.pins = pins;
    state.options = { ...reproBuildOptions(options, pins), repro: { ...options.repro, mode } };
  },
};

/** After the first build (and its boot check): the second build and the comparison. */
export const reproStage: Stage = {
  name: 'repro',
  title: 'reproducibility check',
  runs: (state) => state.pins !== undefined,
  async run({ ctx, options, result, pins, timeline }) {
    // The second build shares the first one's package cache, never its incremental cache.
    const packageCache = (result.caches?.args ?? []).filter((a) =>
      a.startsWith('--package-cache-directory='),
    );
    result.repro = await repro(
      ctx,
      { ...options, args: [...packageCache, ...options.args] },
      result.setup!.mkosi,
      result.build!,
      pins!,
      (name, fn) => timeline.time('repro', name, fn),
    );
    if (result.repro.reproducible) return;
    const message = reproFailureMessage(result.repro);
    // An image that failed its check is not published.
    if (options.repro.mode === 'check') return { verdict: message };
    ctx.log.warning(message);
  },
};

export async function repro(
  ctx: Context,
  options: Options,
  mkosi: Mkosi,
  first: BuildResult,
  pins: ReproPins,
  time: TimePhase = (_, fn) => fn(),
): Promise<ReproResult> {
  const dir = path.join(ctx.workDir, 'repro');
  const reportDir = path.join(ctx.workDir, 'logs', 'repro');
  // Emptied only when an earlier run made them: --work-dir may be a directory of the user's.
  await claimDirectory(dir);
  await claimDirectory(reportDir);
  const varied = variedBuild(options.repro.variations, { root: ctx.host.root });
  const { second, directory, toolsTree } = await time('second build', () =>
    secondBuild(ctx, options, mkosi, first, dir, varied),
  );

  const narrowedDir = path.join(dir, 'narrowed');
  const { comparison, copied } = await time('comparison', () =>
    compareBuilds(ctx, options.repro, first, second, toolsTree, dir, narrowedDir),
  );
  const diffoscope: DiffoscopeRun = comparison.identical
    ? { status: 'nothing-to-explain' }
    : await time('diffoscope', () =>
        runDiffoscope(ctx, options.repro, toolsTree, narrowedDir, reportDir, copied),
      );
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

/** The reproducibility report, published with the outputs under names that say what it is. */
export async function reproReportFiles(repro: ReproResult): Promise<ReportFile[]> {
  const files: ReportFile[] = [
    { name: 'reproducibility-report.md', path: repro.markdownFile },
    { name: 'reproducibility-report.json', path: repro.jsonFile },
  ];
  const html = path.join(repro.reportDir, 'diffoscope.html');
  if (
    await access(html).then(
      () => true,
      () => false,
    )
  ) {
    files.push({ name: 'reproducibility-diffoscope.html', path: html });
  }
  return files;
}

/** One message naming what differs, the first few files with their partition, and where the report is. */
export function reproFailureMessage(repro: ReproResult): string {
  const c = repro.comparison;
  // Content first: a file whose bytes differ says more than a directory whose mode does.
  const content = (d: (typeof c.differences)[number]): number =>
    d.change !== 'changed' || d.fields.includes('sha256') ? 0 : 1;
  const top = [...c.differences]
    .sort((x, y) => content(x) - content(y))
    .slice(0, 3)
    .map(formatDifference);
  const more = c.totalDifferences - top.length;
  return `Reproducibility check: the two builds differ in ${c.totalDifferences} ${c.totalDifferences === 1 ? 'place' : 'places'}: ${top.join('; ')}${more > 0 ? `; and ${more} more` : ''} (report: ${repro.reportDir})`;
}
