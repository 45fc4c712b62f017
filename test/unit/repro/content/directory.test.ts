import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import type { ComparisonResult } from '../../../../src/repro/comparison.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import type { ToolBox } from '../../../../src/repro/toolbox.js';
import { setfattr, touchAt, xattrToolBox } from '../../../support/xattr-tools.js';

/**
 * Planted faults in directory trees that a manifest of whole-second mtimes without xattrs calls
 * identical: each tree differs from a faithful copy (cp -a) in one thing only.
 */

const runner = new ProcessRunner(() => {}, process.env);
const tools = xattrToolBox(runner);

/** A small OS tree: /etc/hostname, /usr/bin/tool and /usr/bin/tool2 (a hard link), mtimes 1000.5. */
function osTree(dir: string): string {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/hostname'), 'host\n');
  writeFileSync(path.join(dir, 'usr/bin/tool'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'usr/bin/tool'), 0o755);
  linkSync(path.join(dir, 'usr/bin/tool'), path.join(dir, 'usr/bin/tool2'));
  for (const p of ['etc/hostname', 'usr/bin/tool', 'etc', 'usr/bin', 'usr', '.']) {
    touchAt(path.join(dir, p), '1000.500000000');
  }
  return dir;
}

/** A tree and its faithful copy (cp -a keeps xattrs, nanosecond times and hard links). */
function twin(): { a: string; b: string; tmp: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-dir-'));
  const a = osTree(path.join(tmp, 'a'));
  const b = path.join(tmp, 'b');
  execFileSync('cp', ['-a', a, b]);
  return { a, b, tmp };
}

async function compare(a: string, b: string, tmp: string, box: ToolBox = tools): Promise<ComparisonResult> {
  return await compareOutputs(a, b, { runner, tools: box, tmpDir: tmp });
}

const summary = (r: ComparisonResult): Array<[string, string]> =>
  r.differences.map((d) => [d.path, d.reason]);

describe('directory trees compared by what the filesystem holds', () => {
  beforeAll(async () => {
    expect(await tools.find('getfattr'), 'getfattr (attr) on the host or in the tools tree').toBeDefined();
  });

  it('finds a faithful copy identical', async () => {
    const { a, b, tmp } = twin();
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(true);
    expect(result.root).toMatchObject({ verdict: 'identical', detail: 'directory tree' });
    expect(result.root.counts).toMatchObject({ a: 7, b: 7, identical: 7 });
    expect(result.totalDifferences).toBe(0);
  });

  it.each([
    ['a user attribute', 'user.comment', 'planted'],
    ['a file capability', 'security.capability', '0x0100000200200000000000000000000000000000'],
    ['an SELinux label', 'security.selinux', 'system_u:object_r:bin_t:s0'],
    [
      'an ACL',
      'system.posix_acl_access',
      '0x0200000001000600ffffffff02000400d204000004000400ffffffff10000400ffffffff20000400ffffffff',
    ],
  ])('finds a tree differing only in %s', async (_what, name, value) => {
    const { a, b, tmp } = twin();
    await setfattr(runner, path.join(b, 'etc/hostname'), name, value);
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(result.root.verdict).toBe('different');
    expect(summary(result)).toEqual([['/etc/hostname', `xattrs (${name})`]]);
    expect(result.differences[0]!.b?.xattrs?.[name]).toMatch(/^0x[0-9a-f]+$/);
  });

  it('finds an attribute that has another value on each side, on a directory too', async () => {
    const { a, b, tmp } = twin();
    await setfattr(runner, path.join(a, 'etc'), 'user.x', 'one');
    await setfattr(runner, path.join(b, 'etc'), 'user.x', 'two');
    expect(summary(await compare(a, b, tmp))).toEqual([['/etc', 'xattrs (user.x)']]);
  });

  it('finds a tree differing only in a sub-second mtime', async () => {
    const { a, b, tmp } = twin();
    touchAt(path.join(a, 'etc/hostname'), '1000.000000001');
    touchAt(path.join(b, 'etc/hostname'), '1000.000000002');
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(summary(result)).toEqual([
      ['/etc/hostname', 'mtime 1970-01-01T00:16:40.000000001Z → 1970-01-01T00:16:40.000000002Z'],
    ]);
    expect(result.differences[0]!.fields).toEqual(['mtime']);
    expect(result.timestampOnly).toBe(1);
  });

  it('reads the attributes of a hard-linked file once, on its first path', async () => {
    const { a, b, tmp } = twin();
    await setfattr(runner, path.join(b, 'usr/bin/tool2'), 'user.x', 'planted');
    expect(summary(await compare(a, b, tmp))).toEqual([['/usr/bin/tool', 'xattrs (user.x)']]);
  });

  it('finds a hard link that became a copy', async () => {
    const { a, b, tmp } = twin();
    execFileSync('rm', [path.join(b, 'usr/bin/tool2')]);
    execFileSync('cp', ['-p', path.join(b, 'usr/bin/tool'), path.join(b, 'usr/bin/tool2')]);
    touchAt(path.join(b, 'usr/bin'), '1000.500000000');
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(summary(result)).toEqual([['/usr/bin/tool2', 'hard link to /usr/bin/tool → separate file']]);
  });

  it('does not call trees identical when it cannot read their attributes', async () => {
    const { a, b, tmp } = twin();
    const without: ToolBox = { find: async () => undefined };
    const result = await compare(a, b, tmp, without);
    expect(result.identical).toBe(false);
    expect(result.root.verdict).toBe('unsupported');
    expect(summary(result)).toEqual([
      ['a ↔ b', 'getfattr is not installed (attr): extended attributes cannot be read'],
    ]);
  });

  it('keeps the differences it found when it cannot read the attributes too', async () => {
    const { a, b, tmp } = twin();
    writeFileSync(path.join(b, 'etc/hostname'), 'other\n');
    const result = await compare(a, b, tmp, { find: async () => undefined });
    expect(result.root.verdict).toBe('different');
    expect(result.root.reason).toMatch(/getfattr is not installed/);
    expect(result.differences.map((d) => [d.path, d.fields])).toEqual([
      ['/etc/hostname', ['sha256', 'size', 'mtime']],
    ]);
  });

  it('compares nothing in two empty directories, and says so', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-dir-'));
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    mkdirSync(a);
    mkdirSync(b);
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(result.root.verdict).toBe('nothing-compared');
    expect(summary(result)).toEqual([['a ↔ b', 'both directories are empty: nothing was compared']]);
  });

  it('ignores the mtimes of an output directory’s own entries, not those of a tree inside it', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-dir-'));
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    for (const [dir, when] of [
      [a, '1000'],
      [b, '2000'],
    ] as const) {
      mkdirSync(path.join(dir, 'image/etc'), { recursive: true });
      writeFileSync(path.join(dir, 'image.manifest'), '{}');
      writeFileSync(path.join(dir, 'image/etc/hostname'), 'host\n');
      for (const p of ['image.manifest', 'image', '.']) touchAt(path.join(dir, p), when);
      touchAt(path.join(dir, 'image/etc'), '1000');
    }
    touchAt(path.join(a, 'image/etc/hostname'), '1000');
    touchAt(path.join(b, 'image/etc/hostname'), '1000.25');
    const result = await compare(a, b, tmp);
    expect(result.root.detail).toBe('output directory');
    expect(result.differences.map((d) => d.path)).toEqual(['/image/etc/hostname']);
  });
});

describe('directory trees, edge by edge', () => {
  it('compares an empty directory with a full one as different, either way round', async () => {
    const { a, tmp } = twin();
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    for (const [x, y] of [
      [a, empty],
      [empty, a],
    ] as const) {
      const result = await compare(x, y, tmp);
      expect(result.root).toMatchObject({
        kind: 'directory',
        verdict: 'different',
        detail: 'directory tree',
      });
      expect(result.root.reason).toBeUndefined();
    }
  });

  it('takes a tree for an OS tree when either side has /usr or /etc, and keeps its root’s mtime', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-dir-'));
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    mkdirSync(path.join(a, 'etc'), { recursive: true });
    mkdirSync(path.join(b, 'usr'), { recursive: true });
    touchAt(a, '1000');
    touchAt(b, '2000');
    const result = await compare(a, b, tmp);
    expect(result.root.detail).toBe('directory tree');
    expect(result.differences.map((d) => d.path)).toEqual(['/etc', '/usr', '/']);
  });

  it('is not readable when only one side’s attributes cannot be read', async () => {
    const { a, b, tmp } = twin();
    // getfattr stand-ins at the process boundary: one tree reads (no attributes), the other fails.
    const failingOn = (side: string): ToolBox => ({
      find: async () => ({
        command: '/bin/sh',
        args: ['-c', `case "$PWD" in */${side}) echo "getfattr: failed" >&2; exit 1;; esac`, 'sh'],
      }),
    });
    for (const side of ['a', 'b']) {
      const result = await compare(a, b, tmp, failingOn(side));
      expect(result.root).toMatchObject({
        verdict: 'unsupported',
        reason: 'getfattr exited with 1: getfattr: failed',
      });
    }
  });
});

describe('directory trees: what makes an OS tree', () => {
  it('is /etc alone as much as /usr and /etc', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-dir-'));
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    for (const [dir, when] of [
      [a, '1000'],
      [b, '2000'],
    ] as const) {
      mkdirSync(path.join(dir, 'etc'), { recursive: true });
      touchAt(path.join(dir, 'etc'), '1000');
      touchAt(dir, when);
    }
    const result = await compare(a, b, tmp);
    expect(result.root).toMatchObject({ kind: 'directory', detail: 'directory tree' });
    expect(result.differences.map((d) => d.path)).toEqual(['/']);
  });
});
