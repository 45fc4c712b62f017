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

describe('what a change says', () => {
  const change = (a: Partial<ManifestEntry>, b: Partial<ManifestEntry>): string => {
    const diff = diffManifests([file('/p', 'h', a)], [file('/p', 'h', b)]);
    return describeChange(diff.changed[0]!);
  };

  it('compares nanosecond mtimes where the reader kept them', () => {
    const a = { mtime: 1000, mtimeNs: '1000000000001' };
    expect(diffManifests([file('/p', 'h', a)], [file('/p', 'h', a)]).counts.identical).toBe(1);
    expect(change(a, { mtime: 1000, mtimeNs: '1000000000002' })).toBe(
      'mtime 1970-01-01T00:16:40.000000001Z → 1970-01-01T00:16:40.000000002Z',
    );
    expect(change({ mtime: -1, mtimeNs: '-1' }, { mtime: 0, mtimeNs: '0' })).toBe(
      'mtime 1969-12-31T23:59:59.999999999Z → 1970-01-01T00:00:00.000000000Z',
    );
    expect(change({ mtime: 1000 }, { mtime: 1000, mtimeNs: '1000000000000' })).toBe(
      'mtime 1970-01-01T00:16:40Z → 1970-01-01T00:16:40.000000000Z',
    );
  });

  it('names the extended attributes that differ, on one side only or with another value', () => {
    expect(
      change(
        { xattrs: { 'user.a': '0x31', 'user.b': '0x32' } },
        { xattrs: { 'user.b': '0x33', 'user.c': '0x' } },
      ),
    ).toBe('xattrs (user.a, user.b, user.c)');
    expect(change({}, { xattrs: { 'security.selinux': '0x30' } })).toBe('xattrs (security.selinux)');
    expect(change({ xattrs: { 'user.a': '0x31' } }, { xattrs: { 'user.a': '0x31', 'user.b': '0x31' } })).toBe(
      'xattrs (user.b)',
    );
    expect(change({ xattrs: {} }, { xattrs: { 'user.b': '0x31' } })).toBe('xattrs (user.b)');
  });

  it('says what a hard link became, keeping the other fields that differ', () => {
    const link = { type: 'hardlink' as const, target: '/a', sha256: undefined, size: undefined };
    expect(change({}, link)).toBe('separate file → hard link to /a');
    expect(change(link, { mode: 0o600 })).toBe('hard link to /a → separate file, mode 0644 → 0600');
    expect(change(link, { ...link, target: '/b' })).toBe('hard link to /a → hard link to /b');
    expect(change({ ...link, mode: 0o600 }, { ...link, mode: 0o644 })).toBe('mode 0600 → 0644');
  });

  it('spells every other field', () => {
    expect(change({ uid: 0, gid: 0 }, { uid: 1, gid: 2 })).toBe('uid 0 → 1, gid 0 → 2');
    expect(
      change(
        { type: 'char', rdev: '1:3', sha256: undefined },
        { type: 'char', rdev: '1:5', sha256: undefined },
      ),
    ).toBe('device 1:3 → 1:5');
    expect(change({ type: 'symlink', target: 'x', sha256: undefined }, { type: 'file' })).toBe(
      'type symlink → file, content, target x → ?',
    );
    expect(change({ size: undefined }, { uid: undefined })).toBe('size ? → 1, uid 0 → ?');
  });
});
