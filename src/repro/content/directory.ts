import { existsSync } from 'node:fs';
import path from 'node:path';
import { verdictOf, type ComparisonNode } from '../comparison.js';
import { diffManifests, manifestFromDirectory } from '../manifest.js';
import type { Narrowing } from './kind.js';

/**
 * Two directories: an OS tree (a directory image) or a directory of outputs, compared by the
 * manifest of everything below them, each changed regular file narrowed further.
 */
export async function compareDirectories(
  narrowing: Narrowing,
  a: string,
  b: string,
  name: string,
  depth: number,
): Promise<ComparisonNode> {
  // An OS tree (a directory image) keeps its mtimes in the comparison; an output directory's
  // files always have new mtimes, which say nothing about reproducibility.
  const osTree = ['usr', 'etc'].some((d) => existsSync(path.join(a, d)) || existsSync(path.join(b, d)));
  const [ma, mb] = await Promise.all([manifestFromDirectory(a), manifestFromDirectory(b)]);
  const diff = diffManifests(ma, mb, { ignore: narrowing.ignore(osTree ? [] : ['mtime']) });
  // The compared directories are the root: paths inside them are locations enough.
  const children = await narrowing.recordDiff(diff, [], { a, b }, depth);
  return {
    kind: 'directory',
    name,
    verdict: verdictOf(diff),
    detail: osTree ? 'directory tree' : 'output directory',
    counts: diff.counts,
    children,
  };
}
