import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../mkosi/build-result.js';
import { runBuild } from '../mkosi/build.js';
import type { Mkosi } from '../mkosi/install.js';
import type { MkosiOptions, ToolsTree } from '../mkosi/options.js';
import { resolveConfig } from '../mkosi/resolve.js';
import type { Log, Runner } from '../ports.js';
import { runCleanup } from '../process/cleanup.js';
import type { ReproOptions } from './options.js';
import type { VariedBuild } from './variations.js';

/**
 * The second build of the reproducibility check: a fresh copy of the project at another path, with
 * the variations and without anything of the first build's (no incremental cache, no workspace, no
 * build directory; only the package cache is shared).
 */

type Ports = { runner: Runner; log: Log; workDir: string };

/** The options of the builds of a check: mkosi's and the variations. */
export type ReproBuildOptions = MkosiOptions & { repro: Pick<ReproOptions, 'variations'> };

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
function secondToolsTree(options: MkosiOptions): ToolsTree {
  const inProject = path.join(options.directory, 'mkosi.tools');
  if (options.toolsTree.kind === 'default' && existsSync(inProject)) return { kind: 'path', path: inProject };
  return options.toolsTree;
}

/**
 * The second build: a fresh copy of the source at another path (or the same tree when build-path is
 * not varied) with its own output, workspace, build and work directories, started with the variations.
 */
export async function secondBuild(
  ctx: Ports,
  options: ReproBuildOptions,
  mkosi: Mkosi,
  first: BuildResult,
  dir: string,
  varied: VariedBuild,
): Promise<{ second: BuildResult; directory: string; toolsTree: ToolsTree }> {
  const copy = options.repro.variations.includes('build-path')
    ? await mkdtemp(path.join(dir, 'src-'))
    : undefined;
  const directory = copy ? path.join(copy, path.basename(options.directory)) : options.directory;
  // The copy holds the project's keys too: gone after the build, and on a signal during it.
  const forget = copy
    ? runCleanup.addStep({
        what: `the copy of the project in ${copy}`,
        path: copy,
        run: () => rm(copy, { recursive: true, force: true }),
      })
    : undefined;
  try {
    if (copy) await copyProject(options.directory, directory, [first.outputDirectory, ctx.workDir]);
    return await buildIn(ctx, options, mkosi, directory, dir, varied);
  } finally {
    if (copy) await rm(copy, { recursive: true, force: true });
    forget?.();
  }
}

async function buildIn(
  ctx: Ports,
  options: ReproBuildOptions,
  mkosi: Mkosi,
  directory: string,
  dir: string,
  varied: VariedBuild,
): Promise<{ second: BuildResult; directory: string; toolsTree: ToolsTree }> {
  const own = (name: string): string => path.join(dir, 'second', name);
  for (const d of ['output', 'workspace', 'build']) await mkdir(own(d), { recursive: true });
  const toolsTree = secondToolsTree(options);
  const secondOptions: MkosiOptions = {
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
  const secondCtx = {
    log: ctx.log,
    workDir: own('work'),
    runner: variedRunner(ctx.runner, mkosi.command, varied),
  };
  ctx.log.info(`Second build in ${directory}: ${varied.applied.join('; ') || 'no variations'}`);
  const resolved = await ctx.log.group('Resolve the configuration of the second build', () =>
    resolveConfig(secondCtx, secondOptions, mkosi),
  );
  const second = await runBuild(secondCtx, secondOptions, mkosi, resolved);
  await rm(own('workspace'), { recursive: true, force: true });
  return { second, directory, toolsTree };
}
