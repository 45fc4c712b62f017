import type { ManifestCounts, ManifestDiff, ManifestEntry, ManifestField } from './manifest.js';
import type { ReadContext } from './toolbox.js';

/**
 * The vocabulary of a comparison of two outputs: the tree of levels compared (a disk, its
 * partitions, the filesystems inside, …) with a verdict each, and the list of differing files.
 */

/**
 * `unsupported`: the level could not be read; `nothing-compared`: there was nothing to compare (no
 * outputs, two empty directories). Neither is ever identical.
 */
export type Verdict =
  'identical' | 'different' | 'only-in-a' | 'only-in-b' | 'unsupported' | 'nothing-compared';

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

/**
 * The difference a level stands for when it is not identical but recorded no differing file of its
 * own (an output only one build made, an unreadable format, nothing to compare), so that a verdict
 * that is not identical always comes with at least one difference that says why.
 */
export function levelDifference(node: ComparisonNode, location: string[] = []): FileDifference {
  const only = node.verdict === 'only-in-a' ? 'a' : node.verdict === 'only-in-b' ? 'b' : undefined;
  return {
    location,
    path: node.name,
    change: only === 'a' ? 'removed' : only === 'b' ? 'added' : 'changed',
    fields: [],
    reason: node.reason ?? (only ? `only in ${only}` : node.verdict),
  };
}

/** A level is identical when its manifest diff found nothing added, removed or changed. */
export function verdictOf(diff: ManifestDiff): Verdict {
  return diff.counts.added + diff.counts.removed + diff.counts.changed === 0 ? 'identical' : 'different';
}
