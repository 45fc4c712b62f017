import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveRefused, ArchiveTruncated, TarGuard, type TarPolicy } from '../../../src/cache/tar-guard.js';

/**
 * The guard over archives made by the real GNU tar: what a cache archive may hold passes unchanged,
 * everything that could write outside the extraction directory is refused before tar sees it.
 */

let scratch: string;
const FILES: TarPolicy = { members: new Set(['packages']), osTree: false, maxBytes: 1024 ** 3 };
const TREE: TarPolicy = { ...FILES, osTree: true };
const root = process.getuid?.() === 0;

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'tar-guard-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function tar(...args: string[]): void {
  execFileSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A source directory `name` under scratch with `packages/` in it. */
function source(name = 'src'): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, 'packages'), { recursive: true });
  return dir;
}

/** Feeds the guard in odd-sized chunks; what it handed on, or the error it threw. */
function guard(archive: Buffer, policy: TarPolicy): Buffer | Error {
  const g = new TarGuard(policy);
  const out: Buffer[] = [];
  try {
    for (let i = 0; i < archive.length; i += 777) out.push(...g.push(archive.subarray(i, i + 777)));
    g.finish();
  } catch (error) {
    return error as Error;
  }
  return Buffer.concat(out);
}

function refusal(archive: Buffer, policy: TarPolicy = FILES): string {
  const result = guard(archive, policy);
  expect(result).toBeInstanceOf(ArchiveRefused);
  return (result as Error).message;
}

function archive(name: string): Buffer {
  return readFileSync(path.join(scratch, name));
}

describe('TarGuard passes what a cache holds', () => {
  it.each(['gnu', 'posix'])(
    'files, directories, long names, inner links (%s format), unchanged',
    (format) => {
      const src = source();
      const deep = path.join(src, 'packages', 'd'.repeat(90), 'e'.repeat(90));
      mkdirSync(deep, { recursive: true });
      writeFileSync(path.join(deep, `${'f'.repeat(120)}.deb`), 'x'.repeat(5000));
      writeFileSync(path.join(src, 'packages/a.deb'), 'a');
      linkSync(path.join(src, 'packages/a.deb'), path.join(src, 'packages/hard.deb'));
      symlinkSync('a.deb', path.join(src, 'packages/soft.deb'));
      mkdirSync(path.join(src, 'packages/sub'));
      symlinkSync('../a.deb', path.join(src, 'packages/sub/up.deb'));
      writeFileSync(path.join(src, 'packages/system-systemd\\x2dmute.slice'), 'backslash');
      mkdirSync(path.join(src, 'packages/empty'));
      tar(`--format=${format}`, '-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
      const input = archive('a.tar');
      const output = guard(input, FILES);
      expect(output).toBeInstanceOf(Buffer);
      // Everything up to the end marker, then the marker: the bytes tar would have read.
      expect((output as Buffer).equals(input.subarray(0, (output as Buffer).length))).toBe(true);
      const listed = execFileSync('tar', ['-tf', '-'], { input: output as Buffer }).toString();
      expect(listed).toContain(`${'f'.repeat(120)}.deb`);
      expect(listed).toContain('system-systemd\\\\x2dmute.slice');
    },
  );

  it('joins the ustar prefix into the name where GNU tar does', () => {
    const src = source();
    const dir = path.join(src, 'packages', 'p'.repeat(80));
    mkdirSync(dir);
    writeFileSync(path.join(dir, `${'n'.repeat(60)}.deb`), 'x');
    tar('--format=ustar', '-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    const input = archive('a.tar');
    // The name is split: the directory part is in the prefix field.
    expect(input.subarray(2 * 512 + 345, 2 * 512 + 345 + 8).toString()).toBe('packages');
    expect(guard(input, FILES)).toBeInstanceOf(Buffer);
  });

  it('hands nothing on after the end marker', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/a'), 'a');
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    const input = Buffer.concat([archive('a.tar'), Buffer.from('trailing garbage')]);
    const output = guard(input, FILES) as Buffer;
    expect(output.length).toBe(3 * 512 + 1024);
  });

  it('lets an OS tree have absolute symlinks and set-ID files, a plain cache neither', () => {
    const src = source();
    symlinkSync('/usr/bin/mawk', path.join(src, 'packages/awk'));
    tar('-cf', path.join(scratch, 'link.tar'), '-C', src, 'packages');
    expect(guard(archive('link.tar'), TREE)).toBeInstanceOf(Buffer);
    expect(refusal(archive('link.tar'))).toMatch(
      /'packages\/awk': a symlink out of the cache, to '\/usr\/bin\/mawk'/,
    );
    rmSync(path.join(src, 'packages/awk'));
    writeFileSync(path.join(src, 'packages/su'), '#!/bin/sh\n');
    chmodSync(path.join(src, 'packages/su'), 0o4755);
    tar('-cf', path.join(scratch, 'suid.tar'), '-C', src, 'packages');
    expect(guard(archive('suid.tar'), TREE)).toBeInstanceOf(Buffer);
    expect(refusal(archive('suid.tar'))).toMatch(/'packages\/su' is set-user-ID/);
  });
});

describe('TarGuard refuses', () => {
  it('an absolute name', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/planted'), 'x');
    tar('-cPf', path.join(scratch, 'a.tar'), path.join(src, 'packages/planted'));
    expect(refusal(archive('a.tar'))).toMatch(/an absolute name '\/.*\/packages\/planted'/);
  });

  it("a name with '..'", () => {
    const src = source();
    writeFileSync(path.join(src, 'outside'), 'x');
    tar('-cPf', path.join(scratch, 'a.tar'), '-C', path.join(src, 'packages'), '../outside');
    expect(refusal(archive('a.tar'))).toMatch(/the name '\.\.\/outside' contains '\.\.'/);
  });

  it('a symlink to /etc and a file through it, in a plain cache and in an OS tree', () => {
    const first = source('first');
    symlinkSync('/etc', path.join(first, 'packages/etc'));
    tar('-cf', path.join(scratch, 'a.tar'), '-C', first, 'packages');
    const second = source('second');
    mkdirSync(path.join(second, 'packages/etc'));
    writeFileSync(path.join(second, 'packages/etc/mkosi-ci-planted'), 'x');
    tar('-rf', path.join(scratch, 'a.tar'), '-C', second, 'packages/etc/mkosi-ci-planted');
    expect(refusal(archive('a.tar'))).toMatch(/'packages\/etc': a symlink out of the cache, to '\/etc'/);
    expect(refusal(archive('a.tar'), TREE)).toMatch(/goes through the symlink 'packages\/etc'/);
  });

  it('symlinks that climb out of their member, or climb after a name', () => {
    for (const [target, reason] of [
      ['../../etc', /a symlink out of the cache/],
      ['..', /a symlink out of the cache/],
      ['sub/../..', /has '\.\.' after a name/],
    ] as const) {
      const src = source(`src-${target.replace(/\W/g, '_')}`);
      symlinkSync(target, path.join(src, 'packages/link'));
      tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
      expect(refusal(archive('a.tar'), TREE)).toMatch(reason);
    }
  });

  it.skipIf(!root)('a device node', () => {
    const src = source();
    execFileSync('mknod', [path.join(src, 'packages/null'), 'c', '1', '3']);
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    expect(refusal(archive('a.tar'), TREE)).toMatch(/'packages\/null' is a character device/);
  });

  it('a FIFO', () => {
    const src = source();
    execFileSync('mkfifo', [path.join(src, 'packages/fifo')]);
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    expect(refusal(archive('a.tar'), TREE)).toMatch(/'packages\/fifo' is a FIFO/);
  });

  it.each([
    ['gnu', /'packages\/huge' is a sparse file/],
    ['posix', /the PAX keyword GNU\.sparse\./],
  ])('a huge sparse file (%s format)', (format, reason) => {
    const src = source();
    writeFileSync(path.join(src, 'packages/huge'), '');
    truncateSync(path.join(src, 'packages/huge'), 1024 ** 4);
    tar(`--format=${format}`, '--sparse', '-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    expect(archive('a.tar').length).toBeLessThan(1024 * 1024);
    expect(refusal(archive('a.tar'), TREE)).toMatch(reason);
  });

  it('more content than the disk can take', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/zeros'), Buffer.alloc(3 * 1024 * 1024));
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    expect(refusal(archive('a.tar'), { ...TREE, maxBytes: 1024 * 1024 })).toMatch(
      /unpacks to more than 1048576 bytes/,
    );
  });

  it('a member outside the cache', () => {
    const src = source();
    mkdirSync(path.join(src, 'other'));
    writeFileSync(path.join(src, 'other/file'), 'x');
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages', 'other');
    expect(refusal(archive('a.tar'))).toMatch(/'other\/' is outside the cache's members/);
  });

  it('a cache member that is a symlink itself, even in an OS tree', () => {
    const src = path.join(scratch, 'src');
    mkdirSync(src);
    symlinkSync('/', path.join(src, 'packages'));
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    expect(refusal(archive('a.tar'), TREE)).toMatch(
      /a cache member must be a file or a directory, not a symlink/,
    );
  });

  it('a hard link to a file outside the archive', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/a'), 'x');
    linkSync(path.join(src, 'packages/a'), path.join(src, 'packages/b'));
    // Rewrites only hard link targets; -P keeps the '../../' tar would otherwise strip.
    const transform = '--transform=s,^packages/[ab]$,../../etc/shadow,RSh';
    tar('-cPf', path.join(scratch, 'up.tar'), '-C', src, transform, 'packages');
    expect(refusal(archive('up.tar'), TREE)).toMatch(/the name '\.\.\/\.\.\/etc\/shadow' contains '\.\.'/);
    tar('-cf', path.join(scratch, 'aside.tar'), '-C', src, transform, 'packages');
    expect(refusal(archive('aside.tar'), TREE)).toMatch(/'etc\/shadow' is outside the cache's members/);
  });

  it('the same name twice (a later member replacing an earlier one)', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/a'), 'x');
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages/a');
    tar('-rf', path.join(scratch, 'a.tar'), '-C', src, 'packages/a');
    expect(refusal(archive('a.tar'))).toMatch(/'packages\/a' appears twice/);
  });

  it('a damaged header and a truncated archive', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/a'), 'x'.repeat(10_000));
    tar('-cf', path.join(scratch, 'a.tar'), '-C', src, 'packages');
    const damaged = Buffer.from(archive('a.tar'));
    damaged[515] = damaged[515]! ^ 0x20;
    expect(refusal(damaged)).toMatch(/wrong checksum/);
    const truncated = guard(archive('a.tar').subarray(0, 4096), FILES);
    expect(truncated).toBeInstanceOf(ArchiveTruncated);
  });

  it('a PAX header that renames a member, and a global one that renames all that follow', () => {
    const src = source();
    writeFileSync(path.join(src, 'packages/a'), 'x');
    tar(
      '--format=posix',
      '--pax-option=path:=../../etc/x',
      '-cf',
      path.join(scratch, 'x.tar'),
      '-C',
      src,
      'packages',
    );
    expect(refusal(archive('x.tar'))).toMatch(/the name '\.\.\/\.\.\/etc\/x' contains '\.\.'/);
    tar(
      '--format=posix',
      '--pax-option=path=../../etc/x',
      '-cf',
      path.join(scratch, 'a.tar'),
      '-C',
      src,
      'packages',
    );
    expect(refusal(archive('a.tar'))).toMatch(/global PAX keyword path/);
  });
});
