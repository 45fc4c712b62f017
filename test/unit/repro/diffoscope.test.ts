import { describe, expect, it } from 'vitest';
import { diffoscopeArgs, narrowedPath } from '../../../src/repro/diffoscope.js';

describe('diffoscope on the narrowed files', () => {
  it('bounds the report and ignores the copies’ directory metadata', () => {
    expect(
      diffoscopeArgs({
        html: 'r.html',
        text: 'r.txt',
        maxReportSize: 1000,
        timeoutSeconds: 60,
        a: 'A',
        b: 'B',
      }),
    ).toEqual([
      '--html',
      'r.html',
      '--text',
      'r.txt',
      '--max-report-size',
      '1000',
      '--max-text-report-size',
      '1000',
      '--exclude-directory-metadata=yes',
      '--timeout',
      '60',
      '--no-progress',
      'A',
      'B',
    ]);
  });

  it('puts each file under its location and never outside the narrowed directory', () => {
    expect(narrowedPath({ location: ['image.raw', 'partition 1 root-x86-64 ext4'], path: '/etc/a' })).toBe(
      'image.raw/partition 1 root-x86-64 ext4/etc/a',
    );
    expect(narrowedPath({ location: [], path: '/../../etc/passwd' })).toBe('etc/passwd');
  });
});
