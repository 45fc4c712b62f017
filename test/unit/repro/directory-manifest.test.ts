import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFromDirectory, sha256Of } from '../../../src/repro/directory-manifest.js';
import { touchAt } from '../../support/xattr-tools.js';

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

describe('manifestFromDirectory: what a tree holds', () => {
  it('marks the later paths of a multiply linked file as hard links to the first, when asked', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-links-'));
    writeFileSync(path.join(dir, 'b'), 'x');
    linkSync(path.join(dir, 'b'), path.join(dir, 'c'));
    linkSync(path.join(dir, 'b'), path.join(dir, 'a'));
    writeFileSync(path.join(dir, 'd'), 'x');
    const linked = await manifestFromDirectory(dir, { hardlinks: true });
    expect(linked.map((e) => [e.path, e.type, e.target, e.sha256 !== undefined])).toEqual([
      ['/', 'directory', undefined, false],
      ['/a', 'file', undefined, true],
      ['/b', 'hardlink', '/a', false],
      ['/c', 'hardlink', '/a', false],
      ['/d', 'file', undefined, true],
    ]);
    expect(linked[2]).toMatchObject({ mode: linked[1]!.mode, uid: linked[1]!.uid });
    const plain = await manifestFromDirectory(dir);
    expect(plain.map((e) => e.type)).toEqual(['directory', 'file', 'file', 'file', 'file']);
  });

  it('keeps nanosecond mtimes when asked, whole seconds always', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-ns-'));
    writeFileSync(path.join(dir, 'f'), 'x');
    touchAt(path.join(dir, 'f'), '1700000000.123456789');
    const ns = await manifestFromDirectory(dir, { nanoseconds: true });
    expect(ns[1]).toMatchObject({ mtime: 1700000000, mtimeNs: '1700000000123456789' });
    const plain = await manifestFromDirectory(dir);
    expect(plain[1]!.mtime).toBe(1700000000);
    expect(plain[1]!.mtimeNs).toBeUndefined();
  });

  it('leaves out the mtimes a reader cannot keep', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-mtimes-'));
    mkdirSync(path.join(dir, 'd'));
    symlinkSync('d', path.join(dir, 'l'));
    const entries = await manifestFromDirectory(dir, {
      symlinkMtime: false,
      directoryMtime: false,
      nanoseconds: true,
    });
    expect(entries.map((e) => [e.path, e.mtime, e.mtimeNs])).toEqual([
      ['/', undefined, undefined],
      ['/d', undefined, undefined],
      ['/l', undefined, undefined],
    ]);
    const all = await manifestFromDirectory(dir);
    expect(all.every((e) => typeof e.mtime === 'number')).toBe(true);
  });

  it('records device numbers and special files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-dev-'));
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(dir, 'loop'), 'b', '7', '300']);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    const entries = await manifestFromDirectory(dir);
    expect(entries.map((e) => [e.path, e.type, e.rdev])).toEqual([
      ['/', 'directory', undefined],
      ['/fifo', 'fifo', undefined],
      ['/loop', 'block', '7:300'],
      ['/null', 'char', '1:3'],
    ]);
  });

  it('hashes files above the small-file size as a stream', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-big-'));
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    writeFileSync(path.join(dir, 'big'), big);
    const entries = await manifestFromDirectory(dir);
    expect(entries[1]!.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(await sha256Of(path.join(dir, 'big'), 1, 2)).toBe(
      createHash('sha256').update(big.subarray(1, 3)).digest('hex'),
    );
  });
});
