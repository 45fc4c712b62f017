import { lstatSync, type BigIntStats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';

/**
 * Whether a cache restored from its exact key was touched after the restore, told without a manifest.
 * An exact hit is never saved over (see saveDecision), so the check after the build only has to say
 * "unchanged" or "changed"; listing every file at the restore only to list them again after the build
 * cost the warm run most of a second on the tools tree. Instead the restore records when it ended and
 * which inode each path was; after the build the cache is untouched when every path is still that inode
 * and nothing below it has a ctime after the mark.
 *
 * What that can prove: the kernel sets an inode's ctime on every write, truncate, chmod, chown and
 * rename of it, and a directory's on every name added to or removed from it, and user space cannot set
 * it (utimes sets it to now). So a file written, a file added or deleted, a mode changed, or a path
 * replaced by another tree all show. Timestamps are coarse (the kernel's clock tick, up to 10 ms behind
 * the real time): the mark is taken after the restore's last write, and nothing may write to the cache
 * until RESTORE_MARK_SETTLE_MS after the last mark (settleAfterMarks), so a later write cannot get a
 * ctime at or before a mark. What it cannot prove, as for the manifest's stat check: a clock set back,
 * a filesystem that keeps no ctime, a write to the block device under the filesystem. Its error is
 * only ever a report of 'unchanged' for a cache that is not saved either way.
 */
export interface RestoreMark {
  /** Wall-clock time (ns since the epoch, as a decimal string for the step's JSON state) after the restore. */
  atNs: string;
  /** Per path of the cache, its `dev:ino` after the restore, or null when it was not there. */
  inodes: (string | null)[];
}

/** Longer than a clock tick, so that writes after the restore's mark have a later ctime than it. */
export const RESTORE_MARK_SETTLE_MS = 50;

function inodeOf(info: BigIntStats | undefined): string | null {
  return info ? `${info.dev}:${info.ino}` : null;
}

/** Marks the end of a restore of `paths` (call it after the restore's last write). */
export function markRestore(paths: readonly string[]): RestoreMark {
  const inodes = paths.map((p) => inodeOf(lstatSync(p, { bigint: true, throwIfNoEntry: false })));
  // Date.now() is rounded down to the millisecond; a write just before it may have a ctime within it.
  return { atNs: String(BigInt(Date.now() + 1) * 1_000_000n), inodes };
}

/** Waits until every mark is RESTORE_MARK_SETTLE_MS old (nothing may touch the caches before). */
export async function settleAfterMarks(marks: readonly RestoreMark[]): Promise<void> {
  const latestMs = Math.max(...marks.map((m) => Number(BigInt(m.atNs) / 1_000_000n)));
  // A wait of less than a millisecond (none to do, or no marks: -Infinity) is one tick of the loop.
  await sleep(Math.max(0, latestMs + RESTORE_MARK_SETTLE_MS - Date.now()));
}

export interface SinceMark {
  /** The first path found changed since the mark (or that is another inode, or gone, or new), if any. */
  touched: string | undefined;
  /** Entries below the paths (files, directories, links, others), and the bytes of the regular files. */
  entries: number;
  bytes: number;
}

/**
 * Looks at `paths` after the build against the mark of their restore. Every entry is looked at (the
 * count and bytes are reported), but never read. Runs after the build, when nothing writes to the
 * cache: an entry removed between the listing and its look is an error, not a case.
 */
export async function changedSinceMark(paths: readonly string[], mark: RestoreMark): Promise<SinceMark> {
  const since = BigInt(mark.atNs);
  const result: SinceMark = { touched: undefined, entries: 0, bytes: 0 };
  const look = (file: string, info = lstatSync(file, { bigint: true })): void => {
    result.entries++;
    if (info.isFile()) result.bytes += Number(info.size);
    // A ctime at the mark is the restore's own (the mark is taken after its last write).
    if (info.ctimeNs > since) result.touched ??= file;
  };
  for (const [index, root] of paths.entries()) {
    const top = lstatSync(root, { bigint: true, throwIfNoEntry: false });
    if (inodeOf(top) !== (mark.inodes[index] ?? null)) result.touched ??= root;
    if (!top) continue;
    look(root, top);
    if (!top.isDirectory()) continue;
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      look(path.join(entry.parentPath, entry.name));
    }
  }
  return result;
}
