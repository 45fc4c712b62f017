import { describe, expect, it } from 'vitest';
import type { ComparisonResult } from '../../../src/repro/comparison.js';
import { mergeComparisons } from '../../../src/repro/merge.js';
import { renderReproJson, renderReproMarkdown, reproText } from '../../../src/repro/repro-report.js';
import { conditions, different } from '../../support/comparisons.js';

describe('the reproducibility report', () => {
  // Made inside each test, so that mutation testing sees which tests use the merge.
  const merged = (): ComparisonResult =>
    mergeComparisons('A', 'B', [different('image.raw', '/etc/planted/build-time')], 10);

  it('says the verdict, names the file and partition, what was pinned and varied, and where diffoscope is', () => {
    const result = merged();
    const md = renderReproMarkdown(result, conditions);
    expect(md).toContain('## Reproducibility: ❌ not reproducible');
    expect(md).toContain(
      '| image.raw › partition 1 root-x86-64 ext4 | `/etc/planted/build-time` | content |',
    );
    expect(md).toContain('- `Seed=u-u-i-d` (derived from ImageId=x)');
    expect(md).toContain('- `SourceDateEpoch=1700000000` (time of the last commit)');
    expect(md).toContain('- umask: 0002');
    expect(md).toContain('- not varied: hostname: needs root');
    expect(md).toContain('its report is `diffoscope.html`');
    expect(renderReproMarkdown(result, { ...conditions, pinned: [] })).toContain(
      'The project pins `Seed=` and `SourceDateEpoch=` itself.',
    );
  });

  it('keeps the conditions in the JSON report', () => {
    const result = merged();
    const json = JSON.parse(renderReproJson(result, conditions)) as Record<string, unknown>;
    expect(json.reproducible).toBe(false);
    expect(json.conditions).toEqual(conditions);
    expect((json.differences as unknown[]).length).toBe(1);
  });

  it('gives the CLI a short text', () => {
    const result = merged();
    expect(reproText(result, '/w/logs/repro')).toEqual([
      'reproducible: no (1 difference)',
      '  image.raw › partition 1 root-x86-64 ext4: /etc/planted/build-time: content',
      'report: /w/logs/repro',
    ]);
  });
});
