import { existsSync } from 'node:fs';
import path from 'node:path';
import { verdictOf, type ComparisonNode } from '../comparison.js';
import { manifestFromDirectory } from '../directory-manifest.js';
import { diffManifests, type ManifestEntry } from '../manifest.js';
import { readXattrs, type XattrDump } from '../xattrs.js';
import type { Narrowing } from './kind.js';

/**
 * Two directories: an OS tree (a directory image) or a directory of outputs, compared by what the
 * filesystem holds: every file's bytes, owners, modes, nanosecond mtimes, extended attributes
 * (capabilities, SELinux labels, ACLs) and hard-link structure. Each changed regular file is
 * narrowed further.
 */

/** An OS tree (a directory image) as opposed to a directory holding output files. */
function isOsTree(a: string, b: string): boolean {
  return ['usr', 'etc'].some((d) => existsSync(path.join(a, d)) || existsSync(path.join(b, d)));
}

/**
 * A directory's manifest with its extended attributes. An output directory's own entries (its root
 * and the outputs in it) have new mtimes every build, which say nothing about reproducibility; below
 * them (a directory image inside) mtimes count.
 */
async function treeManifest(
  narrowing: Narrowing,
  root: string,
  osTree: boolean,
): Promise<[ManifestEntry[], XattrDump]> {
  const [entries, xattrs] = await Promise.all([
    manifestFromDirectory(root, { nanoseconds: true, hardlinks: true }),
    readXattrs(narrowing.options, root),
  ]);
  for (const entry of entries) {
    if (!osTree && entry.path.lastIndexOf('/') === 0) {
      delete entry.mtime;
      delete entry.mtimeNs;
    }
    // A hard link's attributes are its inode's, read on the first path like its content.
    const found = xattrs.ok && entry.type !== 'hardlink' ? xattrs.byPath.get(entry.path) : undefined;
    if (found) entry.xattrs = found;
  }
  return [entries, xattrs];
}

export async function compareDirectories(
  narrowing: Narrowing,
  a: string,
  b: string,
  name: string,
  depth: number,
): Promise<ComparisonNode> {
  const osTree = isOsTree(a, b);
  const [[ma, xa], [mb, xb]] = await Promise.all([
    treeManifest(narrowing, a, osTree),
    treeManifest(narrowing, b, osTree),
  ]);
  const diff = diffManifests(ma, mb, { ignore: narrowing.ignore() });
  // The compared directories are the root: paths inside them are locations enough.
  const children = await narrowing.recordDiff(diff, [], { a, b }, depth);
  const node: ComparisonNode = {
    kind: 'directory',
    name,
    verdict: verdictOf(diff),
    detail: osTree ? 'directory tree' : 'output directory',
    counts: diff.counts,
    children,
  };
  if (ma.length <= 1 && mb.length <= 1) {
    node.verdict = 'nothing-compared';
    node.reason = 'both directories are empty: nothing was compared';
    return node;
  }
  // Without the extended attributes two trees are not known to be identical, only not seen to differ.
  const unread = !xa.ok ? xa.reason : !xb.ok ? xb.reason : undefined;
  if (unread) {
    node.reason = unread;
    if (node.verdict === 'identical') node.verdict = 'unsupported';
  }
  return node;
}
