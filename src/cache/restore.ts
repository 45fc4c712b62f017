import { lstat, mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { CacheEntry, CacheStore, Log, Runner } from '../ports.js';
import { extractArchive, unpackBudget } from './extract.js';
import type { CacheName } from './keys.js';
import { ArchiveRefused } from './tar-guard.js';

/** How a cache is restored. */
interface RestorePolicy {
  /** It holds OS trees: absolute symlinks and set-ID bits are part of them (see TarPolicy). */
  osTree: boolean;
  /**
   * It only ever gains files (downloaded packages), so an entry may be added to a directory that has
   * content already: what is there is kept, only missing files are added. The others are restored only
   * where nothing is.
   */
  merge: boolean;
}

const POLICIES: Readonly<Record<CacheName, RestorePolicy>> = {
  packages: { osTree: false, merge: true },
  incremental: { osTree: true, merge: false },
  'tools-tree': { osTree: true, merge: false },
};

export interface RestoreTarget {
  name: CacheName;
  key: string;
  restoreKeys: readonly string[];
  paths: readonly string[];
}

export interface RestoreDeps {
  store: CacheStore;
  runner: Runner;
  log: Log;
}

/** The paths of a cache as one root and names below it (they are siblings: see planCaches). */
export function cacheEntry(paths: readonly string[]): CacheEntry {
  const root = path.dirname(paths[0]!);
  const stray = paths.find((p) => path.dirname(p) !== root);
  if (stray) throw new Error(`the paths of a cache must be in one directory: ${root} and ${stray}`);
  return { root, members: paths.map((p) => path.basename(p)) };
}

async function lstatOrUndefined(file: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  return lstat(file).catch(() => undefined);
}

/** Whether a path holds anything: a file, a link, or a directory with entries. */
async function hasContent(file: string): Promise<boolean> {
  const info = await lstatOrUndefined(file);
  if (!info) return false;
  return !info.isDirectory() || (await readdir(file)).length > 0;
}

interface Placed {
  added: number;
  kept: number;
}

/** Adds what `from` has and `to` lacks, keeping everything in `to`; never follows a link in `to`. */
async function mergeInto(from: string, to: string, placed: Placed): Promise<void> {
  for (const name of await readdir(from)) {
    const source = path.join(from, name);
    const target = path.join(to, name);
    const existing = await lstatOrUndefined(target);
    if (!existing) {
      await rename(source, target);
      placed.added++;
    } else if (existing.isDirectory() && (await lstat(source)).isDirectory()) {
      await mergeInto(source, target, placed);
    } else {
      placed.kept++;
    }
  }
}

/** Moves the checked members from the staging tree into the root: renames, within one filesystem. */
async function moveIntoPlace(tree: string, entry: CacheEntry, merge: boolean): Promise<Placed> {
  const placed: Placed = { added: 0, kept: 0 };
  for (const member of entry.members) {
    const source = path.join(tree, member);
    if (!(await lstatOrUndefined(source))) continue;
    const target = path.join(entry.root, member);
    const existing = await lstatOrUndefined(target);
    if (existing?.isDirectory() && !(await hasContent(target))) await rmdir(target);
    if (!existing || !(await lstatOrUndefined(target))) {
      await rename(source, target);
      placed.added++;
    } else if (merge && existing.isDirectory() && (await lstat(source)).isDirectory()) {
      await mergeInto(source, target, placed);
    } else {
      placed.kept++;
    }
  }
  return placed;
}

/** What a restore put in place: the key it came from and the bytes of content its archive held. */
export interface Restored {
  key: string;
  bytes: number;
}

/**
 * Restores one cache without trusting its archive: the store hands the archive over, it is extracted
 * into a fresh directory beside the cache with every member checked first (no absolute names, no
 * '..', no devices, no links out, nothing through a link, no more than the disk can take), and only
 * then moved into place. Content that is already there is never replaced. Never throws: a cache that
 * cannot be restored is a warning and a cold build. Returns what was restored, if anything.
 */
export async function restoreEntry(deps: RestoreDeps, target: RestoreTarget): Promise<Restored | undefined> {
  const { log } = deps;
  const policy = POLICIES[target.name];
  const entry = cacheEntry(target.paths);
  if (!policy.merge) {
    const present = [];
    for (const file of target.paths) if (await hasContent(file)) present.push(file);
    if (present.length > 0) {
      log.info(
        `Cache ${target.name}: ${present.join(' and ')} already there (made by the project or an earlier run): not restored over it; mkosi decides whether to use it.`,
      );
      return undefined;
    }
  }
  let staging: string | undefined;
  try {
    await mkdir(entry.root, { recursive: true });
    staging = await mkdtemp(path.join(entry.root, '.mkosi-ci-restore-'));
    const scratch = path.join(staging, 'fetch');
    const tree = path.join(staging, 'tree');
    await Promise.all([mkdir(scratch), mkdir(tree)]);
    const found = await deps.store.fetch(entry.members, target.key, target.restoreKeys, scratch);
    if (!found) return undefined;
    let unpacked: { bytes: number };
    try {
      unpacked = await extractArchive(deps.runner, found.file, tree, {
        members: new Set(entry.members),
        osTree: policy.osTree,
        maxBytes: await unpackBudget(staging),
      });
    } catch (error) {
      if (!(error instanceof ArchiveRefused)) throw error;
      log.warning(
        `Cache ${target.name}: the entry ${found.key} was refused and nothing of it was used; building without it: ${error.message}`,
      );
      return undefined;
    }
    const placed = await moveIntoPlace(tree, entry, policy.merge);
    if (placed.kept > 0) {
      log.info(
        `Cache ${target.name}: ${placed.kept} entries already in ${entry.root} were kept as they were; ${placed.added} were added from the cache.`,
      );
    }
    return { key: found.key, bytes: unpacked.bytes };
  } catch (error) {
    log.warning(`Cache ${target.name}: restore failed, building without it: ${errorMessage(error)}`);
    return undefined;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}
