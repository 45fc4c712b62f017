import { describe, expect, it } from 'vitest';
import {
  describeChange,
  diffManifests,
  normalizeManifestPath,
  type ManifestEntry,
} from '../../../src/repro/manifest.js';

const file = (p: string, sha256: string, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
  path: p,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 1,
  mtime: 100,
  sha256,
  ...extra,
});

describe('diffManifests', () => {
  it('names what was added, removed and changed, with the changed fields, sorted by path', () => {
    const a = [file('/b', 'x'), file('/a', 'y'), file('/gone', 'z'), file('/same', 's')];
    const b = [
      file('/same', 's'),
      file('/b', 'x', { mtime: 200 }),
      file('/a', 'Y', { size: 2, mode: 0o600 }),
      file('/new', 'n'),
    ];
    const diff = diffManifests(a, b);
    expect(diff.added.map((e) => e.path)).toEqual(['/new']);
    expect(diff.removed.map((e) => e.path)).toEqual(['/gone']);
    expect(diff.changed.map((c) => [c.path, c.fields])).toEqual([
      ['/a', ['sha256', 'size', 'mode']],
      ['/b', ['mtime']],
    ]);
    expect(diff.counts).toEqual({ a: 4, b: 4, identical: 1, added: 1, removed: 1, changed: 2 });
    expect(describeChange(diff.changed[0]!)).toBe('content, size 1 → 2, mode 0644 → 0600');
    expect(describeChange(diff.changed[1]!)).toBe('mtime 1970-01-01T00:01:40Z → 1970-01-01T00:03:20Z');
  });

  it('leaves ignored fields out and compares xattrs and link targets', () => {
    const a = [
      file('/f', 'x', { xattrs: { 'security.capability': 'AQ==' } }),
      { path: '/l', type: 'symlink', target: 'x' } as ManifestEntry,
    ];
    const b = [
      file('/f', 'x', { mtime: 5, xattrs: { 'security.capability': 'Ag==' } }),
      { path: '/l', type: 'symlink', target: 'y' } as ManifestEntry,
    ];
    const diff = diffManifests(a, b, { ignore: ['mtime'] });
    expect(diff.changed.map((c) => [c.path, c.fields])).toEqual([
      ['/f', ['xattrs']],
      ['/l', ['target']],
    ]);
  });

  it('sorts in byte order, not locale order', () => {
    const sorted = diffManifests([], [file('/b', ''), file('/B', ''), file('/a-', ''), file('/a', '')]).added;
    expect(sorted.map((e) => e.path)).toEqual(['/B', '/a', '/a-', '/b']);
  });

  it('normalizes paths', () => {
    expect(normalizeManifestPath('./usr/bin/')).toBe('/usr/bin');
    expect(normalizeManifestPath('.')).toBe('/');
    expect(normalizeManifestPath('usr/../etc//x')).toBe('/etc/x');
  });
});
