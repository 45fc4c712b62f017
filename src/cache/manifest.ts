import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readlinkSync, type BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a cache holds, summed up so that two states can be compared: every entry's path, type, mode,
 * owner, size, link target and content hash, never timestamps (mkosi and apt touch files without
 * changing them, and a restore sets mtimes from the archive).
 *
 * The change check after the build does not read every file again: it is given the manifest taken
 * at the restore, and a file whose device, inode, size, mtime and ctime are all as they were then
 * keeps the content hash it had; only the others are read. What that can prove: ctime is set by the
 * kernel on every write, chmod, chown and rename, and cannot be set from user space (utimes sets it to
 * now), so a file rewritten with the same size and its mtime put back (touch -r, cp -p, tar, rsync
 * -t) still shows a new ctime and is hashed. What it cannot: a write in the same clock tick as the
 * restore-time look at the file (timestamps are coarse, a few milliseconds), which is why a file
 * whose ctime was that recent then is always hashed ("racy", as git treats its index); a system clock
 * set back to the very nanosecond; a filesystem that does not keep ctime (some FUSE and network
 * filesystems); a write to the block device under the filesystem. None of these happen to a cache
 * between a restore and a build on a runner; the cost of the rare miss is one entry not saved.
 */
export interface CacheManifest {
  /** sha256 over the sorted entry lines; equal digests mean equal content. */
  digest: string;
  files: number;
  bytes: number;
  /** Per regular file (by its line name): its stat signature and content hash, for the next check. */
  hashes: Record<string, FileHash>;
  /** Files read and hashed to make this manifest (the others kept the hash of the earlier one). */
  hashed: number;
}

/** A file's stat signature ('racy' when it cannot be trusted) and its content hash. */
export type FileHash = [signature: string, sha256: string];

/**
 * Files that change on every run without changing what the cache holds: apt rewrites its binary package
 * caches from the lists each time it runs (and would rebuild them if they were missing).
 */
const REGENERATED = new Set(['pkgcache.bin', 'srcpkgcache.bin']);

/** A ctime this close to the moment the file was looked at may share a clock tick with a later write. */
const RACY_NS = 100_000_000n;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What must be unchanged for a file's content to count as unchanged without reading it. */
function signature(info: BigIntStats, lookedAtNs: bigint): string {
  if (lookedAtNs - info.ctimeNs < RACY_NS) return 'racy';
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

interface Collected {
  lines: string[];
  bytes: number;
  hashes: Record<string, FileHash>;
  hashed: number;
}

type Context = { earlier: Readonly<Record<string, FileHash>>; into: Collected };

/** The earlier content hash when the stat is unchanged; undefined when the file must be read. */
function tokenWithoutReading(name: string, sig: string, context: Context): string | undefined {
  const known = context.earlier[name];
  if (known && sig !== 'racy' && known[0] === sig) return known[1];
  return undefined;
}

interface ToHash {
  file: string;
  name: string;
  sig: string;
  line: (token: string) => string;
}

/**
 * The entries of one path. The stats are synchronous: tens of thousands of small lstat calls through
 * the thread pool cost several times a plain loop (the post step of a warm run is mostly this walk);
 * only the files that must be read are hashed, 8 at a time.
 */
async function entryLines(root: string, label: string, context: Context): Promise<void> {
  const { into } = context;
  const top = await lstat(root).catch(() => undefined);
  if (!top) return;
  const paths = [root];
  if (top.isDirectory()) {
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      paths.push(path.join(entry.parentPath, entry.name));
    }
  }
  const toHash: ToHash[] = [];
  for (const file of paths) {
    if (REGENERATED.has(path.basename(file))) continue;
    const info = lstatSync(file, { bigint: true });
    const rel = path.join(label, path.relative(root, file));
    const mode = (info.mode & 0o7777n).toString(8);
    const owner = `${info.uid}:${info.gid}`;
    if (info.isFile()) {
      into.bytes += Number(info.size);
      // ctime is wall-clock time; milliseconds are precise enough against RACY_NS.
      const sig = signature(info, BigInt(Date.now()) * 1_000_000n);
      const line = (token: string): string => `f ${rel} ${mode} ${owner} ${info.size} ${token}`;
      const token = tokenWithoutReading(rel, sig, context);
      if (token === undefined) {
        toHash.push({ file, name: rel, sig, line });
        continue;
      }
      into.hashes[rel] = [sig, token];
      into.lines.push(line(token));
    } else if (info.isDirectory()) {
      into.lines.push(`d ${rel} ${mode} ${owner}`);
    } else if (info.isSymbolicLink()) {
      into.lines.push(`l ${rel} ${owner} ${readlinkSync(file)}`);
    } else {
      into.lines.push(`o ${rel} ${mode} ${owner} ${info.rdev}`);
    }
  }
  await forEachLimited(toHash, 8, async ({ file, name, sig, line }) => {
    const token = await sha256(file);
    into.hashed++;
    into.hashes[name] = [sig, token];
    into.lines.push(line(token));
  });
}

/**
 * The manifest of a cache made of several paths (each may be missing, a file or a directory). Given
 * the hashes of an earlier manifest of the same paths, a file whose stat signature is unchanged keeps
 * its hash unread (see CacheManifest for what that can and cannot prove). A cache restored from its
 * exact key needs no manifest: see RestoreMark.
 */
export async function cacheManifest(
  paths: readonly string[],
  earlier: Readonly<Record<string, FileHash>> = {},
): Promise<CacheManifest> {
  const into: Collected = { lines: [], bytes: 0, hashes: {}, hashed: 0 };
  for (const [index, root] of paths.entries()) {
    await entryLines(root, String(index), { earlier, into });
  }
  into.lines.sort();
  const hash = createHash('sha256');
  for (const line of into.lines) hash.update(line + '\n');
  return {
    digest: hash.digest('hex'),
    files: into.lines.length,
    bytes: into.bytes,
    hashes: into.hashes,
    hashed: into.hashed,
  };
}
