import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../../../src/repro/comparison.js';
import {
  cell,
  formatDifference,
  renderJson,
  renderMarkdown,
  toJsonReport,
} from '../../../src/repro/report.js';

const result: ComparisonResult = {
  a: 'one/image.raw',
  b: 'two/image.raw',
  identical: false,
  durationMs: 2500,
  totalDifferences: 3,
  timestampOnly: 1,
  truncated: true,
  root: {
    kind: 'disk',
    name: 'image.raw',
    verdict: 'different',
    detail: 'GPT, 2 partitions',
    children: [
      { kind: 'partition-table', name: 'partition table', verdict: 'identical', fields: [], children: [] },
      { kind: 'partition', name: '1 esp', verdict: 'identical', children: [] },
      {
        kind: 'partition',
        name: '2 root-x86-64',
        verdict: 'different',
        detail: 'ext4 (read with debugfs)',
        counts: { a: 10, b: 11, identical: 8, changed: 2, removed: 0, added: 1 },
        fields: [{ field: 'hash_seed', a: 'x', b: 'y', hint: 'ext4 directory hash seed' }],
        children: [],
      },
    ],
  },
  differences: [
    {
      location: ['image.raw', 'partition 2 root-x86-64 ext4'],
      path: '/var/log/dpkg|x.log',
      change: 'changed',
      fields: ['sha256', 'size'],
      reason: 'content, size 1 → 2',
      hint: 'log written during the build: RemoveFiles= it',
      a: { path: '/var/log/dpkg|x.log', type: 'file', mode: 0o644, mtime: 0, size: 1, sha256: 'a' },
      b: { path: '/var/log/dpkg|x.log', type: 'file', mode: 0o644, mtime: 0, size: 2, sha256: 'b' },
    },
    {
      location: ['image.raw', 'partition 2 root-x86-64 ext4'],
      path: '/etc/new',
      change: 'added',
      fields: [],
      reason: 'only in b',
    },
  ],
};

describe('renderMarkdown', () => {
  it('gives the verdict, the levels with counts, metadata and the top differences', () => {
    const md = renderMarkdown(result, { topDifferences: 1, labels: { a: 'build 1', b: 'build 2' } });
    expect(md).toContain('## Reproducibility: ❌ not reproducible');
    expect(md).toContain('Compared `build 1` (A) and `build 2` (B) in 2.5 s.');
    expect(md).toContain('3 differences (1 of them only in their modification time).');
    expect(md).toContain('| image.raw | different |  |  |  |  | GPT, 2 partitions |');
    expect(md).toContain('| └\u00a02 root-x86-64 | different | 8 | 2 | 0 | 1 | ext4 (read with debugfs) |');
    expect(md).toContain('| 2 root-x86-64 | hash_seed | x | y | ext4 directory hash seed |');
    expect(md).toContain(
      '| image.raw › partition 2 root-x86-64 ext4 | `/var/log/dpkg\\|x.log` | content, size 1 → 2 | log written during the build: RemoveFiles= it |',
    );
    expect(md).not.toContain('/etc/new');
    expect(md).toContain('… and 2 more (the JSON report keeps 2).');
  });

  it('says identical in one line when nothing differs', () => {
    const md = renderMarkdown({
      ...result,
      identical: true,
      totalDifferences: 0,
      timestampOnly: 0,
      truncated: false,
      differences: [],
      root: { kind: 'file', name: 'x', verdict: 'identical', children: [] },
    });
    expect(md).toContain('✅ identical');
    expect(md).not.toContain('Top differences');
    expect(md).not.toContain('Metadata differences');
  });

  it('escapes table cells', () => {
    expect(cell('a|b\nc`d')).toBe("a\\|b c'd");
  });
});

describe('JSON report', () => {
  it('keeps the tree and the differences with octal modes and ISO times', () => {
    const json = JSON.parse(renderJson(result)) as ReturnType<typeof toJsonReport>;
    expect(json.version).toBe(1);
    expect(json.tree.children).toHaveLength(3);
    expect(json.differences[0]!.a).toMatchObject({ mode: '0644', mtime: '1970-01-01T00:00:00Z' });
    expect(json.differences[1]).toEqual({
      location: ['image.raw', 'partition 2 root-x86-64 ext4'],
      path: '/etc/new',
      change: 'added',
      fields: [],
      reason: 'only in b',
    });
    expect(formatDifference(result.differences[1]!)).toBe(
      'image.raw › partition 2 root-x86-64 ext4: /etc/new: only in b',
    );
  });
});
