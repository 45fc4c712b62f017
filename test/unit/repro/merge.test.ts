import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../../../src/repro/comparison.js';
import { mergeComparisons } from '../../../src/repro/merge.js';
import { reproText } from '../../../src/repro/repro-report.js';
import { different, identical } from '../../support/comparisons.js';

describe('mergeComparisons', () => {
  it('is identical only when every output pair is', () => {
    const same = mergeComparisons('A', 'B', [identical('image.raw'), identical('image.manifest')], 10);
    expect(same.identical).toBe(true);
    expect(same.root.counts).toMatchObject({ identical: 2, changed: 0 });
    expect(same.root.verdict).toBe('identical');
    expect(same.root.reason).toBeUndefined();

    const merged = mergeComparisons('A', 'B', [different('image.raw', '/etc/x'), identical('m')], 10);
    expect(merged.identical).toBe(false);
    expect(merged.root.verdict).toBe('different');
    expect(merged.root.reason).toBeUndefined();
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

describe('mergeComparisons: planted faults', () => {
  it('is not identical when there was nothing to compare', () => {
    const none = mergeComparisons('A', 'B', [], 10);
    expect(none.identical).toBe(false);
    expect(none.root).toMatchObject({
      verdict: 'nothing-compared',
      reason: 'no outputs found in either build: nothing was compared',
      detail: '0 outputs',
      children: [],
    });
    expect(none.differences).toEqual([
      {
        location: [],
        path: 'outputs',
        change: 'changed',
        fields: [],
        reason: 'no outputs found in either build: nothing was compared',
      },
    ]);
    expect(none).toMatchObject({ totalDifferences: 1, timestampOnly: 0, truncated: false, durationMs: 0 });
    expect(reproText(none, '/r')[0]).toBe('reproducible: no (1 difference)');
  });

  it('names a pair that is not identical but recorded nothing, with its reason', () => {
    const unreadable: ComparisonResult = {
      ...identical('image.raw'),
      identical: false,
      root: {
        kind: 'disk',
        name: 'image.raw',
        verdict: 'unsupported',
        reason: 'no readable GPT',
        children: [],
      },
    };
    const onlyA: ComparisonResult = {
      ...identical('image.efi'),
      identical: false,
      root: { kind: 'file', name: 'image.efi', verdict: 'only-in-a', children: [] },
    };
    const merged = mergeComparisons('A', 'B', [unreadable, onlyA, identical('image.manifest')], 10);
    expect(merged.identical).toBe(false);
    expect(merged.root.verdict).toBe('different');
    expect(merged.differences).toEqual([
      { location: [], path: 'image.raw', change: 'changed', fields: [], reason: 'no readable GPT' },
      { location: [], path: 'image.efi', change: 'removed', fields: [], reason: 'only in a' },
    ]);
    expect(merged.totalDifferences).toBe(2);
    expect(merged.root.counts).toEqual({ a: 3, b: 2, identical: 1, changed: 1, removed: 1, added: 0 });
  });

  it('keeps the counts of pairs whose differences were cut at maxFiles, and adds up time and timestamps', () => {
    const big: ComparisonResult = {
      ...different('image.raw', '/a'),
      totalDifferences: 7,
      timestampOnly: 3,
      truncated: true,
      durationMs: 5,
    };
    const merged = mergeComparisons(
      'first',
      'second',
      [big, different('image.efi', '/b'), identical('m')],
      10,
    );
    expect(merged).toMatchObject({
      a: 'first',
      b: 'second',
      totalDifferences: 8,
      timestampOnly: 3,
      truncated: true,
      durationMs: 25,
    });
    expect(merged.differences.map((d) => d.path)).toEqual(['/a', '/b']);
    expect(merged.root).toMatchObject({ kind: 'directory', name: 'outputs', detail: '3 outputs' });
    expect(merged.root.children.map((c) => c.name)).toEqual(['image.raw', 'image.efi', 'm']);
    expect(mergeComparisons('A', 'B', [identical('m')], 10).root.detail).toBe('1 output');
    expect(mergeComparisons('A', 'B', [identical('m')], 10).truncated).toBe(false);
  });

  it('counts every verdict of the pairs', () => {
    const node = (verdict: ComparisonResult['root']['verdict']): ComparisonResult => ({
      ...identical(verdict),
      identical: verdict === 'identical',
      root: { kind: 'file', name: verdict, verdict, children: [] },
    });
    const merged = mergeComparisons(
      'A',
      'B',
      ['identical', 'different', 'unsupported', 'nothing-compared', 'only-in-a', 'only-in-b'].map((v) =>
        node(v as ComparisonResult['root']['verdict']),
      ),
      10,
    );
    expect(merged.root.counts).toEqual({ a: 5, b: 5, identical: 1, changed: 3, removed: 1, added: 1 });
    expect(merged.differences.map((d) => [d.path, d.change, d.reason])).toEqual([
      ['different', 'changed', 'different'],
      ['unsupported', 'changed', 'unsupported'],
      ['nothing-compared', 'changed', 'nothing-compared'],
      ['only-in-a', 'removed', 'only in a'],
      ['only-in-b', 'added', 'only in b'],
    ]);
  });
});
