import { access } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, isConfigurationError } from '../errors.js';
import { boot, shouldBoot, type BootStageResult } from './boot.js';
import { build, existingOutputs, resolveInGroup, withArgs, type BuildResult } from './build.js';
import { restoreCaches, type CachesResult } from './caches.js';
import type { Context } from './context.js';
import type { Options } from './options.js';
import { assertProject } from './project.js';
import { publish, type PublishResult, type ReportFile } from './publish.js';
import { repro, reproBuildOptions, reproPins, type ReproResult } from './repro.js';
import { formatDifference } from '../repro/report.js';
import { setup, type SetupResult } from './setup.js';

export type StageName = 'setup' | 'build' | 'boot' | 'repro' | 'publish';

/**
 * What a run does: build (and boot-check what was built), boot-check outputs built earlier, or build
 * twice and compare (repro: the reproducibility check even when the reproducible input is false).
 */
export type PipelineCommand = 'build' | 'boot' | 'repro';

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
  repro?: ReproResult;
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
    const mkosi = result.setup.mkosi;
    const reproOptions =
      command === 'repro' && options.repro.mode === 'no'
        ? { ...options.repro, mode: 'check' as const }
        : options.repro;
    // Both builds of a reproducibility check are made alike: pinned and without incremental images.
    const pins =
      command !== 'boot' && reproOptions.mode !== 'no'
        ? await ctx.log.group('Pin Seed= and SourceDateEpoch=', () => reproPins(ctx, options, mkosi))
        : undefined;
    const buildOptions = pins ? { ...reproBuildOptions(options, pins), repro: reproOptions } : options;
    if (command === 'boot') {
      result.build = await existingOutputs(ctx, options, mkosi);
    } else {
      const resolved = await resolveInGroup(ctx, buildOptions, mkosi);
      result.caches = await ctx.log.group('Restore caches', () =>
        restoreCaches(ctx, buildOptions, mkosi.version, resolved.config).catch((error: unknown) => {
          ctx.log.warning(`Caches are not used in this run: ${errorMessage(error)}`);
          return { skipped: errorMessage(error), records: [], args: [] };
        }),
      );
      result.build = await build(ctx, buildOptions, mkosi, withArgs(resolved, result.caches.args));
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
        return result;
      }
    }
    if (pins) {
      stage = 'repro';
      // The second build shares the first one's package cache, never its incremental cache.
      const packageCache = (result.caches?.args ?? []).filter((a) =>
        a.startsWith('--package-cache-directory='),
      );
      result.repro = await repro(
        ctx,
        { ...buildOptions, args: [...packageCache, ...buildOptions.args] },
        mkosi,
        result.build!,
        pins,
      );
      if (!result.repro.reproducible) {
        const message = reproFailureMessage(result.repro);
        if (buildOptions.repro.mode === 'check') {
          // An image that failed its check is not published.
          result.failure = { stage, message, userError: true, error: undefined };
          return result;
        }
        ctx.log.warning(message);
      }
    }
    // Only what was built here is published: `boot` checks outputs that were published when built.
    if (command !== 'boot') {
      stage = 'publish';
      const reports = result.repro ? await reproReportFiles(result.repro) : [];
      result.publish = await ctx.log.group('Publish', () =>
        publish(ctx, options.publish, result.build!, options.profiles, reports),
      );
    }
  } catch (error) {
    result.failure = failure(stage, error);
  }
  return result;
}

/** The reproducibility report, published with the outputs under names that say what it is. */
async function reproReportFiles(repro: ReproResult): Promise<ReportFile[]> {
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
