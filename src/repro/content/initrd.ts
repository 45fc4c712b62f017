import { detectCompression, isCpio } from '../archives.js';
import { verdictOf, type ComparisonNode, type NodeKind } from '../comparison.js';
import { diffManifests } from '../manifest.js';
import { listInitrd } from '../uki.js';
import type { ContentComparer, Narrowing } from './kind.js';
import type { RegionOf } from './filesystem.js';

/**
 * An initrd (a file, or a UKI's .initrd section): its cpio archives, compressed or not, listed as
 * the kernel unpacks them and compared by manifest.
 */

export interface InitrdPlace {
  location: string[];
  name: string;
  /** 'initrd' for a whole file, 'section' inside a UKI. */
  kind: NodeKind;
}

export async function compareInitrdRegions(
  narrowing: Narrowing,
  a: RegionOf,
  b: RegionOf,
  place: InitrdPlace,
): Promise<ComparisonNode> {
  const ia = await listInitrd(narrowing.options, a.file, a.region.offset, a.region.size);
  const ib = await listInitrd(narrowing.options, b.file, b.region.offset, b.region.size);
  const node: ComparisonNode = {
    kind: place.kind,
    name: place.name,
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
  const diff = diffManifests(ia.entries, ib.entries, { ignore: narrowing.ignore() });
  node.counts = diff.counts;
  await narrowing.recordDiff(diff, place.location);
  if (verdictOf(diff) === 'identical') {
    node.reason ??= `all ${diff.counts.a} files identical; the archive's framing or compression differs`;
  }
  return node;
}

export const initrdContent: ContentComparer = {
  kind: 'initrd',
  node: 'initrd',
  detect: (head) => isCpio(head) || detectCompression(head) !== undefined,
  compare: (narrowing, pair, place) =>
    compareInitrdRegions(
      narrowing,
      { file: pair.a, region: { offset: 0, size: pair.sizeA } },
      { file: pair.b, region: { offset: 0, size: pair.sizeB } },
      { location: place.location, name: place.name, kind: 'initrd' },
    ),
};
