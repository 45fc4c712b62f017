import { readHead } from '../bytes.js';
import { verdictOf, type ComparisonNode, type FieldDifference, type NodeKind } from '../comparison.js';
import { extractFilesystem, type Extraction } from '../filesystems/extract.js';
import type { FilesystemType, Region } from '../filesystems/format.js';
import { detectFilesystem, superblockFields } from '../filesystems/formats.js';
import { hintForField } from '../hints.js';
import { diffManifests, type ManifestDiff } from '../manifest.js';
import type { ContentComparer, Narrowing } from './kind.js';

/**
 * A filesystem (a whole image file or a partition of a disk): the superblocks compared field by
 * field, then both sides extracted and their files compared by manifest, each changed file narrowed
 * further while the extractions exist.
 */

/** One side: an image file and the byte range of the filesystem in it. */
export interface RegionOf {
  file: string;
  region: Region;
}

export interface FilesystemPlace {
  /** The levels down to the filesystem: the image file's name last. */
  location: string[];
  depth: number;
  name: string;
  /** 'partition' inside a disk, 'filesystem' for a whole file. */
  kind: NodeKind;
  /** Inside a disk, the partition's level ("partition 2 root-x86-64"), which the type joins. */
  partition?: string;
}

function superblockDifferences(heada: Buffer, headb: Buffer, type: FilesystemType): FieldDifference[] {
  const sa = superblockFields(heada, type);
  const sb = superblockFields(headb, type);
  return Object.keys({ ...sa, ...sb })
    .filter((k) => sa[k] !== sb[k])
    .map((k) => ({ field: k, a: sa[k], b: sb[k], hint: hintForField(k) }));
}

/**
 * Both sides at once (extraction and hashing are bound by one core and the disk each); when one
 * fails, the other's extraction is removed before the failure goes on.
 */
async function extractBoth(
  narrowing: Narrowing,
  a: RegionOf,
  b: RegionOf,
  type: FilesystemType,
): Promise<[Extraction, Extraction]> {
  const [sa, sb] = await Promise.allSettled([
    extractFilesystem(narrowing.options, a.file, a.region, type),
    extractFilesystem(narrowing.options, b.file, b.region, type),
  ]);
  if (sa.status === 'fulfilled' && sb.status === 'fulfilled') return [sa.value, sb.value];
  if (sa.status === 'fulfilled') await sa.value.cleanup();
  if (sb.status === 'fulfilled') await sb.value.cleanup();
  throw sa.status === 'rejected' ? sa.reason : (sb as PromiseRejectedResult).reason;
}

/** "disk.raw › partition 2 root-x86-64 ext4": the filesystem type joins the partition's level. */
function locationWithType(place: FilesystemPlace, type: FilesystemType): string[] {
  return [...place.location, place.partition ? `${place.partition} ${type}` : type];
}

function identicalFilesReason(diff: ManifestDiff, fields: FieldDifference[]): string {
  return fields.length > 0
    ? `all ${diff.counts.a} files identical; filesystem metadata differs: ${fields.map((f) => f.field).join(', ')}`
    : `all ${diff.counts.a} files identical; the filesystem's layout or metadata differs`;
}

export async function compareFilesystemRegions(
  narrowing: Narrowing,
  a: RegionOf,
  b: RegionOf,
  place: FilesystemPlace,
): Promise<ComparisonNode> {
  const { kind, name } = place;
  const [heada, headb] = await Promise.all([
    readHead(a.file, a.region.offset),
    readHead(b.file, b.region.offset),
  ]);
  const type = detectFilesystem(heada);
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
  const fields = superblockDifferences(heada, headb, type);
  const [ea, eb] = await extractBoth(narrowing, a, b, type);
  try {
    const node: ComparisonNode = { kind, name, verdict: 'different', detail: type, fields, children: [] };
    if (!ea.fs.supported || !eb.fs.supported) {
      node.verdict = 'unsupported';
      node.reason = ea.fs.reason ?? eb.fs.reason ?? `cannot read ${type}`;
      return node;
    }
    const diff = diffManifests(ea.fs.entries, eb.fs.entries, { ignore: narrowing.ignore(ea.fs.ignore) });
    node.counts = diff.counts;
    node.detail = `${type} (read with ${ea.fs.tool})`;
    const roots = ea.root && eb.root ? { a: ea.root, b: eb.root } : undefined;
    node.children = await narrowing.recordDiff(diff, locationWithType(place, type), roots, place.depth);
    if (verdictOf(diff) === 'identical') node.reason = identicalFilesReason(diff, fields);
    return node;
  } finally {
    await ea.cleanup();
    await eb.cleanup();
  }
}

export const filesystemContent: ContentComparer = {
  kind: 'filesystem',
  node: 'filesystem',
  detect: (head) => detectFilesystem(head) !== 'unknown',
  compare: (narrowing, pair, place) =>
    compareFilesystemRegions(
      narrowing,
      { file: pair.a, region: { offset: 0, size: pair.sizeA } },
      { file: pair.b, region: { offset: 0, size: pair.sizeB } },
      { ...place, kind: 'filesystem' },
    ),
};
