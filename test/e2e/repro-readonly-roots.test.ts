import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/action-harness.js';
import { ROOT_X86_64 } from '../support/disk-images.js';
import { buildGpt } from '../support/gpt-builder.js';
import { TOOLS_TREE } from '../support/paths.js';
import { toolsTreeProgram } from '../support/tools-tree.js';

/**
 * The read-only roots of image-based systems (the immutable example's erofs and squashfs profiles),
 * narrowed into their files with the tools tree's readers (fsck.erofs, unsquashfs), never mounted:
 * two disks whose root differs in one planted file come out different with that file named, with
 * its partition; two copies of one disk come out identical. The filesystems are made by the tools
 * tree's mkfs.erofs and mksquashfs, as mkosi makes them, pinned so that only the planted file differs.
 */

const SECTORS = 8192;
const ROOT_FIRST_LBA = 2048;
const PLANTED = '/usr/lib/planted/version';

/** The image tree of one build: the planted file says `version`. */
function imageTree(dir: string, version: string): string {
  mkdirSync(path.join(dir, 'usr/lib/planted'), { recursive: true });
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'usr/lib/os-release'), 'ID=immutable\nIMAGE_VERSION=1.0\n');
  writeFileSync(path.join(dir, 'etc/hostname'), 'immutable\n');
  writeFileSync(path.join(dir, PLANTED.slice(1)), `${version}\n`);
  return dir;
}

const MAKE: Record<'erofs' | 'squashfs', (tree: string, image: string) => void> = {
  erofs: (tree, image) =>
    void toolsTreeProgram('usr/bin/mkfs.erofs', [
      '-T0',
      '--ignore-mtime',
      '-U',
      '8c3f5d7a-1b2e-4c6d-9e0f-a1b2c3d4e5f6',
      '--all-root',
      image,
      tree,
    ]),
  squashfs: (tree, image) =>
    void toolsTreeProgram('usr/bin/mksquashfs', [
      tree,
      image,
      '-noappend',
      '-all-time',
      '0',
      '-mkfs-time',
      '0',
      '-all-root',
      '-quiet',
      '-no-progress',
    ]),
};

/** A GPT disk whose one partition, the root named like the immutable example's A slot, holds `fs`. */
function disk(file: string, fs: string): string {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, SECTORS * 512);
  const table = buildGpt('5a1d0000-0000-4000-8000-000000000001', SECTORS, [
    {
      typeGuid: ROOT_X86_64,
      uuid: '5a1d0000-0000-4000-8000-000000000002',
      name: 'immutable_1.0',
      firstLba: ROOT_FIRST_LBA,
      lastLba: SECTORS - 64,
    },
  ]);
  writeSync(fd, table, 0, table.length, 0);
  const bytes = readFileSync(fs);
  writeSync(fd, bytes, 0, bytes.length, ROOT_FIRST_LBA * 512);
  closeSync(fd);
  return file;
}

describe.each(['erofs', 'squashfs'] as const)('a %s root in a GPT disk', (type) => {
  let scratch: string;
  let a: string;
  let b: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), `readonly-${type}-`));
    for (const [side, version] of [
      ['a', '1.0'],
      ['b', '1.0-rebuilt'],
    ] as const) {
      const tree = imageTree(path.join(scratch, `tree-${side}`), version);
      MAKE[type](tree, path.join(scratch, `${side}.${type}`));
    }
    a = disk(path.join(scratch, 'a-immutable_1.0.raw'), path.join(scratch, `a.${type}`));
    b = disk(path.join(scratch, 'b-immutable_1.0.raw'), path.join(scratch, `b.${type}`));
  });

  it('is identical to a copy of itself', async () => {
    const copy = path.join(scratch, 'copy.raw');
    cpSync(a, copy);
    const run = await runCli([
      'diff',
      a,
      copy,
      `--tools-tree=${TOOLS_TREE}`,
      `--work-dir=${path.join(scratch, 'w-same')}`,
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('✅ identical');
  });

  it('is narrowed to the planted file, named with its path and partition, without mounting', async () => {
    const work = path.join(scratch, 'w-planted');
    const run = await runCli(['diff', a, b, `--tools-tree=${TOOLS_TREE}`, `--work-dir=${work}`]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('❌ not reproducible');
    const report = JSON.parse(readFileSync(path.join(work, 'diff/diff-report.json'), 'utf8')) as {
      identical: boolean;
      differences: Array<{ path: string; location: string[]; fields: string[] }>;
    };
    expect(report.identical).toBe(false);
    expect(report.differences.map((d) => [d.path, d.location.at(-1)])).toEqual([
      [PLANTED, `partition 1 immutable_1.0 (root-x86-64) ${type}`],
    ]);
    expect(report.differences[0]!.fields).toContain('sha256');
    expect(run.stdout).toContain(PLANTED);
  });

  it('names a directory whose extended attribute differs (as overlayfs leaves them), with the attribute', async () => {
    const disks = (['one', 'two'] as const).map((value) => {
      const tree = imageTree(path.join(scratch, `tree-xattr-${value}`), '1.0');
      execFileSync('setfattr', [
        '-n',
        'user.overlay.origin',
        '-v',
        value,
        path.join(tree, 'usr/lib/planted'),
      ]);
      MAKE[type](tree, path.join(scratch, `xattr-${value}.${type}`));
      return disk(
        path.join(scratch, `xattr-${value}-immutable_1.0.raw`),
        path.join(scratch, `xattr-${value}.${type}`),
      );
    });
    const work = path.join(scratch, 'w-xattr');
    const run = await runCli(['diff', ...disks, `--tools-tree=${TOOLS_TREE}`, `--work-dir=${work}`]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const report = JSON.parse(readFileSync(path.join(work, 'diff/diff-report.json'), 'utf8')) as {
      differences: Array<{ path: string; fields: string[] }>;
    };
    expect(report.differences.map((d) => [d.path, d.fields])).toEqual([['/usr/lib/planted', ['xattrs']]]);
    expect(run.stdout).toContain('user.overlay.origin');
  });
});
