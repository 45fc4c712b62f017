import { mkosiMirrorSetting } from './mirror.js';
import type { MkosiOptions, ToolsTree } from './options.js';

/** Everything that shapes an mkosi invocation, in mkosi's own terms. */
export interface Invocation {
  directory: string;
  profiles: readonly string[];
  environment: ReadonlyArray<readonly [string, string]>;
  /** Value for Mirror=, already in mkosi's form (for Debian without the trailing /debian). */
  mirror?: string;
  toolsTree: ToolsTree;
  sandboxTrees: readonly string[];
  toolsTreeSandboxTrees: readonly string[];
  /** The user's extra options, passed last so they win over ours. */
  extraArgs: readonly string[];
}

export function toolsTreeArg(toolsTree: ToolsTree): string {
  switch (toolsTree.kind) {
    case 'default':
      return 'default';
    case 'none':
      return 'no';
    case 'path':
      return toolsTree.path;
  }
}

/** The options shared by every verb, in the order mkosi documents them (options before the verb). */
export function commonArgs(invocation: Invocation): string[] {
  const args = ['--directory', invocation.directory];
  if (invocation.profiles.length > 0) {
    args.push(`--profile=${invocation.profiles.join(',')}`);
  }
  for (const [key, value] of invocation.environment) {
    args.push(`--environment=${key}=${value}`);
  }
  if (invocation.mirror) {
    args.push(`--mirror=${invocation.mirror}`);
  }
  args.push(`--tools-tree=${toolsTreeArg(invocation.toolsTree)}`);
  for (const tree of invocation.sandboxTrees) {
    args.push(`--sandbox-tree=${tree}`);
  }
  for (const tree of invocation.toolsTreeSandboxTrees) {
    args.push(`--tools-tree-sandbox-tree=${tree}`);
  }
  args.push(...invocation.extraArgs);
  return args;
}

export function summaryArgs(invocation: Invocation): string[] {
  return [...commonArgs(invocation), '--json', 'summary'];
}

export function buildArgs(invocation: Invocation, force: number): string[] {
  return [...commonArgs(invocation), ...Array<string>(force).fill('-f'), 'build'];
}

/** The invocation the options ask for, before mkosi-ci adds sandbox trees or cache options. */
export function baseInvocation(options: MkosiOptions): Invocation {
  return {
    directory: options.directory,
    profiles: options.profiles,
    environment: options.environment,
    mirror: options.mirror && mkosiMirrorSetting(options.mirror),
    toolsTree: options.toolsTree,
    sandboxTrees: [],
    toolsTreeSandboxTrees: [],
    extraArgs: options.args,
  };
}

/** The invocation with mkosi options added before the user's own (which still win). */
export function withExtraArgs(invocation: Invocation, args: readonly string[]): Invocation {
  if (args.length === 0) return invocation;
  return { ...invocation, extraArgs: [...args, ...invocation.extraArgs] };
}
