import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { comparePaths, type ManifestEntry, type ManifestEntryType } from './manifest.js';

/** Manifests of directory trees on disk (an OS tree, an output directory, an extracted filesystem). */

const SMALL_FILE = 1024 * 1024;
const HASH_CONCURRENCY = 8;

/** sha256 of a file or of `length` bytes of it from `start`, read in 4 MiB chunks (bounded memory). */
export async function sha256Of(file: string, start = 0, length?: number): Promise<string> {
  const hash = createHash('sha256');
  if (length === 0) return hash.digest('hex');
  if (start === 0 && length === undefined) {
    // Small files in one read: a stream per file costs more than the hashing itself.
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      if (size <= SMALL_FILE) {
        const buf = Buffer.alloc(size);
        let got = 0;
        while (got < size) {
          const { bytesRead } = await handle.read(buf, got, size - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return hash.update(buf.subarray(0, got)).digest('hex');
      }
    } finally {
      await handle.close();
    }
  }
  const end = length === undefined ? undefined : start + length - 1;
  for await (const chunk of createReadStream(file, { start, end, highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

export interface DirectoryManifestOptions {
  /** Leave out mtimes of symlinks (tools such as debugfs rdump cannot set them). */
  symlinkMtime?: boolean;
  /** Leave out owners (vfat extractions belong to whoever extracted them). */
  owners?: boolean;
  /** Leave out permission bits (vfat). */
  modes?: boolean;
  /** Leave out directory mtimes. */
  directoryMtime?: boolean;
  /**
   * Keep mtimes to the nanosecond (`mtimeNs`), for a tree read as it is. Off for extractions: their
   * tools set times in whole seconds or less precisely than the filesystem held them.
   */
  nanoseconds?: boolean;
  /** Every further path of a multiply linked inode is a hard link to the first one (in path order). */
  hardlinks?: boolean;
}

function typeOfStats(stats: BigIntStats): ManifestEntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'other';
}

/** The metadata every entry has, whatever its type, as far as the options keep it. */
function metadataOf(
  stats: BigIntStats,
  type: ManifestEntryType,
  options: DirectoryManifestOptions,
): Omit<ManifestEntry, 'path' | 'type'> {
  const entry: Omit<ManifestEntry, 'path' | 'type'> = {};
  if (options.modes !== false) entry.mode = Number(stats.mode) & 0o7777;
  if (options.owners !== false) {
    entry.uid = Number(stats.uid);
    entry.gid = Number(stats.gid);
  }
  const keepMtime =
    (type !== 'symlink' || options.symlinkMtime !== false) &&
    (type !== 'directory' || options.directoryMtime !== false);
  if (keepMtime) {
    entry.mtime = Math.floor(Number(stats.mtimeMs) / 1000);
    if (options.nanoseconds) entry.mtimeNs = stats.mtimeNs.toString();
  }
  return entry;
}

function deviceNumber(rdev: number): string {
  return `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
}

/**
 * The manifest of a directory tree read with lstat, every regular file hashed as a stream. Entries
 * are produced in sorted order; the root itself is "/". Memory grows with the number of entries only.
 */
export async function manifestFromDirectory(
  root: string,
  options: DirectoryManifestOptions = {},
): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  const toHash: Array<[ManifestEntry, string]> = [];
  /** The first path of each multiply linked inode. */
  const firstLinks = new Map<string, string>();
  /** The path this inode was first seen at, or undefined when `rel` is the first. */
  const firstLink = (stats: BigIntStats, rel: string): string | undefined => {
    const inode = `${stats.dev}:${stats.ino}`;
    const first = firstLinks.get(inode);
    if (first === undefined) firstLinks.set(inode, rel);
    return first;
  };
  const visit = async (abs: string, rel: string): Promise<void> => {
    const stats = await lstat(abs, { bigint: true });
    const type = typeOfStats(stats);
    const entry: ManifestEntry = { path: rel, type, ...metadataOf(stats, type, options) };
    const linkedTo =
      options.hardlinks && type !== 'directory' && stats.nlink > 1n ? firstLink(stats, rel) : undefined;
    if (linkedTo !== undefined) {
      entry.type = 'hardlink';
      entry.target = linkedTo;
    } else if (type === 'file') {
      entry.size = Number(stats.size);
      toHash.push([entry, abs]);
    } else if (type === 'symlink') {
      entry.target = await readlink(abs);
    } else if (type === 'char' || type === 'block') {
      entry.rdev = deviceNumber(Number(stats.rdev));
    }
    entries.push(entry);
    if (type === 'directory') {
      const names: string[] = [];
      const dir = await opendir(abs);
      for await (const dirent of dir) names.push(dirent.name);
      names.sort((x, y) => comparePaths(x, y));
      for (const name of names)
        await visit(path.join(abs, name), rel === '/' ? `/${name}` : `${rel}/${name}`);
    }
  };
  await visit(root, '/');
  // Hash a few files at a time: most are small and the cost is in the system calls.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toHash.length) {
      const [entry, abs] = toHash[next++]!;
      entry.sha256 = await sha256Of(abs);
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  return entries;
}
