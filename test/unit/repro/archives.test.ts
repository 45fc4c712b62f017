import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCpio, listTar } from '../../../src/repro/archives.js';
import { cpio, tar } from '../../support/archive-images.js';

describe('cpio and tar', () => {
  it('lists a newc archive with content hashes, symlinks and hardlinks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-cpio-'));
    const file = path.join(dir, 'a.cpio');
    writeFileSync(
      file,
      cpio([
        { name: '.', mode: 0o40755 },
        { name: 'etc', mode: 0o40755 },
        { name: 'etc/hostname', mode: 0o100644, data: 'test\n', mtime: 5 },
        { name: 'bin', mode: 0o120777, data: 'usr/bin' },
        { name: 'usr/bin/a', mode: 0o100755, ino: 77, nlink: 2 },
        { name: 'usr/bin/b', mode: 0o100755, data: 'same', ino: 77, nlink: 2 },
      ]),
    );
    const listing = await listCpio(file);
    expect(listing.error).toBeUndefined();
    expect(listing.entries.map((e) => [e.path, e.type, e.target])).toEqual([
      ['/', 'directory', undefined],
      ['/etc', 'directory', undefined],
      ['/etc/hostname', 'file', undefined],
      ['/bin', 'symlink', 'usr/bin'],
      ['/usr/bin/a', 'hardlink', '/usr/bin/b'],
      ['/usr/bin/b', 'file', undefined],
    ]);
    expect(listing.entries[2]).toMatchObject({ mode: 0o644, size: 5, mtime: 5 });
    expect(listing.entries[2]!.sha256).toBe(
      'f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2',
    );
  });

  it('lists a ustar archive', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-tar-'));
    const file = path.join(dir, 'a.tar');
    writeFileSync(
      file,
      tar([
        { name: 'etc/hostname', data: 'test\n' },
        { name: 'bin', link: 'usr/bin' },
      ]),
    );
    const entries = await listTar(file);
    expect(entries.map((e) => [e.path, e.type, e.size, e.target, e.mtime])).toEqual([
      ['/etc/hostname', 'file', 5, undefined, 1000],
      ['/bin', 'symlink', undefined, 'usr/bin', 1000],
    ]);
  });
});
