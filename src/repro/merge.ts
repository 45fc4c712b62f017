import {
  levelDifference,
  type ComparisonNode,
  type ComparisonResult,
  type FileDifference,
  type Verdict,
} from './comparison.js';

/**
 * One comparison of two builds out of the comparisons of their output pairs (image, manifest,
 * initrd, …): a directory node with each pair as a child, differences in the order found, at most
 * maxFiles of them. The builds are identical only when there was something to compare and every
 * pair is identical.
 */

/** No output pair at all: neither build made anything, so nothing says they are the same. */
const NOTHING_COMPARED: FileDifference = {
  location: [],
  path: 'outputs',
  change: 'changed',
  fields: [],
  reason: 'no outputs found in either build: nothing was compared',
};

/** A pair's differences, or the one its verdict stands for when it is not identical but recorded none. */
function differencesOf(result: ComparisonResult): FileDifference[] {
  return result.identical || result.totalDifferences > 0
    ? result.differences
    : [levelDifference(result.root)];
}

function countsOf(children: readonly ComparisonNode[]): NonNullable<ComparisonNode['counts']> {
  const count = (...verdicts: Verdict[]): number =>
    children.filter((c) => verdicts.includes(c.verdict)).length;
  return {
    a: children.length - count('only-in-b'),
    b: children.length - count('only-in-a'),
    identical: count('identical'),
    changed: count('different', 'unsupported', 'nothing-compared'),
    removed: count('only-in-a'),
    added: count('only-in-b'),
  };
}

export function mergeComparisons(
  a: string,
  b: string,
  results: readonly ComparisonResult[],
  maxFiles: number,
): ComparisonResult {
  const differences: FileDifference[] = results.length === 0 ? [NOTHING_COMPARED] : [];
  let total = differences.length;
  let timestampOnly = 0;
  for (const result of results) {
    const own = differencesOf(result);
    differences.push(...own);
    total += Math.max(result.totalDifferences, own.length);
    timestampOnly += result.timestampOnly;
  }
  const children = results.map((r) => r.root);
  const identical = results.length > 0 && results.every((r) => r.identical);
  const root: ComparisonNode = {
    kind: 'directory',
    name: 'outputs',
    verdict: results.length === 0 ? 'nothing-compared' : identical ? 'identical' : 'different',
    detail: results.length === 1 ? '1 output' : `${results.length} outputs`,
    counts: countsOf(children),
    children,
  };
  if (results.length === 0) root.reason = NOTHING_COMPARED.reason;
  const kept = differences.slice(0, maxFiles);
  return {
    a,
    b,
    identical,
    root,
    differences: kept,
    totalDifferences: total,
    timestampOnly,
    truncated: total > kept.length,
    durationMs: results.reduce((n, r) => n + r.durationMs, 0),
  };
}
