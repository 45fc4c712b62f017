import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeChange,
  diffManifests,
  manifestFromDirectory,
  normalizeManifestPath,
  sha256Of,
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

describe('manifestFromDirectory', () => {
  it('lists a tree with metadata and content hashes, in order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-manifest-'));
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=test\n');
    chmodSync(path.join(dir, 'etc', 'os-release'), 0o640);
    utimesSync(path.join(dir, 'etc', 'os-release'), 1000, 1000);
    symlinkSync('etc/os-release', path.join(dir, 'link'));
    const entries = await manifestFromDirectory(dir);
    expect(entries.map((e) => [e.path, e.type])).toEqual([
      ['/', 'directory'],
      ['/etc', 'directory'],
      ['/etc/os-release', 'file'],
      ['/link', 'symlink'],
    ]);
    const release = entries[2]!;
    expect(release).toMatchObject({ mode: 0o640, size: 8, mtime: 1000 });
    expect(release.sha256).toBe(await sha256Of(path.join(dir, 'etc', 'os-release')));
    expect(entries[3]!.target).toBe('etc/os-release');
    const noOwners = await manifestFromDirectory(dir, { owners: false, modes: false });
    expect(noOwners[2]!.uid).toBeUndefined();
    expect(noOwners[2]!.mode).toBeUndefined();
  });

  it('hashes byte ranges', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-hash-'));
    const f = path.join(dir, 'f');
    writeFileSync(f, 'abcdef');
    writeFileSync(path.join(dir, 'g'), 'cd');
    expect(await sha256Of(f, 2, 2)).toBe(await sha256Of(path.join(dir, 'g')));
    expect(await sha256Of(f, 0, 0)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
