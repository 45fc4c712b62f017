import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { firstDifference, readHead } from './bytes.js';
import {
  levelDifference,
  type ComparisonNode,
  type ComparisonResult,
  type FileDifference,
  type NarrowOptions,
} from './comparison.js';
import { compareDirectories } from './content/directory.js';
import type { Narrowing } from './content/kind.js';
import { contentComparer, sniff } from './content/kinds.js';
import { hintForModes, hintForPath } from './hints.js';
import { describeChange, type ManifestDiff, type ManifestField } from './manifest.js';

/**
 * Narrowing two outputs down to the files that differ: a whole file, then its structure (a disk's
 * partition table and partitions, a UKI's sections), then the files inside (a partition's
 * filesystem, an initrd's cpio), each level compared by a manifest. Each content kind is a module
 * under content/; this driver keeps the differences found and hands each file to its kind. Content
 * is streamed and extracted filesystems are removed as soon as their level is done, so memory stays
 * bounded by the size of the manifests, not of the images.
 */

/** Differences that are only a timestamp rank below content, ownership and presence. */
function isMinor(difference: FileDifference): boolean {
  return difference.change === 'changed' && difference.fields.every((f) => f === 'mtime');
}

function presenceDifferences(diff: ManifestDiff, location: string[]): FileDifference[] {
  return [
    ...diff.removed.map((entry): FileDifference => ({
      location,
      path: entry.path,
      change: 'removed',
      fields: [],
      reason: 'only in a',
      hint: hintForPath(entry.path),
      a: entry,
    })),
    ...diff.added.map((entry): FileDifference => ({
      location,
      path: entry.path,
      change: 'added',
      fields: [],
      reason: 'only in b',
      hint: hintForPath(entry.path),
      b: entry,
    })),
  ];
}

class Narrower implements Narrowing {
  private readonly major: FileDifference[] = [];
  private readonly minor: FileDifference[] = [];
  total = 0;
  minorTotal = 0;
  private readonly maxFiles: number;
  readonly maxDepth: number;

  constructor(readonly options: NarrowOptions) {
    this.maxFiles = options.maxFiles ?? 100;
    this.maxDepth = options.maxDepth ?? 4;
  }

  /**
   * Keeps at most maxFiles differences, content before timestamps: the first maxFiles of each
   * rank are kept (bounded memory) and `differences` takes the major ones first.
   */
  record(difference: FileDifference): boolean {
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

  ignore(extra: readonly ManifestField[] = []): ManifestField[] {
    return [...new Set([...(this.options.ignore ?? []), ...extra])];
  }

  async recordDiff(
    diff: ManifestDiff,
    location: string[],
    roots?: { a: string; b: string },
    depth = 0,
  ): Promise<ComparisonNode[]> {
    for (const difference of presenceDifferences(diff, location)) this.record(difference);
    const children: ComparisonNode[] = [];
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
      const node = await this.narrowChangedFile(files, location, depth, change.path);
      if (node) {
        difference.narrowed = true;
        children.push(node);
      }
    }
    return children;
  }

  /** Looks into a changed file when both versions are of a kind that has structure. */
  private async narrowChangedFile(
    files: { a: string; b: string },
    location: string[],
    depth: number,
    name: string,
  ): Promise<ComparisonNode | undefined> {
    if (depth >= this.maxDepth) return undefined;
    const kind = sniff(await readHead(files.a));
    if (kind === 'blob' || kind !== sniff(await readHead(files.b))) return undefined;
    return await this.compareFiles(files.a, files.b, location, depth + 1, name);
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
    if (sa.isDirectory() && sb.isDirectory()) return await compareDirectories(this, a, b, name, 0);
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

  /** Records a differing top-level file that no level below explained. */
  private recordWhole(location: string[], name: string, reason: string): void {
    this.record({ location, path: name, change: 'changed', fields: ['sha256'], reason });
  }

  async compareFiles(
    a: string,
    b: string,
    location: string[],
    depth: number,
    name: string,
  ): Promise<ComparisonNode> {
    const [la, lb] = await Promise.all([lstat(a), lstat(b)]);
    if (la.isSymbolicLink() || lb.isSymbolicLink()) return await compareLinks(a, b, name);
    // Equal or not is decided by reading both side by side, stopping at the first difference;
    // whole-file hashes are the pipeline's business (discoverArtifacts), not needed here.
    const same = la.size === lb.size && (await firstDifference(a, 0, b, 0, la.size)) === undefined;
    const sides = { a: { size: la.size }, b: { size: lb.size } };
    const [heada, headb] = await Promise.all([readHead(a), readHead(b)]);
    const kind = sniff(heada);
    const comparer = contentComparer(kind);
    if (same) return { kind: comparer?.node ?? 'file', name, verdict: 'identical', ...sides, children: [] };
    const other = sniff(headb);
    if (kind !== other) {
      if (depth === 0) this.recordWhole(location, name, `${kind} → ${other}`);
      return {
        kind: 'file',
        name,
        verdict: 'different',
        ...sides,
        reason: `a is ${kind}, b is ${other}`,
        children: [],
      };
    }
    const before = this.total;
    let node: ComparisonNode;
    if (comparer) {
      const pair = { a, b, sizeA: la.size, sizeB: lb.size };
      node = await comparer.compare(this, pair, { location: [...location, name], depth, name });
    } else {
      if (depth === 0) this.recordWhole(location, name, `content differs (${la.size} and ${lb.size} bytes)`);
      node = { kind: 'file', name, verdict: 'different', reason: 'content differs', children: [] };
    }
    // The bytes differ: whatever the levels below found, the file is different.
    if (node.verdict === 'identical') {
      node.verdict = 'different';
      node.reason ??= 'the bytes differ though every part compared is the same';
    }
    if (depth === 0 && this.total === before)
      this.recordWhole(location, name, node.reason ?? 'content differs');
    return { ...node, ...sides };
  }
}

async function compareLinks(a: string, b: string, name: string): Promise<ComparisonNode> {
  const [ta, tb] = await Promise.all([
    readlink(a).catch(() => undefined),
    readlink(b).catch(() => undefined),
  ]);
  const same = ta === tb;
  return {
    kind: 'file',
    name,
    verdict: same ? 'identical' : 'different',
    reason: same ? undefined : `link ${ta ?? '(not a link)'} → ${tb ?? '(not a link)'}`,
    children: [],
  };
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
  if (root.verdict !== 'identical' && narrower.total === 0) narrower.record(levelDifference(root));
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
