import type { ComparisonNode, ContentKind, FileDifference, NarrowOptions, NodeKind } from '../comparison.js';
import type { ManifestDiff, ManifestField } from '../manifest.js';

/**
 * The contract between the narrowing driver and the module of one content kind (a disk, a UKI, an
 * initrd, …): the kind recognizes its content from the first bytes and compares two versions of it,
 * recording the differing files through the driver.
 */

/** What a content kind's comparer can ask of the comparison in progress. */
export interface Narrowing {
  readonly options: NarrowOptions;
  /** How many containers deep narrowing goes. */
  readonly maxDepth: number;
  /** How many differing files were recorded so far: a level that added none must explain itself. */
  readonly total: number;
  /** Keeps a differing file (up to maxFiles of them); false when it was only counted. */
  record(difference: FileDifference): boolean;
  /**
   * Records the differences of a manifest diff at `location`; with `roots` (the extracted trees),
   * narrows each changed regular file further and returns the nodes of those it narrowed.
   */
  recordDiff(
    diff: ManifestDiff,
    location: string[],
    roots?: { a: string; b: string },
    depth?: number,
  ): Promise<ComparisonNode[]>;
  /** The fields never compared: the caller's, plus `extra` a reader cannot keep. */
  ignore(extra?: readonly ManifestField[]): ManifestField[];
}

/** Two versions of one file whose bytes differ and whose content is of the same kind. */
export interface FilePair {
  a: string;
  b: string;
  sizeA: number;
  sizeB: number;
}

/** Where a pair sits: the levels down to it (its own name last), its container depth, its name. */
export interface Place {
  location: string[];
  depth: number;
  name: string;
}

export interface ContentComparer {
  kind: Exclude<ContentKind, 'blob'>;
  /** The kind of the node for this content in the comparison tree. */
  node: NodeKind;
  /** Whether the first bytes (at least HEAD_BYTES of them) are this kind's. */
  detect(head: Buffer): boolean;
  /** Compares two versions whose bytes differ; `identical` means every part compared matched. */
  compare(narrowing: Narrowing, pair: FilePair, place: Place): Promise<ComparisonNode>;
}
