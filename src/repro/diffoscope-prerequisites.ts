import { existsSync } from 'node:fs';
import type { MkosiConfig } from '../mkosi/config.js';
import type { ToolsTree } from '../mkosi/options.js';
import type { Runner } from '../ports.js';
import { findDiffoscope } from './diffoscope.js';
import type { ReproOptions } from './options.js';
import { noDiffoscopeError } from './run-diffoscope.js';

const DIFFOSCOPE_PACKAGES = ['diffoscope', 'diffoscope-minimal'];

/**
 * `diffoscope: yes` for a reproducibility check, judged before the first build rather than after the
 * second: diffoscope must be in the tools tree (a default tree mkosi has yet to build: in its package
 * list) or on the host.
 */
export async function checkDiffoscopePrerequisites(
  runner: Runner,
  options: Pick<ReproOptions, 'mode' | 'diffoscope'>,
  toolsTree: ToolsTree,
  config: MkosiConfig,
): Promise<void> {
  if (options.mode === 'no' || options.diffoscope !== 'yes') return;
  if (toolsTree.kind === 'default') {
    if ((config.tools?.packages ?? []).some((p) => DIFFOSCOPE_PACKAGES.includes(p))) return;
  }
  // Where the repro stage looks: a tree given as a path, or the default tree once mkosi built it.
  const tree =
    toolsTree.kind === 'path'
      ? toolsTree.path
      : toolsTree.kind === 'default'
        ? config.main.toolsTree
        : undefined;
  const built = tree !== undefined && existsSync(tree) ? tree : undefined;
  if (await findDiffoscope(built, (c) => runner.which(c))) return;
  throw noDiffoscopeError();
}
