import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { renderMarkdown } from '../../../../src/repro/report.js';
import { hostToolBox } from '../../../../src/repro/toolbox.js';
import { disk, hasExt4, tree } from '../../../support/disk-images.js';

const runner = new ProcessRunner(() => {}, process.env);

describe.skipIf(!hasExt4)('ext4 partitions of a GPT disk (mke2fs, debugfs)', () => {
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
    expect(result.differences[1]!.hint).toBe(
      'derives from Seed= (partition UUIDs) or is random: pin Seed= (each image of mkosi.images/ needs its own); ext4 directory hash seed: SYSTEMD_REPART_MKFS_OPTIONS_EXT4=-E hash_seed=<uuid>',
    );
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
