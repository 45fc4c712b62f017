import { verdictOf, type ComparisonNode, type FieldDifference } from '../comparison.js';
import { hintForField } from '../hints.js';
import { describeChange, diffManifests, type ManifestChange, type ManifestDiff } from '../manifest.js';
import { isPe, readPe, sectionManifest, type PeFile, type SectionEntry } from '../uki.js';
import { compareInitrdRegions } from './initrd.js';
import type { ContentComparer, FilePair, Narrowing, Place } from './kind.js';

/**
 * A unified kernel image (a PE file): header fields compared, then its sections by manifest, short
 * text sections quoted line by line and the .initrd section narrowed as an initrd.
 */

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

function headerFields(pa: PeFile, pb: PeFile): FieldDifference[] {
  const fields: FieldDifference[] = [];
  for (const key of ['machine', 'timestamp', 'format', 'checksum', 'sizeOfImage'] as const) {
    if (pa.header[key] !== pb.header[key])
      fields.push({ field: key, a: pa.header[key], b: pb.header[key], hint: hintForField(key) });
  }
  // A section that changed size moves the ones after it: say so, it explains "(headers)".
  for (const section of pa.sections) {
    const other = pb.sections.find((o) => o.name === section.name);
    if (other && other.size !== section.size) {
      fields.push({ field: `${section.name} size`, a: section.size, b: other.size });
    }
  }
  return fields;
}

const sides = (ea: SectionEntry, eb: SectionEntry): Pick<ComparisonNode, 'a' | 'b'> => ({
  a: { size: ea.size, sha256: ea.sha256 },
  b: { size: eb.size, sha256: eb.sha256 },
});

/** The .initrd section narrowed as an initrd; the section itself is recorded when nothing inside was. */
async function compareInitrdSection(
  narrowing: Narrowing,
  pair: FilePair,
  change: ManifestChange,
  [ea, eb]: [SectionEntry, SectionEntry],
  location: string[],
): Promise<ComparisonNode> {
  const before = narrowing.total;
  const node = await compareInitrdRegions(
    narrowing,
    { file: pair.a, region: { offset: ea.offset, size: ea.size ?? 0 } },
    { file: pair.b, region: { offset: eb.offset, size: eb.size ?? 0 } },
    { location: [...location, '.initrd'], name: '.initrd', kind: 'section' },
  );
  if (narrowing.total === before) {
    narrowing.record({
      location,
      path: '.initrd',
      change: 'changed',
      fields: change.fields,
      reason: node.reason ?? describeChange(change),
      a: change.a,
      b: change.b,
    });
  }
  return { ...node, ...sides(ea, eb) };
}

function compareSection(
  narrowing: Narrowing,
  change: ManifestChange,
  [ea, eb]: [SectionEntry, SectionEntry],
  location: string[],
): ComparisonNode {
  const section = change.path.slice(1);
  const reason =
    ea.text !== undefined && eb.text !== undefined
      ? textDifference(ea.text, eb.text)
      : describeChange(change);
  narrowing.record({
    location,
    path: section,
    change: 'changed',
    fields: change.fields,
    reason,
    a: change.a,
    b: change.b,
  });
  return { kind: 'section', name: section, verdict: 'different', reason, ...sides(ea, eb), children: [] };
}

function recordPresence(narrowing: Narrowing, diff: ManifestDiff, location: string[]): void {
  for (const entry of diff.removed)
    narrowing.record({
      location,
      path: entry.path.slice(1),
      change: 'removed',
      fields: [],
      reason: 'section only in a',
      a: entry,
    });
  for (const entry of diff.added)
    narrowing.record({
      location,
      path: entry.path.slice(1),
      change: 'added',
      fields: [],
      reason: 'section only in b',
      b: entry,
    });
}

async function compareUkis(narrowing: Narrowing, pair: FilePair, place: Place): Promise<ComparisonNode> {
  const { location, depth, name } = place;
  const [pa, pb] = await Promise.all([readPe(pair.a), readPe(pair.b)]);
  if (!pa || !pb)
    return { kind: 'uki', name, verdict: 'unsupported', reason: 'unreadable PE headers', children: [] };
  const fields = headerFields(pa, pb);
  const [sa, sb] = await Promise.all([sectionManifest(pair.a, pa), sectionManifest(pair.b, pb)]);
  const diff = diffManifests(sa, sb, { ignore: narrowing.ignore() });
  const children: ComparisonNode[] = [];
  const byPath = (list: SectionEntry[], p: string): SectionEntry => list.find((s) => s.path === p)!;
  for (const change of diff.changed) {
    const entries: [SectionEntry, SectionEntry] = [byPath(sa, change.path), byPath(sb, change.path)];
    children.push(
      change.path === '/.initrd' && depth < narrowing.maxDepth
        ? await compareInitrdSection(narrowing, pair, change, entries, location)
        : compareSection(narrowing, change, entries, location),
    );
  }
  recordPresence(narrowing, diff, location);
  return {
    kind: 'uki',
    name,
    // A header field that differs is in "(headers)": the section manifest alone decides.
    verdict: verdictOf(diff),
    detail: `PE ${pa.header.format}, ${pa.sections.length} sections`,
    counts: diff.counts,
    fields,
    children,
  };
}

export const ukiContent: ContentComparer = {
  kind: 'pe',
  node: 'uki',
  detect: isPe,
  compare: compareUkis,
};
