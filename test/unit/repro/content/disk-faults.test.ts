import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import type { ComparisonResult, FileDifference } from '../../../../src/repro/comparison.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { hostToolBox } from '../../../../src/repro/toolbox.js';
import { ESP, ROOT_X86_64 } from '../../../support/disk-images.js';
import { buildGpt, type GptBuildPartition } from '../../../support/gpt-builder.js';

/**
 * Planted faults in real GPT disk images (written with the test GPT builder): a disk must come out
 * different whenever its bytes differ, and never identical when a part of it cannot be read.
 */

const runner = new ProcessRunner(() => {}, process.env);
const SECTORS = 8192;

const PARTITIONS: GptBuildPartition[] = [
  { typeGuid: ESP, uuid: '11111111-0000-0000-0000-000000000001', name: 'esp', firstLba: 2048, lastLba: 4095 },
  {
    typeGuid: ROOT_X86_64,
    uuid: '11111111-0000-0000-0000-000000000002',
    name: 'root-x86-64',
    firstLba: 4096,
    lastLba: 6143,
  },
];

/** Writes a disk: its GPT, then `patches` (byte offset → bytes) on top of zeros. */
function disk(
  file: string,
  partitions: GptBuildPartition[],
  patches: Array<[number, Buffer | string]> = [],
  gpt?: (g: Buffer) => void,
): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  ftruncateSync(fd, SECTORS * 512);
  const table = buildGpt('22222222-0000-0000-0000-000000000000', SECTORS, partitions);
  gpt?.(table);
  writeSync(fd, table, 0, table.length, 0);
  for (const [at, bytes] of patches) {
    const data = Buffer.from(bytes);
    writeSync(fd, data, 0, data.length, at);
  }
  closeSync(fd);
  return file;
}

async function compare(a: string, b: string): Promise<ComparisonResult> {
  return await compareOutputs(a, b, {
    runner,
    tools: hostToolBox(runner),
    tmpDir: path.dirname(path.dirname(a)),
  });
}

const brief = (d: FileDifference): [string, string, string, string] => [
  d.location.join(' > '),
  d.path,
  d.change,
  d.reason,
];

function pair(): { a: string; b: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-disk-'));
  return { a: path.join(tmp, 'a', 'disk.raw'), b: path.join(tmp, 'b', 'disk.raw') };
}

describe('GPT disks with planted faults', () => {
  it('are different when only bytes outside every partition differ', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, PARTITIONS, [[100 * 512, 'outside']]);
    const result = await compare(a, b);
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({
      kind: 'disk',
      verdict: 'different',
      detail: 'GPT, 2 partitions',
      reason: 'partition table and partitions identical: bytes outside the partitions differ',
    });
    expect(result.root.children.map((c) => [c.name, c.verdict])).toEqual([
      ['partition table', 'identical'],
      ['1 esp', 'identical'],
      ['2 root-x86-64', 'identical'],
    ]);
    expect(result.differences.map(brief)).toEqual([
      [
        '',
        'disk.raw',
        'changed',
        'partition table and partitions identical: bytes outside the partitions differ',
      ],
    ]);
    expect(result.differences[0]!.fields).toEqual(['sha256']);
  });

  it('are different when only the backup GPT at the end differs', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, PARTITIONS, [[(SECTORS - 1) * 512, 'EFI PART']]);
    const result = await compare(a, b);
    expect(result.identical).toBe(false);
    expect(result.totalDifferences).toBe(1);
  });

  it('name a partition only one of them has', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    const extra = {
      typeGuid: ROOT_X86_64,
      uuid: '11111111-0000-0000-0000-000000000003',
      name: 'extra',
      firstLba: 6144,
      lastLba: 8000,
    };
    disk(b, [...PARTITIONS, extra]);
    const result = await compare(a, b);
    expect(result.identical).toBe(false);
    expect(result.root.children.map((c) => [c.name, c.verdict])).toEqual([
      ['partition table', 'different'],
      ['1 esp', 'identical'],
      ['2 root-x86-64', 'identical'],
      ['3 extra (root-x86-64)', 'only-in-b'],
    ]);
    expect(result.differences.map(brief)).toEqual([
      ['disk.raw', 'partition 3 extra (root-x86-64)', 'added', 'partition only in b'],
    ]);
    const reverse = await compare(b, a);
    expect(reverse.differences.map(brief)).toEqual([
      ['disk.raw', 'partition 3 extra (root-x86-64)', 'removed', 'partition only in a'],
    ]);
    expect(result.root.children[0]!.fields?.map((f) => [f.field, f.hint])).toContainEqual([
      'partition 3',
      undefined,
    ]);
  });

  it('explain a differing partition table field with its known cause', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, [PARTITIONS[0]!, { ...PARTITIONS[1]!, uuid: '11111111-0000-0000-0000-0000000000ff' }]);
    const result = await compare(a, b);
    const table = result.root.children[0]!;
    expect(table.verdict).toBe('different');
    expect(table.fields?.find((f) => f.field === 'partition 2.uuid')?.hint).toMatch(/Seed=/);
    expect(table.fields?.find((f) => f.field === 'header.entriesCrc32')?.hint).toBeUndefined();
  });

  it('whose GPT cannot be read are not readable, never identical', async () => {
    const { a, b } = pair();
    const broken = (g: Buffer): void => void g.writeUInt32LE(0, 512 + 84);
    disk(a, PARTITIONS, [], broken);
    disk(b, PARTITIONS, [[100 * 512, 'x']], broken);
    const result = await compare(a, b);
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({ kind: 'disk', verdict: 'unsupported', reason: 'no readable GPT' });
    expect(result.differences.map(brief)).toEqual([['', 'disk.raw', 'changed', 'no readable GPT']]);
  });

  it('with a partition whose filesystem has no reader: the partition is named, not readable', async () => {
    const { a, b } = pair();
    const btrfs = (at: number): Array<[number, string]> => [[at + 65536 + 64, '_BHRfS_M']];
    disk(a, PARTITIONS, btrfs(4096 * 512));
    disk(b, PARTITIONS, [...btrfs(4096 * 512), [4096 * 512 + 100, 'x']]);
    const result = await compare(a, b);
    expect(result.identical).toBe(false);
    expect(result.root.verdict).toBe('different');
    expect(result.root.children[2]).toMatchObject({
      kind: 'partition',
      name: '2 root-x86-64',
      verdict: 'unsupported',
      detail: 'btrfs',
      reason: 'no reader for btrfs filesystems',
      a: { size: 2048 * 512 },
      b: { size: 2048 * 512 },
    });
    expect(result.root.children[2]!.children).toEqual([]);
    expect(result.differences.map(brief)).toEqual([
      ['disk.raw', 'partition 2 root-x86-64', 'changed', 'no reader for btrfs filesystems'],
    ]);
  });

  it('with a partition whose filesystem type changed', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS, [[2048 * 512, 'hsqs']]);
    disk(b, PARTITIONS, [[2048 * 512, 'XFSB']]);
    const result = await compare(a, b);
    expect(result.root.children[1]).toMatchObject({
      verdict: 'different',
      detail: 'squashfs → xfs',
      reason: 'different filesystem types',
    });
    expect(result.root.children[1]!.children).toEqual([]);
    expect(result.root.children[1]!.kind).toBe('partition');
    expect(result.differences.map(brief)).toEqual([
      ['disk.raw', 'partition 1 esp', 'changed', 'different filesystem types'],
    ]);
  });
});

describe('GPT disks, edge by edge', () => {
  it('give a differing disk no reason of its own, and whole nodes for its levels', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, PARTITIONS, [[2048 * 512 + 10, 'x']]);
    const result = await compare(a, b);
    expect(result.root.verdict).toBe('different');
    expect(result.root.reason).toBeUndefined();
    expect(result.root.children[0]).toEqual({
      kind: 'partition-table',
      name: 'partition table',
      verdict: 'identical',
      fields: [],
      children: [],
    });
    expect(result.root.children[2]).toEqual({
      kind: 'partition',
      name: '2 root-x86-64',
      verdict: 'identical',
      a: { size: 2048 * 512 },
      b: { size: 2048 * 512 },
      children: [],
    });
    expect(result.differences).toEqual([
      {
        location: ['disk.raw'],
        path: 'partition 1 esp',
        change: 'changed',
        fields: ['sha256'],
        reason: 'no reader for unknown filesystems',
      },
    ]);
  });

  it('compare a partition that grew as different even when its first bytes match', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, [PARTITIONS[0]!, { ...PARTITIONS[1]!, lastLba: 7000 }]);
    const result = await compare(a, b);
    expect(result.root.children[2]).toMatchObject({
      verdict: 'unsupported',
      a: { size: 2048 * 512 },
      b: { size: 2905 * 512 },
    });
  });

  it('whose GPT only one side can read are not readable', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, PARTITIONS, [], (g) => void g.writeUInt32LE(0, 512 + 84));
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      expect((await compare(x, y)).root).toEqual({
        kind: 'disk',
        name: 'disk.raw',
        verdict: 'unsupported',
        reason: 'no readable GPT',
        a: { size: SECTORS * 512 },
        b: { size: SECTORS * 512 },
        children: [],
      });
    }
  });

  it('give a partition only one disk has as a whole node', async () => {
    const { a, b } = pair();
    disk(a, PARTITIONS);
    disk(b, [PARTITIONS[0]!]);
    const result = await compare(a, b);
    expect(result.root.children[2]).toEqual({
      kind: 'partition',
      name: '2 root-x86-64',
      verdict: 'only-in-a',
      children: [],
    });
    expect(result.differences[0]).toEqual({
      location: ['disk.raw'],
      path: 'partition 2 root-x86-64',
      change: 'removed',
      fields: [],
      reason: 'partition only in a',
    });
  });
});
