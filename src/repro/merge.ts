import type { ComparisonNode, ComparisonResult, FileDifference } from './comparison.js';

/**
 * One comparison of two builds out of the comparisons of their output pairs (image, manifest,
 * initrd, …): a directory node with each pair as a child, differences in the order found, at most
 * maxFiles of them.
 */
export function mergeComparisons(
  a: string,
  b: string,
  results: readonly ComparisonResult[],
  maxFiles: number,
): ComparisonResult {
  const differences: FileDifference[] = [];
  let total = 0;
  let timestampOnly = 0;
  for (const result of results) {
    const own = [...result.differences];
    // An output only one build made has no file-level difference of its own: it is one.
    if (own.length === 0 && (result.root.verdict === 'only-in-a' || result.root.verdict === 'only-in-b')) {
      own.push({
        location: [],
        path: result.root.name,
        change: result.root.verdict === 'only-in-a' ? 'removed' : 'added',
        fields: [],
        reason:
          result.root.verdict === 'only-in-a'
            ? 'only the first build made it'
            : 'only the second build made it',
      });
    }
    differences.push(...own);
    total += Math.max(result.totalDifferences, own.length);
    timestampOnly += result.timestampOnly;
  }
  const children = results.map((r) => r.root);
  const identical = results.every((r) => r.identical);
  const root: ComparisonNode = {
    kind: 'directory',
    name: 'outputs',
    verdict: identical ? 'identical' : 'different',
    detail: results.length === 1 ? '1 output' : `${results.length} outputs`,
    counts: {
      a: children.filter((c) => c.verdict !== 'only-in-b').length,
      b: children.filter((c) => c.verdict !== 'only-in-a').length,
      identical: children.filter((c) => c.verdict === 'identical').length,
      changed: children.filter((c) => c.verdict === 'different' || c.verdict === 'unsupported').length,
      removed: children.filter((c) => c.verdict === 'only-in-a').length,
      added: children.filter((c) => c.verdict === 'only-in-b').length,
    },
    children,
  };
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
