import { existsSync } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { isCpio, isTar, detectCompression, listTar } from './archives.js';
import {
  detectFilesystem,
  extractFilesystem,
  readHead,
  superblockFields,
  type Extraction,
  type FilesystemType,
  type ReadContext,
  type Region,
} from './filesystems.js';
import { compareGptTables, firstDifference, pairPartitions, partitionLabel, readGptTable } from './gpt.js';
import {
  describeChange,
  diffManifests,
  manifestFromDirectory,
  type ManifestCounts,
  type ManifestDiff,
  type ManifestEntry,
  type ManifestField,
} from './manifest.js';
import { isPe, listInitrd, readPe, sectionManifest, type SectionEntry } from './uki.js';

/**
 * Narrowing two outputs down to the files that differ: a whole file, then its structure (a disk's
 * partition table and partitions, a UKI's sections), then the files inside (a partition's
 * filesystem, an initrd's cpio), each level compared by a manifest. Content is streamed and
 * extracted filesystems are removed as soon as their level is done, so memory stays bounded by the
 * size of the manifests, not of the images.
 */

export type Verdict = 'identical' | 'different' | 'only-in-a' | 'only-in-b' | 'unsupported';

export type NodeKind =
  | 'directory'
  | 'disk'
  | 'partition-table'
  | 'partition'
  | 'filesystem'
  | 'uki'
  | 'section'
  | 'initrd'
  | 'tar'
  | 'file';

/** What a file is, from its first bytes. */
export type ContentKind = 'gpt' | 'pe' | 'initrd' | 'tar' | 'filesystem' | 'blob';

export interface Side {
  size?: number;
  sha256?: string;
}

export interface FieldDifference {
  field: string;
  a: string | number | undefined;
  b: string | number | undefined;
  hint?: string;
}

export interface ComparisonNode {
  kind: NodeKind;
  name: string;
  verdict: Verdict;
  a?: Side;
  b?: Side;
  /** One line on why the verdict (or why the level could not be read). */
  reason?: string;
  /** Filesystem type, partition type, compression and the like. */
  detail?: string;
  /** Manifest counts at this level (files of a filesystem, sections of a UKI, …). */
  counts?: ManifestCounts;
  /** Metadata that differs at this level: GPT fields, superblock fields, PE header fields. */
  fields?: FieldDifference[];
  children: ComparisonNode[];
}

export interface FileDifference {
  /** The levels above the file, outermost first: ["image.raw", "partition 2 root-x86-64 (ext4)"]. */
  location: string[];
  path: string;
  change: 'added' | 'removed' | 'changed';
  fields: ManifestField[];
  /** One line: what differs ("content, size 10 → 12", "only in b"). */
  reason: string;
  /** A known cause of build-to-build differences, when the path or field matches one. */
  hint?: string;
  /** True when the file was itself narrowed further (its inner differences are listed too). */
  narrowed?: boolean;
  a?: ManifestEntry;
  b?: ManifestEntry;
}

export interface ComparisonResult {
  a: string;
  b: string;
  identical: boolean;
  root: ComparisonNode;
  /** The differing files, at most maxFiles of them, in the order found. */
  differences: FileDifference[];
  /** How many differing files were found in all (can exceed differences.length). */
  totalDifferences: number;
  /** How many of them differ in their mtime only. */
  timestampOnly: number;
  truncated: boolean;
  durationMs: number;
}

export interface NarrowOptions extends ReadContext {
  /** Most differing files to keep (default 100); counting goes on past it. */
  maxFiles?: number;
  /** How many containers deep to narrow (a UKI on an ESP in a disk is depth 2; default 4). */
  maxDepth?: number;
  /** Fields never compared, e.g. ['mtime'] (default none). */
  ignore?: ManifestField[];
  /**
   * Called for each changed regular file while both versions exist on disk (extracted), e.g. to run
   * diffoscope on them; only for the first maxFiles differences.
   */
  onDifference?: (difference: FileDifference, files: { a: string; b: string }) => Promise<void>;
}

interface Known {
  test: (p: string) => boolean;
  hint: string;
}

/** Known sources of difference between two builds (see FIELD-NOTES "Comparing builds"). */
const KNOWN_PATHS: readonly Known[] = [
  {
    test: (p) => p === '/var/cache/ldconfig/aux-cache',
    hint: 'ldconfig cache: RemoveFiles=/var/cache/ldconfig/aux-cache',
  },
  { test: (p) => p.startsWith('/var/log/'), hint: 'log written during the build: RemoveFiles= it' },
  {
    test: (p) =>
      /^\/var\/(lib|cache)\/(dpkg|apt|rpm|dnf|pacman|zypp)\//.test(p) || p.startsWith('/var/lib/pacman/'),
    hint: 'package manager state',
  },
  { test: (p) => /(^|\/)loader\/random-seed$/.test(p), hint: 'systemd-boot random seed (random by design)' },
  { test: (p) => p === '/var/lib/systemd/random-seed', hint: 'systemd random seed (random by design)' },
  { test: (p) => p === '/etc/machine-id', hint: 'machine id' },
  { test: (p) => p.endsWith('.pyc'), hint: 'Python bytecode (embeds source mtimes)' },
  {
    test: (p) => p === '/etc/ssh/ssh_host_' || /^\/etc\/ssh\/ssh_host_/.test(p),
    hint: 'SSH host key generated at build time',
  },
];

const KNOWN_FIELDS: Readonly<Record<string, string>> = {
  'header.diskGuid': 'disk GUID derives from Seed=: pin Seed=',
  uuid: 'derives from Seed= (partition UUIDs) or is random: pin Seed=',
  hash_seed: 'ext4 directory hash seed: SYSTEMD_REPART_MKFS_OPTIONS_EXT4=-E hash_seed=<uuid>',
  mkfs_time: 'filesystem creation time: pin SourceDateEpoch=',
  write_time: 'filesystem write time: pin SourceDateEpoch=',
  build_time: 'filesystem build time: pin SourceDateEpoch=',
  volume_id: 'vfat volume id: derives from Seed=',
  timestamp: 'PE link time stamp',
};

export function hintForPath(p: string, fields: readonly ManifestField[] = []): string | undefined {
  const known = KNOWN_PATHS.find((k) => k.test(p));
  if (known) return known.hint;
  if (fields.length === 1 && fields[0] === 'mtime') return 'timestamp only: pin SourceDateEpoch=';
  return undefined;
}

export function hintForField(field: string): string | undefined {
  return KNOWN_FIELDS[field] ?? KNOWN_FIELDS[field.replace(/^.*\./, '')];
}

/**
 * A mode that differs only in the group/other write bits (0644 → 0664) follows the umask of the
 * build: whatever created the file did not set its mode.
 */
export function hintForModes(a: number | undefined, b: number | undefined): string | undefined {
  if (a === undefined || b === undefined || a === b) return undefined;
  if (((a ^ b) & ~0o022) !== 0) return undefined;
  return "mode follows the build's umask: the file was created without an explicit mode";
}

/** What a file is from its first bytes (at least 68 KiB for filesystems). */
export function sniff(head: Buffer): ContentKind {
  if (head.length >= 520 && head.toString('latin1', 512, 520) === 'EFI PART') return 'gpt';
  if (head.length >= 4104 && head.toString('latin1', 4096, 4104) === 'EFI PART') return 'gpt';
  if (isPe(head)) return 'pe';
  if (isCpio(head) || detectCompression(head) !== undefined) return 'initrd';
  if (isTar(head)) return 'tar';
  if (detectFilesystem(head) !== 'unknown') return 'filesystem';
  return 'blob';
}

/** Differences that are only a timestamp rank below content, ownership and presence. */
function isMinor(difference: FileDifference): boolean {
  return difference.change === 'changed' && difference.fields.every((f) => f === 'mtime');
}

class Narrower {
  private readonly major: FileDifference[] = [];
  private readonly minor: FileDifference[] = [];
  total = 0;
  minorTotal = 0;
  private readonly maxFiles: number;
  private readonly maxDepth: number;

  constructor(private readonly options: NarrowOptions) {
    this.maxFiles = options.maxFiles ?? 100;
    this.maxDepth = options.maxDepth ?? 4;
  }

  /**
   * Keeps at most maxFiles differences, content before timestamps: the first maxFiles of each
   * rank are kept (bounded memory) and `differences` takes the major ones first.
   */
  private record(difference: FileDifference): boolean {
    this.total++;
    const minor = isMinor(difference);
    if (minor) this.minorTotal++;
    const list = minor ? this.minor : this.major;
    if (list.length >= this.maxFiles) return false;
    list.push(difference);
    return true;
  }

  get differences(): FileDifference[] {
    return [...this.major, ...this.minor].slice(0, this.maxFiles);
  }

  /** Records the differences of a manifest diff; returns the changed regular files to look into. */
  private async recordDiff(
    diff: ManifestDiff,
    location: string[],
    roots?: { a: string; b: string },
    depth = 0,
  ): Promise<ComparisonNode[]> {
    const children: ComparisonNode[] = [];
    for (const entry of diff.removed) {
      this.record({
        location,
        path: entry.path,
        change: 'removed',
        fields: [],
        reason: 'only in a',
        hint: hintForPath(entry.path),
        a: entry,
      });
    }
    for (const entry of diff.added) {
      this.record({
        location,
        path: entry.path,
        change: 'added',
        fields: [],
        reason: 'only in b',
        hint: hintForPath(entry.path),
        b: entry,
      });
    }
    for (const change of diff.changed) {
      const difference: FileDifference = {
        location,
        path: change.path,
        change: 'changed',
        fields: change.fields,
        reason: describeChange(change),
        a: change.a,
        b: change.b,
      };
      const hint = hintForPath(change.path, change.fields) ?? hintForModes(change.a.mode, change.b.mode);
      if (hint) difference.hint = hint;
      const kept = this.record(difference);
      if (!roots || change.a.type !== 'file' || change.b.type !== 'file' || !change.fields.includes('sha256'))
        continue;
      const files = { a: path.join(roots.a, change.path), b: path.join(roots.b, change.path) };
      if (kept && this.options.onDifference) await this.options.onDifference(difference, files);
      if (depth < this.maxDepth) {
        const kind = sniff(await readHead(files.a));
        if (kind !== 'blob' && kind === sniff(await readHead(files.b))) {
          const node = await this.compareFiles(files.a, files.b, location, depth + 1, change.path);
          difference.narrowed = true;
          children.push(node);
        }
      }
    }
    return children;
  }

  private ignore(extra: readonly ManifestField[] = []): ManifestField[] {
    return [...new Set([...(this.options.ignore ?? []), ...extra])];
  }

  async compare(a: string, b: string): Promise<ComparisonNode> {
    const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
    const name =
      path.basename(a) === path.basename(b) ? path.basename(a) : `${path.basename(a)} ↔ ${path.basename(b)}`;
    if (!sa || !sb) {
      return {
        kind: 'file',
        name,
        verdict: sa ? 'only-in-a' : 'only-in-b',
        reason: `${sa ? b : a} does not exist`,
        children: [],
      };
    }
    if (sa.isDirectory() && sb.isDirectory()) return await this.compareDirectories(a, b, name, 0);
    if (sa.isDirectory() !== sb.isDirectory()) {
      this.record({
        location: [],
        path: name,
        change: 'changed',
        fields: ['type'],
        reason: 'a directory and a file',
      });
      return {
        kind: 'file',
        name,
        verdict: 'different',
        reason: 'one is a directory, the other a file',
        children: [],
      };
    }
    return await this.compareFiles(a, b, [], 0, name);
  }

  private async compareDirectories(
    a: string,
    b: string,
    name: string,
    depth: number,
  ): Promise<ComparisonNode> {
    // An OS tree (a directory image) keeps its mtimes in the comparison; an output directory's
    // files always have new mtimes, which say nothing about reproducibility.
    const osTree = ['usr', 'etc'].some((d) => existsSync(path.join(a, d)) || existsSync(path.join(b, d)));
    const [ma, mb] = await Promise.all([manifestFromDirectory(a), manifestFromDirectory(b)]);
    const diff = diffManifests(ma, mb, { ignore: this.ignore(osTree ? [] : ['mtime']) });
    // The compared directories are the root: paths inside them are locations enough.
    const children = await this.recordDiff(diff, [], { a, b }, depth);
    return {
      kind: 'directory',
      name,
      verdict:
        diff.counts.added + diff.counts.removed + diff.counts.changed === 0 ? 'identical' : 'different',
      detail: osTree ? 'directory tree' : 'output directory',
      counts: diff.counts,
      children,
    };
  }

  async compareFiles(
    a: string,
    b: string,
    location: string[],
    depth: number,
    name: string,
  ): Promise<ComparisonNode> {
    const [la, lb] = await Promise.all([lstat(a), lstat(b)]);
    if (la.isSymbolicLink() || lb.isSymbolicLink()) {
      const [ta, tb] = await Promise.all([
        readlink(a).catch(() => undefined),
        readlink(b).catch(() => undefined),
      ]);
      const same = ta === tb;
      return {
        kind: 'file',
        name,
        verdict: same ? 'identical' : 'different',
        reason: same ? undefined : `link ${ta} → ${tb}`,
        children: [],
      };
    }
    // Equal or not is decided by reading both side by side, stopping at the first difference;
    // whole-file hashes are the pipeline's business (discoverArtifacts), not needed here.
    const same = la.size === lb.size && (await firstDifference(a, 0, b, 0, la.size)) === undefined;
    const sides = { a: { size: la.size }, b: { size: lb.size } };
    const [heada, headb] = await Promise.all([readHead(a), readHead(b)]);
    const kind = sniff(heada);
    if (same) return { kind: nodeKind(kind), name, verdict: 'identical', ...sides, children: [] };
    const other = sniff(headb);
    const here = [...location, name];
    if (kind !== other) {
      if (depth === 0)
        this.record({
          location,
          path: name,
          change: 'changed',
          fields: ['sha256'],
          reason: `${kind} → ${other}`,
        });
      return {
        kind: 'file',
        name,
        verdict: 'different',
        ...sides,
        reason: `a is ${kind}, b is ${other}`,
        children: [],
      };
    }
    let node: ComparisonNode;
    const before = this.total;
    switch (kind) {
      case 'gpt':
        node = await this.compareDisks(a, b, here, depth, name);
        break;
      case 'pe':
        node = await this.compareUkis(a, b, here, depth, name);
        break;
      case 'initrd':
        node = await this.compareInitrds(
          a,
          { offset: 0, size: la.size },
          b,
          { offset: 0, size: lb.size },
          here,
          name,
          'initrd',
        );
        break;
      case 'tar': {
        const [ma, mb] = await Promise.all([listTar(a), listTar(b)]);
        const diff = diffManifests(ma, mb, { ignore: this.ignore() });
        await this.recordDiff(diff, here);
        node = { kind: 'tar', name, verdict: verdictOf(diff), counts: diff.counts, children: [] };
        break;
      }
      case 'filesystem':
        node = await this.compareFilesystems(
          a,
          { offset: 0, size: la.size },
          b,
          { offset: 0, size: lb.size },
          here,
          depth,
          name,
          'filesystem',
        );
        break;
      default:
        if (depth === 0)
          this.record({
            location,
            path: name,
            change: 'changed',
            fields: ['sha256'],
            reason: `content differs (${la.size} and ${lb.size} bytes)`,
          });
        node = { kind: 'file', name, verdict: 'different', reason: 'content differs', children: [] };
    }
    if (node.verdict === 'identical') {
      node.verdict = 'different';
      node.reason ??= 'the bytes differ though every part compared is the same';
    }
    if (depth === 0 && this.total === before) {
      this.record({
        location,
        path: name,
        change: 'changed',
        fields: ['sha256'],
        reason: node.reason ?? 'content differs',
      });
    }
    return { ...node, ...sides };
  }

  private async compareDisks(
    a: string,
    b: string,
    location: string[],
    depth: number,
    name: string,
  ): Promise<ComparisonNode> {
    const [ta, tb] = await Promise.all([readGptTable(a), readGptTable(b)]);
    if (!ta || !tb)
      return { kind: 'disk', name, verdict: 'unsupported', reason: 'no readable GPT', children: [] };
    const tableFields = compareGptTables(ta, tb).map((f) => ({
      ...f,
      hint: hintForField(f.field.includes('uuid') ? 'uuid' : f.field),
    }));
    const children: ComparisonNode[] = [
      {
        kind: 'partition-table',
        name: 'partition table',
        verdict: tableFields.length === 0 ? 'identical' : 'different',
        fields: tableFields,
        children: [],
      },
    ];
    for (const pair of pairPartitions(ta, tb)) {
      if (!pair.a || !pair.b) {
        const only = (pair.a ?? pair.b)!;
        children.push({
          kind: 'partition',
          name: partitionLabel(only),
          verdict: pair.a ? 'only-in-a' : 'only-in-b',
          children: [],
        });
        continue;
      }
      const label = partitionLabel(pair.a);
      const sides = { a: { size: pair.a.size }, b: { size: pair.b.size } };
      const same =
        pair.a.size === pair.b.size &&
        (await firstDifference(a, pair.a.offset, b, pair.b.offset, pair.a.size)) === undefined;
      if (same) {
        children.push({ kind: 'partition', name: label, verdict: 'identical', ...sides, children: [] });
        continue;
      }
      const before = this.total;
      const fs = await this.compareFilesystems(
        a,
        pair.a,
        b,
        pair.b,
        [...location, `partition ${label}`],
        depth,
        label,
        'partition',
      );
      if (this.total === before) {
        // All files the same (or unreadable): the partition itself is what differs.
        const hints = [...new Set((fs.fields ?? []).map((f) => f.hint).filter((h): h is string => !!h))];
        const difference: FileDifference = {
          location,
          path: `partition ${label}`,
          change: 'changed',
          fields: ['sha256'],
          reason: fs.reason ?? 'content differs',
        };
        if (hints.length > 0) difference.hint = hints.join('; ');
        this.record(difference);
      }
      children.push({ ...fs, ...sides });
    }
    const verdict = children.every((c) => c.verdict === 'identical') ? 'identical' : 'different';
    const node: ComparisonNode = {
      kind: 'disk',
      name,
      verdict,
      detail: `GPT, ${ta.partitions.length} partitions`,
      children,
    };
    if (verdict === 'identical')
      node.reason = 'partition table and partitions identical: bytes outside the partitions differ';
    return node;
  }

  private async compareFilesystems(
    a: string,
    ra: Region,
    b: string,
    rb: Region,
    location: string[],
    depth: number,
    name: string,
    kind: NodeKind,
  ): Promise<ComparisonNode> {
    const [heada, headb] = await Promise.all([readHead(a, ra.offset), readHead(b, rb.offset)]);
    const type: FilesystemType = detectFilesystem(heada);
    const typeB = detectFilesystem(headb);
    if (type !== typeB) {
      return {
        kind,
        name,
        verdict: 'different',
        detail: `${type} → ${typeB}`,
        reason: 'different filesystem types',
        children: [],
      };
    }
    const sa = superblockFields(heada, type);
    const sb = superblockFields(headb, type);
    const fields: FieldDifference[] = Object.keys({ ...sa, ...sb })
      .filter((k) => sa[k] !== sb[k])
      .map((k) => ({ field: k, a: sa[k], b: sb[k], hint: hintForField(k) }));
    let ea: Extraction | undefined;
    let eb: Extraction | undefined;
    try {
      // Both sides at once: extraction and hashing are bound by one core and the disk each.
      const [sa, sb] = await Promise.allSettled([
        extractFilesystem(this.options, a, ra, type),
        extractFilesystem(this.options, b, rb, type),
      ]);
      if (sa.status === 'fulfilled') ea = sa.value;
      if (sb.status === 'fulfilled') eb = sb.value;
      if (sa.status === 'rejected') throw sa.reason;
      if (sb.status === 'rejected') throw sb.reason;
      if (!ea || !eb) throw new Error('unreachable: both extractions settled');
      const node: ComparisonNode = { kind, name, verdict: 'different', detail: type, fields, children: [] };
      if (!ea.fs.supported || !eb.fs.supported) {
        node.verdict = 'unsupported';
        node.reason = ea.fs.reason ?? eb.fs.reason ?? `cannot read ${type}`;
        return node;
      }
      const diff = diffManifests(ea.fs.entries, eb.fs.entries, { ignore: this.ignore(ea.fs.ignore) });
      node.counts = diff.counts;
      node.detail = `${type} (read with ${ea.fs.tool})`;
      const here = location[location.length - 1]?.startsWith('partition ')
        ? [...location.slice(0, -1), `${location[location.length - 1]} ${type}`]
        : [...location, type];
      node.children = await this.recordDiff(
        diff,
        here,
        ea.root && eb.root ? { a: ea.root, b: eb.root } : undefined,
        depth,
      );
      if (verdictOf(diff) === 'identical') {
        node.reason =
          fields.length > 0
            ? `all ${diff.counts.a} files identical; filesystem metadata differs: ${fields.map((f) => f.field).join(', ')}`
            : `all ${diff.counts.a} files identical; the filesystem's layout or metadata differs`;
      }
      return node;
    } finally {
      await ea?.cleanup();
      await eb?.cleanup();
    }
  }

  private async compareUkis(
    a: string,
    b: string,
    location: string[],
    depth: number,
    name: string,
  ): Promise<ComparisonNode> {
    const [pa, pb] = await Promise.all([readPe(a), readPe(b)]);
    if (!pa || !pb)
      return { kind: 'uki', name, verdict: 'unsupported', reason: 'unreadable PE headers', children: [] };
    const fields: FieldDifference[] = [];
    for (const key of ['machine', 'timestamp', 'format', 'checksum', 'sizeOfImage'] as const) {
      if (pa.header[key] !== pb.header[key])
        fields.push({ field: key, a: pa.header[key], b: pb.header[key], hint: hintForField(key) });
    }
    const [sa, sb] = await Promise.all([sectionManifest(a, pa), sectionManifest(b, pb)]);
    // A section that changed size moves the ones after it: say so, it explains "(headers)".
    for (const section of pa.sections) {
      const other = pb.sections.find((o) => o.name === section.name);
      if (other && other.size !== section.size) {
        fields.push({ field: `${section.name} size`, a: section.size, b: other.size });
      }
    }
    const diff = diffManifests(sa, sb, { ignore: this.ignore() });
    const children: ComparisonNode[] = [];
    const byPath = (list: SectionEntry[], p: string): SectionEntry | undefined =>
      list.find((s) => s.path === p);
    for (const change of diff.changed) {
      const ea = byPath(sa, change.path)!;
      const eb = byPath(sb, change.path)!;
      const section = change.path.slice(1);
      if (section === '.initrd' && depth < this.maxDepth) {
        const before = this.total;
        const node = await this.compareInitrds(
          a,
          { offset: ea.offset, size: ea.size ?? 0 },
          b,
          { offset: eb.offset, size: eb.size ?? 0 },
          [...location, '.initrd'],
          '.initrd',
          'section',
        );
        if (this.total === before) {
          this.record({
            location,
            path: section,
            change: 'changed',
            fields: change.fields,
            reason: node.reason ?? describeChange(change),
            a: change.a,
            b: change.b,
          });
        }
        children.push({
          ...node,
          a: { size: ea.size, sha256: ea.sha256 },
          b: { size: eb.size, sha256: eb.sha256 },
        });
        continue;
      }
      const reason =
        ea.text !== undefined && eb.text !== undefined
          ? textDifference(ea.text, eb.text)
          : describeChange(change);
      this.record({
        location,
        path: section,
        change: 'changed',
        fields: change.fields,
        reason,
        a: change.a,
        b: change.b,
      });
      children.push({
        kind: 'section',
        name: section,
        verdict: 'different',
        reason,
        a: { size: ea.size, sha256: ea.sha256 },
        b: { size: eb.size, sha256: eb.sha256 },
        children: [],
      });
    }
    for (const entry of diff.removed)
      this.record({
        location,
        path: entry.path.slice(1),
        change: 'removed',
        fields: [],
        reason: 'section only in a',
        a: entry,
      });
    for (const entry of diff.added)
      this.record({
        location,
        path: entry.path.slice(1),
        change: 'added',
        fields: [],
        reason: 'section only in b',
        b: entry,
      });
    return {
      kind: 'uki',
      name,
      verdict: verdictOf(diff) === 'identical' && fields.length === 0 ? 'identical' : 'different',
      detail: `PE ${pa.header.format}, ${pa.sections.length} sections`,
      counts: diff.counts,
      fields,
      children,
    };
  }

  private async compareInitrds(
    a: string,
    ra: Region,
    b: string,
    rb: Region,
    location: string[],
    name: string,
    kind: NodeKind,
  ): Promise<ComparisonNode> {
    const ia = await listInitrd(this.options, a, ra.offset, ra.size);
    const ib = await listInitrd(this.options, b, rb.offset, rb.size);
    const node: ComparisonNode = {
      kind,
      name,
      verdict: 'different',
      detail: `cpio (${ia.parts.join(' + ') || 'empty'})`,
      children: [],
    };
    if (ia.error || ib.error) {
      node.reason = ia.error ?? ib.error;
      if (ia.entries.length === 0 || ib.entries.length === 0) {
        node.verdict = 'unsupported';
        return node;
      }
    }
    const diff = diffManifests(ia.entries, ib.entries, { ignore: this.ignore() });
    node.counts = diff.counts;
    await this.recordDiff(diff, location);
    if (verdictOf(diff) === 'identical') {
      node.reason ??= `all ${diff.counts.a} files identical; the archive's framing or compression differs`;
    }
    return node;
  }
}

function nodeKind(kind: ContentKind): NodeKind {
  switch (kind) {
    case 'gpt':
      return 'disk';
    case 'pe':
      return 'uki';
    case 'initrd':
      return 'initrd';
    case 'tar':
      return 'tar';
    case 'filesystem':
      return 'filesystem';
    default:
      return 'file';
  }
}

function verdictOf(diff: ManifestDiff): Verdict {
  return diff.counts.added + diff.counts.removed + diff.counts.changed === 0 ? 'identical' : 'different';
}

/** The first differing line of two short texts, quoted: `line 2: "A=1" → "A=2"`. */
export function textDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      const q = (s: string | undefined): string =>
        s === undefined ? '(none)' : JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}…` : s);
      return `line ${i + 1}: ${q(la[i])} → ${q(lb[i])}`;
    }
  }
  return 'content';
}

/**
 * Compares two outputs (files, or directories of outputs, or directory trees) and narrows every
 * difference down to the files that differ.
 */
export async function compareOutputs(
  a: string,
  b: string,
  options: NarrowOptions,
): Promise<ComparisonResult> {
  const started = Date.now();
  const narrower = new Narrower(options);
  const root = await narrower.compare(a, b);
  return {
    a,
    b,
    identical: root.verdict === 'identical',
    root,
    differences: narrower.differences,
    totalDifferences: narrower.total,
    timestampOnly: narrower.minorTotal,
    truncated: narrower.total > narrower.differences.length,
    durationMs: Date.now() - started,
  };
}
