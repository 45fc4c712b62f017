import path from 'node:path';
import type { MkosiConfig } from '../mkosi/config.js';
import type { CacheKey, CacheName } from './keys.js';
import type { CacheOptions } from './options.js';

/** One cache of this run: its key and the paths it is made of. */
export interface CacheTarget extends CacheKey {
  paths: string[];
}

export interface CachePlan {
  targets: CacheTarget[];
  /** mkosi options that put the caches where they are restored to, before the user's own options. */
  args: string[];
  /** Why a cache that is switched on is not used in this run. */
  notes: string[];
}

export interface PlanInputs {
  config: MkosiConfig;
  keys: readonly CacheKey[];
  options: CacheOptions;
  /** The tools-tree input is `default`: mkosi builds its tools tree into the project. */
  defaultToolsTree: boolean;
  /** The project or the args set Incremental= themselves (the summary cannot tell a default `no`). */
  incrementalChosen: boolean;
  cacheHome: string;
}

/** Whether configuration text or mkosi options set Incremental= explicitly. */
export function choosesIncremental(configTexts: readonly string[], args: readonly string[]): boolean {
  return (
    configTexts.some((text) => /^\s*Incremental\s*=/m.test(text)) ||
    args.some((arg) => /^--incremental(=|$)/.test(arg) || arg === '-i')
  );
}

/**
 * Where each cache is and what mkosi needs to be told so the caches are where they are restored to:
 * a package cache directory and a cache directory when the project names none, and Incremental=yes
 * when the project left it at its default.
 */
export function planCaches(inputs: PlanInputs): CachePlan {
  const { config, options, cacheHome } = inputs;
  const main = config.main;
  const key = (name: CacheName): CacheKey | undefined => inputs.keys.find((k) => k.name === name);
  const plan: CachePlan = { targets: [], args: [], notes: [] };

  const packagesKey = key('packages');
  if (options.enabled.packages && packagesKey) {
    let dir = main.packageCacheDirectory;
    if (!dir) {
      dir = path.join(cacheHome, 'packages');
      plan.args.push(`--package-cache-directory=${dir}`);
    }
    plan.targets.push({ ...packagesKey, paths: [dir] });
  }

  const incrementalKey = key('incremental');
  if (options.enabled.incremental && incrementalKey) {
    if (main.incremental === 'no' && inputs.incrementalChosen) {
      plan.notes.push('incremental: the project sets Incremental=no, so there is no incremental cache.');
    } else {
      if (main.incremental === 'no') plan.args.push('--incremental=yes');
      let dir = main.cacheDirectory;
      if (!dir) {
        dir = path.join(cacheHome, 'incremental');
        plan.args.push(`--cache-directory=${dir}`);
      }
      plan.targets.push({ ...incrementalKey, paths: [dir] });
    }
  }

  const toolsKey = key('tools-tree');
  if (options.enabled['tools-tree'] && toolsKey) {
    const tree = main.toolsTree;
    if (inputs.defaultToolsTree && config.tools && tree) {
      // mkosi writes the manifest last: it marks the tree complete and tells mkosi whether it is current.
      plan.targets.push({ ...toolsKey, paths: [tree, `${tree}.manifest`] });
    }
  }
  return plan;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * What a cache must not carry: the private keys and passphrases the configuration names, and the
 * project itself (which holds mkosi.key, mkosi.passphrase and the like). Returns the offenders.
 */
export function secretsInside(
  paths: readonly string[],
  secretFiles: readonly string[],
  projectDirectory: string,
): string[] {
  const offenders = new Set<string>();
  for (const cachePath of paths) {
    for (const secret of secretFiles) if (isInside(secret, cachePath)) offenders.add(secret);
    if (isInside(projectDirectory, cachePath)) offenders.add(projectDirectory);
  }
  return [...offenders];
}
