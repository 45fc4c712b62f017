import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../../../src/repro/comparison.js';
import { mergeComparisons } from '../../../src/repro/merge.js';
import { different, identical } from '../../support/comparisons.js';

describe('mergeComparisons', () => {
  it('is identical only when every output pair is', () => {
    const same = mergeComparisons('A', 'B', [identical('image.raw'), identical('image.manifest')], 10);
    expect(same.identical).toBe(true);
    expect(same.root.counts).toMatchObject({ identical: 2, changed: 0 });

    const merged = mergeComparisons('A', 'B', [different('image.raw', '/etc/x'), identical('m')], 10);
    expect(merged.identical).toBe(false);
    expect(merged.totalDifferences).toBe(1);
    expect(merged.root.counts).toMatchObject({ identical: 1, changed: 1 });
  });

  it('counts an output only one build made, and keeps at most maxFiles differences', () => {
    const only: ComparisonResult = {
      ...identical('image.initrd'),
      identical: false,
      root: { kind: 'file', name: 'image.initrd', verdict: 'only-in-b', children: [] },
    };
    const merged = mergeComparisons('A', 'B', [different('i', '/1'), different('i', '/2'), only], 2);
    expect(merged.totalDifferences).toBe(3);
    expect(merged.differences.map((d) => d.path)).toEqual(['/1', '/2']);
    expect(merged.truncated).toBe(true);
    expect(mergeComparisons('A', 'B', [only], 5).differences[0]).toMatchObject({
      path: 'image.initrd',
      change: 'added',
    });
  });
});
