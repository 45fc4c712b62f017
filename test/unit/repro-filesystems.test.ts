import { execFileSync } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../src/process/runner.js';
import {
  detectFilesystem,
  hostToolBox,
  readFilesystemManifest,
  readHead,
  superblockFields,
  toolsTreeToolBox,
  type ToolBox,
} from '../../src/repro/filesystems.js';
import { buildGpt } from '../../src/repro/gpt.js';
import { compareOutputs } from '../../src/repro/narrow.js';
import { renderMarkdown } from '../../src/repro/report.js';

const runner = new ProcessRunner(() => {}, process.env);
const which = (name: string): string | undefined => {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};
const mke2fs =
  which('mke2fs') ?? (['/usr/sbin/mke2fs', '/sbin/mke2fs'].find((p) => which(p)) as string | undefined);
const hasExt4 = !!mke2fs && !!which('debugfs');

const ROOT = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';
const HOME = '933ac7e1-2eb4-4f13-b844-0e14e2aef915';
const MiB = 1024 * 1024;

function tree(dir: string, hostname: string): string {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'etc', 'hostname'), hostname);
  writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=test\n');
  for (const f of ['etc/hostname', 'etc/os-release', 'etc', '.']) utimesSync(path.join(dir, f), 1000, 1000);
  return dir;
}

/** An ext4 filesystem made by mke2fs from `source`, written at `offset` of `file`. */
function ext4(file: string, offset: number, source: string, uuid: string): void {
  execFileSync(
    mke2fs!,
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-b',
      '1024',
      '-U',
      uuid,
      '-E',
      `offset=${offset},hash_seed=${uuid},root_owner=0:0`,
      '-d',
      source,
      file,
      '2048',
    ],
    { env: { ...process.env, E2FSPROGS_FAKE_TIME: '1000' } },
  );
}

/** A GPT disk: partition 1 "root" (2 MiB at 1 MiB), partition 2 "home" (2 MiB at 3 MiB). */
function disk(file: string, rootSource: string, homeSource: string, homeUuid: string): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 6 * MiB);
  const partitions = [
    {
      typeGuid: ROOT,
      uuid: '00000000-0000-0000-0000-000000000001',
      name: 'root-x86-64',
      firstLba: 2048,
      lastLba: 6143,
    },
    {
      typeGuid: HOME,
      uuid: '00000000-0000-0000-0000-000000000002',
      name: 'home',
      firstLba: 6144,
      lastLba: 10239,
    },
  ];
  writeSync(fd, buildGpt('00000000-0000-0000-0000-0000000000aa', 12288, partitions), 0, 34 * 512, 0);
  closeSync(fd);
  ext4(file, MiB, rootSource, '11111111-1111-1111-1111-111111111111');
  ext4(file, 3 * MiB, homeSource, homeUuid);
}

describe('filesystem detection', () => {
  it('finds filesystems by their superblock magic', () => {
    const head = (at: number, bytes: number[] | string): Buffer => {
      const b = Buffer.alloc(70_000);
      if (typeof bytes === 'string') b.write(bytes, at, 'latin1');
      else Buffer.from(bytes).copy(b, at);
      return b;
    };
    expect(detectFilesystem(head(1024 + 56, [0x53, 0xef]))).toBe('ext4');
    expect(detectFilesystem(head(1024, [0xe2, 0xe1, 0xf5, 0xe0]))).toBe('erofs');
    expect(detectFilesystem(head(0, 'hsqs'))).toBe('squashfs');
    expect(detectFilesystem(head(65536 + 64, '_BHRfS_M'))).toBe('btrfs');
    expect(detectFilesystem(head(0, 'XFSB'))).toBe('xfs');
    expect(detectFilesystem(head(0, 'verity\0\0'))).toBe('verity');
    const fat = head(82, 'FAT32   ');
    fat[510] = 0x55;
    fat[511] = 0xaa;
    fat.writeUInt32LE(0x1234abcd, 67);
    expect(detectFilesystem(fat)).toBe('vfat');
    expect(superblockFields(fat, 'vfat').volume_id).toBe('1234abcd');
    expect(detectFilesystem(Buffer.alloc(70_000))).toBe('unknown');
  });

  it('runs programs of a tools tree through its own loader, else falls back', async () => {
    const fallback: ToolBox = { find: async (name) => ({ command: `/host/${name}`, args: [] }) };
    const box = toolsTreeToolBox(mkdtempSync(path.join(os.tmpdir(), 'repro-tree-')), fallback);
    expect(await box.find('mcopy')).toEqual({ command: '/host/mcopy', args: [] });
  });

  it('says a type is unsupported when its tool is missing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-fs-'));
    const file = path.join(dir, 'sq');
    writeFileSync(file, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192)]));
    const none: ToolBox = { find: async () => undefined };
    const fs = await readFilesystemManifest({ runner, tools: none, tmpDir: dir }, file, {
      offset: 0,
      size: 8196,
    });
    expect(fs).toMatchObject({
      type: 'squashfs',
      supported: false,
      reason: 'unsquashfs is not installed (needed to read squashfs)',
    });
  });
});

describe.skipIf(!hasExt4)('ext4 partitions of a GPT disk (mke2fs, debugfs)', () => {
  it('reads an ext4 partition into a manifest without mounting', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-ext4-'));
    const src = tree(path.join(dir, 'src'), 'one\n');
    const file = path.join(dir, 'disk.raw');
    disk(file, src, src, '22222222-2222-2222-2222-222222222222');
    const head = await readHead(file, MiB);
    expect(detectFilesystem(head)).toBe('ext4');
    expect(superblockFields(head, 'ext4')).toMatchObject({ uuid: '11111111-1111-1111-1111-111111111111' });
    const fs = await readFilesystemManifest({ runner, tools: hostToolBox(runner), tmpDir: dir }, file, {
      offset: MiB,
      size: 2 * MiB,
    });
    expect(fs.supported).toBe(true);
    expect(fs.tool).toBe('debugfs');
    const hostname = fs.entries.find((e) => e.path === '/etc/hostname');
    expect(hostname).toMatchObject({ type: 'file', size: 4, mtime: 1000, mode: 0o644 });
    expect(fs.entries.map((e) => e.path)).toContain('/lost+found');
  });

  it('narrows two disks to the changed file and the partition whose metadata alone differs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-ext4-'));
    const a = path.join(dir, 'a', 'disk.raw');
    const b = path.join(dir, 'b', 'disk.raw');
    mkdirSync(path.dirname(a));
    mkdirSync(path.dirname(b));
    const same = tree(path.join(dir, 'same'), 'home\n');
    disk(a, tree(path.join(dir, 'srca'), 'one\n'), same, '22222222-2222-2222-2222-222222222222');
    disk(b, tree(path.join(dir, 'srcb'), 'two\n'), same, '33333333-3333-3333-3333-333333333333');
    const result = await compareOutputs(a, b, {
      runner,
      tools: hostToolBox(runner),
      tmpDir: dir,
      maxFiles: 10,
    });
    expect(result.identical).toBe(false);
    expect(result.differences.map((d) => [d.location.join(' > '), d.path, d.reason])).toEqual([
      ['disk.raw > partition 1 root-x86-64 ext4', '/etc/hostname', 'content'],
      [
        'disk.raw',
        'partition 2 home',
        'all 5 files identical; filesystem metadata differs: uuid, hash_seed, checksum',
      ],
    ]);
    expect(result.differences[1]!.hint).toContain('Seed=');
    const partitions = result.root.children.map((c) => [c.name, c.verdict, c.counts?.changed]);
    expect(partitions).toEqual([
      ['partition table', 'identical', undefined],
      ['1 root-x86-64', 'different', 1],
      ['2 home', 'different', 0],
    ]);
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('❌ not reproducible');
    expect(markdown).toContain('`/etc/hostname`');

    // The same disk compared with itself, and two output directories holding the disks.
    expect((await compareOutputs(a, a, { runner, tools: hostToolBox(runner), tmpDir: dir })).identical).toBe(
      true,
    );
    const dirs = await compareOutputs(path.dirname(a), path.dirname(b), {
      runner,
      tools: hostToolBox(runner),
      tmpDir: dir,
    });
    expect(dirs.root.detail).toBe('output directory');
    expect(dirs.differences.map((d) => [d.location.join(' > '), d.path])).toEqual([
      ['', '/disk.raw'],
      ['/disk.raw > partition 1 root-x86-64 ext4', '/etc/hostname'],
      ['/disk.raw', 'partition 2 home'],
    ]);
  });
});
