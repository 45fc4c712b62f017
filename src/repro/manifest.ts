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
  /** Nanoseconds since the epoch, as a decimal string, where the reader keeps them (a tree on disk). */
  mtimeNs?: string;
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

export function comparePaths(a: string, b: string): number {
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
    const same =
      field === 'xattrs'
        ? sameXattrs(a.xattrs, b.xattrs)
        : field === 'mtime'
          ? a.mtime === b.mtime && a.mtimeNs === b.mtimeNs
          : a[field] === b[field];
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

/** One line for a mode: 0644. */
export function formatMode(mode: number | undefined): string {
  return mode === undefined ? '?' : mode.toString(8).padStart(4, '0');
}

/** "hard link to /usr/bin/a", or "separate file" for an entry that is not a hard link. */
function linkText(entry: ManifestEntry): string {
  return entry.type === 'hardlink' ? `hard link to ${entry.target ?? '?'}` : `separate ${entry.type}`;
}

/** The names of the extended attributes that differ (present on one side only, or another value). */
function xattrNames(a: ManifestEntry, b: ManifestEntry): string[] {
  const names = [...new Set([...Object.keys(a.xattrs ?? {}), ...Object.keys(b.xattrs ?? {})])].sort();
  return names.filter((n) => a.xattrs?.[n] !== b.xattrs?.[n]);
}

function describeField(field: ManifestField, a: ManifestEntry, b: ManifestEntry): string {
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
      return `xattrs (${xattrNames(a, b).join(', ')})`;
    case 'mtime':
      return `mtime ${formatEntryTime(a)} → ${formatEntryTime(b)}`;
  }
}

/** What a hard link stands for is the link itself: its content, size and type are the file's. */
const LINK_FIELDS: readonly ManifestField[] = ['type', 'sha256', 'size', 'target'];

/** A short human explanation of one changed entry, e.g. "content (sha256), size 10 → 12". */
export function describeChange(change: ManifestChange): string {
  const { a, b, fields } = change;
  if ((a.type === 'hardlink' || b.type === 'hardlink') && fields.some((f) => LINK_FIELDS.includes(f))) {
    const rest = fields.filter((f) => !LINK_FIELDS.includes(f)).map((f) => describeField(f, a, b));
    return [`${linkText(a)} → ${linkText(b)}`, ...rest].join(', ');
  }
  return fields.map((f) => describeField(f, a, b)).join(', ');
}

export function formatTime(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace('.000Z', 'Z');
}

/** An entry's mtime, to the nanosecond when the reader kept them: 2023-11-14T22:13:20.000000001Z. */
export function formatEntryTime(entry: ManifestEntry): string {
  if (entry.mtimeNs === undefined) return formatTime(entry.mtime);
  const ns = BigInt(entry.mtimeNs);
  const seconds = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const fraction = ns - seconds * 1_000_000_000n;
  const whole = new Date(Number(seconds) * 1000).toISOString().replace('.000Z', '');
  return `${whole}.${fraction.toString().padStart(9, '0')}Z`;
}
