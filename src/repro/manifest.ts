import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** What a manifest entry is. `hardlink` is a tar/cpio entry that refers to an earlier path. */
export type ManifestEntryType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket' | 'other';

/**
 * One file of a filesystem, archive or tree. Fields a reader cannot know (vfat has no owners, a tool
 * may not report xattrs) are left undefined, and both sides of a comparison come from the same reader.
 */
export interface ManifestEntry {
  /** Absolute, normalized, "/"-separated: "/", "/etc/os-release". */
  path: string;
  type: ManifestEntryType;
  /** Permission bits and set-id/sticky bits (mode & 0o7777). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Bytes of a regular file (directories: whatever the source reports, if anything). */
  size?: number;
  /** Seconds since the epoch (fractions kept where the source has them). */
  mtime?: number;
  /** Symlink or hardlink target. */
  target?: string;
  /** Device number of char/block devices as "major:minor". */
  rdev?: string;
  xattrs?: Record<string, string>;
  /** Hex sha256 of a regular file's content. */
  sha256?: string;
}

export type ManifestField =
  'type' | 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'target' | 'rdev' | 'xattrs' | 'sha256';

const MANIFEST_FIELDS: readonly ManifestField[] = [
  'type',
  'sha256',
  'size',
  'target',
  'mode',
  'uid',
  'gid',
  'rdev',
  'xattrs',
  'mtime',
];

export interface ManifestChange {
  path: string;
  /** The fields that differ, in MANIFEST_FIELDS order (content first, mtime last). */
  fields: ManifestField[];
  a: ManifestEntry;
  b: ManifestEntry;
}

export interface ManifestCounts {
  a: number;
  b: number;
  identical: number;
  added: number;
  removed: number;
  changed: number;
}

export interface ManifestDiff {
  /** In b only. */
  added: ManifestEntry[];
  /** In a only. */
  removed: ManifestEntry[];
  changed: ManifestChange[];
  counts: ManifestCounts;
}

export interface DiffOptions {
  /** Fields not to compare, e.g. ['mtime'] for a source that cannot keep them. */
  ignore?: readonly ManifestField[];
}

/** "/a/b", never a trailing slash, "." and ".." resolved, leading "./" dropped. */
export function normalizeManifestPath(p: string): string {
  const normalized = path.posix.normalize(`/${p.replace(/^\.\/?/, '')}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameXattrs(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a).sort();
  const other = Object.keys(b).sort();
  return keys.length === other.length && keys.every((k, i) => k === other[i] && a[k] === b[k]);
}

/** The fields in which two entries for the same path differ. */
function changedFields(
  a: ManifestEntry,
  b: ManifestEntry,
  ignore: readonly ManifestField[] = [],
): ManifestField[] {
  const fields: ManifestField[] = [];
  for (const field of MANIFEST_FIELDS) {
    if (ignore.includes(field)) continue;
    const same = field === 'xattrs' ? sameXattrs(a.xattrs, b.xattrs) : a[field] === b[field];
    if (!same) fields.push(field);
  }
  return fields;
}

/**
 * Compares two manifests by path: what was added (in b only), removed (in a only) and changed, with
 * the changed fields. Duplicate paths keep the last entry. Results are sorted by path.
 */
export function diffManifests(
  a: readonly ManifestEntry[],
  b: readonly ManifestEntry[],
  options: DiffOptions = {},
): ManifestDiff {
  const left = new Map(a.map((e) => [e.path, e]));
  const right = new Map(b.map((e) => [e.path, e]));
  const added: ManifestEntry[] = [];
  const removed: ManifestEntry[] = [];
  const changed: ManifestChange[] = [];
  let identical = 0;
  for (const [p, entry] of left) {
    const other = right.get(p);
    if (!other) {
      removed.push(entry);
      continue;
    }
    const fields = changedFields(entry, other, options.ignore);
    if (fields.length === 0) identical++;
    else changed.push({ path: p, fields, a: entry, b: other });
  }
  for (const [p, entry] of right) if (!left.has(p)) added.push(entry);
  added.sort((x, y) => comparePaths(x.path, y.path));
  removed.sort((x, y) => comparePaths(x.path, y.path));
  changed.sort((x, y) => comparePaths(x.path, y.path));
  return {
    added,
    removed,
    changed,
    counts: {
      a: left.size,
      b: right.size,
      identical,
      added: added.length,
      removed: removed.length,
      changed: changed.length,
    },
  };
}

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
  /** Round mtimes down to whole seconds (default true: extractors differ in sub-second precision). */
  wholeSeconds?: boolean;
}

function typeOfStats(stats: Awaited<ReturnType<typeof lstat>>): ManifestEntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'other';
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
  const wholeSeconds = options.wholeSeconds ?? true;
  const visit = async (abs: string, rel: string): Promise<void> => {
    const stats = await lstat(abs);
    const type = typeOfStats(stats);
    const entry: ManifestEntry = { path: rel, type };
    if (options.modes !== false) entry.mode = stats.mode & 0o7777;
    if (options.owners !== false) {
      entry.uid = stats.uid;
      entry.gid = stats.gid;
    }
    const keepMtime =
      (type !== 'symlink' || options.symlinkMtime !== false) &&
      (type !== 'directory' || options.directoryMtime !== false);
    if (keepMtime) entry.mtime = wholeSeconds ? Math.floor(stats.mtimeMs / 1000) : stats.mtimeMs / 1000;
    if (type === 'file') {
      entry.size = stats.size;
      toHash.push([entry, abs]);
    } else if (type === 'symlink') {
      entry.target = await readlink(abs);
    } else if (type === 'char' || type === 'block') {
      entry.rdev = `${Math.floor(stats.rdev / 256) & 0xfff}:${(stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00)}`;
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

/** One line for a mode: 0644. */
export function formatMode(mode: number | undefined): string {
  return mode === undefined ? '?' : mode.toString(8).padStart(4, '0');
}

/** A short human explanation of one changed entry, e.g. "content (sha256), size 10 → 12". */
export function describeChange(change: ManifestChange): string {
  const { a, b } = change;
  const parts = change.fields.map((field) => {
    switch (field) {
      case 'type':
        return `type ${a.type} → ${b.type}`;
      case 'sha256':
        return 'content';
      case 'size':
        return `size ${a.size ?? '?'} → ${b.size ?? '?'}`;
      case 'target':
        return `target ${a.target ?? '?'} → ${b.target ?? '?'}`;
      case 'mode':
        return `mode ${formatMode(a.mode)} → ${formatMode(b.mode)}`;
      case 'uid':
        return `uid ${a.uid ?? '?'} → ${b.uid ?? '?'}`;
      case 'gid':
        return `gid ${a.gid ?? '?'} → ${b.gid ?? '?'}`;
      case 'rdev':
        return `device ${a.rdev ?? '?'} → ${b.rdev ?? '?'}`;
      case 'xattrs':
        return 'xattrs';
      case 'mtime':
        return `mtime ${formatTime(a.mtime)} → ${formatTime(b.mtime)}`;
    }
    return field;
  });
  return parts.join(', ');
}

export function formatTime(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace('.000Z', 'Z');
}
