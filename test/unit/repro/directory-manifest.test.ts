import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFromDirectory, sha256Of } from '../../../src/repro/directory-manifest.js';

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
