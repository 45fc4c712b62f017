import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../mkosi/build-result.js';
import type { ToolsTree } from '../mkosi/options.js';
import type { Artifact } from '../mkosi/outputs.js';
import type { Log, Runner } from '../ports.js';
import { narrowedPath } from './diffoscope.js';
import { chainToolBoxes, hostToolBox, toolsTreeToolBox, type ToolBox } from './toolbox.js';
import { mergeComparisons } from './merge.js';
import type { ComparisonResult, FileDifference } from './comparison.js';
import { compareOutputs } from './narrow.js';
import type { ReproOptions } from './options.js';

/** Largest differing file copied for diffoscope: enough for any config or binary, not for a whole image. */
const DIFFOSCOPE_MAX_FILE_BYTES = 256 * 1024 * 1024;

function toolBox(runner: Runner, toolsTree: ToolsTree): ToolBox {
  const host = hostToolBox(runner);
  return chainToolBoxes(toolsTree.kind === 'path' ? toolsTreeToolBox(toolsTree.path, host) : host);
}

/** The outputs compared: the main image's files and directories (symlinks point at them). */
function comparable(artifacts: readonly Artifact[]): Artifact[] {
  return artifacts.filter((a) => a.type !== 'symlink');
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
export async function compareBuilds(
  ctx: { runner: Runner; log: Log },
  options: Pick<ReproOptions, 'diffoscope' | 'maxFiles'>,
  first: BuildResult,
  second: BuildResult,
  toolsTree: ToolsTree,
  dir: string,
  narrowedDir: string,
): Promise<{ comparison: ComparisonResult; copied: number }> {
  let copied = 0;
  const keep = async (difference: FileDifference, files: { a: string; b: string }): Promise<void> => {
    if (options.diffoscope === 'no') return;
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
          tools: toolBox(ctx.runner, toolsTree),
          tmpDir: extractDir,
          maxFiles: Math.max(1, options.maxFiles - kept),
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
    options.maxFiles,
  );
  return { comparison, copied };
}
