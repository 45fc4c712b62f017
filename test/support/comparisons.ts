import type { ComparisonResult } from '../../src/repro/comparison.js';
import type { ReproConditions } from '../../src/repro/repro-report.js';

/** Comparison results and report conditions as the narrowing and the repro stage make them. */

/** One output pair that differs in one file of its root partition. */
export const different = (name: string, path: string): ComparisonResult => ({
  a: `a/${name}`,
  b: `b/${name}`,
  identical: false,
  root: { kind: 'disk', name, verdict: 'different', children: [] },
  differences: [
    {
      location: [name, 'partition 1 root-x86-64 ext4'],
      path,
      change: 'changed',
      fields: ['sha256'],
      reason: 'content',
    },
  ],
  totalDifferences: 1,
  timestampOnly: 0,
  truncated: false,
  durationMs: 10,
});

/** One output pair whose bytes are the same. */
export const identical = (name: string): ComparisonResult => ({
  ...different(name, '/x'),
  identical: true,
  root: { kind: 'file', name, verdict: 'identical', children: [] },
  differences: [],
  totalDifferences: 0,
});

export const conditions: ReproConditions = {
  pinned: [
    { setting: 'Seed', value: 'u-u-i-d', source: 'derived from ImageId=x' },
    { setting: 'SourceDateEpoch', value: '1700000000', source: 'time of the last commit' },
  ],
  variations: ['umask: 0002'],
  notVaried: ['hostname: needs root for a UTS namespace of its own'],
  secondDirectory: '/w/repro/src-1/p',
  durations: { first: 30_000, second: 31_000 },
  diffoscope: { status: 'ran', durationMs: 4000, files: 3, html: 'diffoscope.html', text: 'diffoscope.txt' },
};
