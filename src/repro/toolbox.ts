import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { RunResult, Runner } from '../ports.js';

/**
 * Where the readers find the programs they run (the host, an mkosi tools tree), and how they run
 * them: an argument array, a timeout, no output streamed.
 */

/** How to start a program: the command and the arguments that come before the program's own. */
export interface ToolCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Finds the programs the readers need. */
export interface ToolBox {
  find(name: string): Promise<ToolCommand | undefined>;
}

/** Programs on the host's PATH. */
export function hostToolBox(runner: Runner): ToolBox {
  return {
    async find(name) {
      const found = await runner.which(name);
      return found ? { command: found, args: [] } : undefined;
    },
  };
}

const LOADERS = [
  'lib64/ld-linux-x86-64.so.2',
  'lib/ld-linux-aarch64.so.1',
  'lib/ld-linux-riscv64-lp64d.so.1',
  'lib/ld-linux.so.2',
];

/**
 * Programs of an mkosi tools tree (a directory holding a distribution), run on the host through the
 * tree's own dynamic loader and libraries so that no chroot or mount is needed. Falls back to
 * `fallback` (e.g. the host) for what the tree does not have. Good for self-contained programs
 * (mtools, squashfs-tools, erofs-utils, cpio), not for programs that start others.
 */
export function toolsTreeToolBox(tree: string, fallback?: ToolBox): ToolBox {
  const loader = LOADERS.map((l) => path.join(tree, l)).find((l) => existsSync(l));
  const libraryPath = loader ? path.dirname(realpathSync(loader)) : undefined;
  return {
    async find(name) {
      if (loader && libraryPath) {
        for (const dir of ['usr/bin', 'usr/sbin', 'bin', 'sbin']) {
          const program = path.join(tree, dir, name);
          if (existsSync(program)) {
            return { command: loader, args: ['--library-path', libraryPath, program] };
          }
        }
      }
      return await fallback?.find(name);
    },
  };
}

/** The first ToolBox that has the program. */
export function chainToolBoxes(...boxes: ToolBox[]): ToolBox {
  return {
    async find(name) {
      for (const box of boxes) {
        const found = await box.find(name);
        if (found) return found;
      }
      return undefined;
    },
  };
}

export interface ReadContext {
  runner: Runner;
  tools: ToolBox;
  /** Where temporary extractions go; each is removed when its manifest is read. */
  tmpDir: string;
  /** Per tool run (default 10 minutes). */
  timeoutMs?: number;
}

export async function runTool(
  ctx: ReadContext,
  tool: ToolCommand,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return await ctx.runner.run(tool.command, [...tool.args, ...args], {
    stream: false,
    timeoutMs: ctx.timeoutMs ?? 10 * 60_000,
    env: { ...tool.env, ...env },
  });
}

/** One line on why a tool run failed: its exit status and the last lines it wrote. */
export function toolFailure(tool: string, result: RunResult): string {
  if (result.timedOut) return `${tool} timed out`;
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
  return `${tool} exited with ${result.signal ?? result.exitCode}${tail ? `: ${tail}` : ''}`;
}
