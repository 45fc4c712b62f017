import { firstDifference } from '../bytes.js';
import type { ComparisonNode, FileDifference } from '../comparison.js';
import {
  compareGptTables,
  pairPartitions,
  partitionLabel,
  readGptTable,
  type GptPartition,
  type GptTable,
} from '../gpt.js';
import { hintForField } from '../hints.js';
import { compareFilesystemRegions } from './filesystem.js';
import type { ContentComparer, FilePair, Narrowing, Place } from './kind.js';

/**
 * A GPT disk image: the partition tables compared field by field, partitions paired by slot, each
 * partition whose bytes differ narrowed as a filesystem.
 */

/** The GPT header's signature at LBA 1, with 512- or 4096-byte sectors (a shorter head reads short). */
function isGpt(head: Buffer): boolean {
  return (
    head.toString('latin1', 512, 520) === 'EFI PART' || head.toString('latin1', 4096, 4104) === 'EFI PART'
  );
}

function partitionTableNode(ta: GptTable, tb: GptTable): ComparisonNode {
  const fields = compareGptTables(ta, tb).map((f) => ({
    ...f,
    hint: hintForField(f.field.includes('uuid') ? 'uuid' : f.field),
  }));
  return {
    kind: 'partition-table',
    name: 'partition table',
    verdict: fields.length === 0 ? 'identical' : 'different',
    fields,
    children: [],
  };
}

/** A partition present on both sides: identical bytes, else narrowed as a filesystem. */
async function comparePartition(
  narrowing: Narrowing,
  pair: FilePair,
  pa: GptPartition,
  pb: GptPartition,
  place: Place,
): Promise<ComparisonNode> {
  const label = partitionLabel(pa);
  const sides = { a: { size: pa.size }, b: { size: pb.size } };
  const same =
    pa.size === pb.size &&
    (await firstDifference(pair.a, pa.offset, pair.b, pb.offset, pa.size)) === undefined;
  if (same) return { kind: 'partition', name: label, verdict: 'identical', ...sides, children: [] };
  const before = narrowing.total;
  const fs = await compareFilesystemRegions(
    narrowing,
    { file: pair.a, region: pa },
    { file: pair.b, region: pb },
    {
      location: place.location,
      partition: `partition ${label}`,
      depth: place.depth,
      name: label,
      kind: 'partition',
    },
  );
  if (narrowing.total === before) {
    // All files the same (or unreadable): the partition itself is what differs.
    const hints = [...new Set((fs.fields ?? []).map((f) => f.hint).filter((h): h is string => !!h))];
    const difference: FileDifference = {
      location: place.location,
      path: `partition ${label}`,
      change: 'changed',
      fields: ['sha256'],
      reason: fs.reason ?? 'content differs',
    };
    if (hints.length > 0) difference.hint = hints.join('; ');
    narrowing.record(difference);
  }
  return { ...fs, ...sides };
}

async function compareDisks(narrowing: Narrowing, pair: FilePair, place: Place): Promise<ComparisonNode> {
  const { name } = place;
  const [ta, tb] = await Promise.all([readGptTable(pair.a), readGptTable(pair.b)]);
  if (!ta || !tb)
    return { kind: 'disk', name, verdict: 'unsupported', reason: 'no readable GPT', children: [] };
  const children: ComparisonNode[] = [partitionTableNode(ta, tb)];
  for (const { a: pa, b: pb } of pairPartitions(ta, tb)) {
    if (!pa || !pb) {
      const label = partitionLabel((pa ?? pb)!);
      narrowing.record({
        location: place.location,
        path: `partition ${label}`,
        change: pa ? 'removed' : 'added',
        fields: [],
        reason: pa ? 'partition only in a' : 'partition only in b',
      });
      children.push({
        kind: 'partition',
        name: label,
        verdict: pa ? 'only-in-a' : 'only-in-b',
        children: [],
      });
      continue;
    }
    children.push(await comparePartition(narrowing, pair, pa, pb, place));
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

export const diskContent: ContentComparer = {
  kind: 'gpt',
  node: 'disk',
  detect: isGpt,
  compare: compareDisks,
};
