import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { chainToolBoxes, hostToolBox, toolsTreeToolBox } from '../repro/toolbox.js';
import type { ComparisonResult } from '../repro/comparison.js';
import { compareOutputs } from '../repro/narrow.js';
import { renderJson, renderMarkdown } from '../repro/report.js';
import type { Context } from '../context.js';
import type { ToolsTree } from '../mkosi/options.js';

export interface DiffResult {
  comparison: ComparisonResult;
  markdown: string;
  /** The reports, kept in the work directory. */
  markdownFile: string;
  jsonFile: string;
}

/** Most differing files named in a report: enough to see the pattern, bounded for huge diffs. */
export const DEFAULT_DIFF_MAX_FILES = 100;

/**
 * Compares two outputs (files or output directories) of any two builds and says which files differ and
 * how, narrowing disk images by partition and file system, UKIs by section and initrds by member.
 * Filesystem tools come from the host and, where it lacks them (mtools, squashfs-tools, …), from a tools
 * tree given as a path.
 */
export async function diffOutputs(
  ctx: Context,
  a: string,
  b: string,
  toolsTree: ToolsTree,
  maxFiles = DEFAULT_DIFF_MAX_FILES,
): Promise<DiffResult> {
  for (const side of [a, b]) {
    if (!(await stat(side).catch(() => undefined))) {
      throw new ConfigurationError(
        `diff: ${side} does not exist; give two output files or output directories.`,
        {
          file: side,
        },
      );
    }
  }
  const host = hostToolBox(ctx.runner);
  const tools = toolsTree.kind === 'path' ? toolsTreeToolBox(toolsTree.path, host) : host;
  const dir = path.join(ctx.workDir, 'diff');
  await mkdir(dir, { recursive: true });
  const tmpDir = await mkdtemp(path.join(dir, 'extract-'));
  let comparison: ComparisonResult;
  try {
    comparison = await compareOutputs(path.resolve(a), path.resolve(b), {
      runner: ctx.runner,
      tools: chainToolBoxes(tools),
      tmpDir,
      maxFiles,
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  const markdown = renderMarkdown(comparison);
  const markdownFile = path.join(dir, 'diff-report.md');
  const jsonFile = path.join(dir, 'diff-report.json');
  await writeFile(markdownFile, markdown);
  await writeFile(jsonFile, renderJson(comparison));
  return { comparison, markdown, markdownFile, jsonFile };
}
