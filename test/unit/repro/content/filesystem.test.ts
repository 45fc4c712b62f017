import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import type { ComparisonResult, FileDifference } from '../../../../src/repro/comparison.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { hostToolBox, type ToolBox } from '../../../../src/repro/toolbox.js';
import { ext4, hasExt4, tree } from '../../../support/disk-images.js';
import { touchAt } from '../../../support/xattr-tools.js';

/** Whole filesystem images: their files narrowed, their metadata explained, their readability honest. */

const runner = new ProcessRunner(() => {}, process.env);

function pair(): { a: string; b: string; tmp: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-fs-'));
  for (const side of ['a', 'b']) mkdirSync(path.join(tmp, side));
  return { a: path.join(tmp, 'a', 'root.img'), b: path.join(tmp, 'b', 'root.img'), tmp };
}

function image(file: string, source: string, uuid: string): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 2 * 1024 * 1024);
  closeSync(fd);
  ext4(file, 0, source, uuid);
}

async function compare(
  a: string,
  b: string,
  tmp: string,
  tools: ToolBox = hostToolBox(runner),
): Promise<ComparisonResult> {
  return await compareOutputs(a, b, { runner, tools, tmpDir: tmp });
}

const brief = (d: FileDifference): [string, string, string, string] => [
  d.location.join(' > '),
  d.path,
  d.change,
  d.reason,
];

describe.skipIf(!hasExt4)('ext4 images (mke2fs, debugfs)', () => {
  it('narrow to the file that differs', async () => {
    const { a, b, tmp } = pair();
    image(a, tree(path.join(tmp, 'sa'), 'one\n'), '11111111-1111-1111-1111-111111111111');
    image(b, tree(path.join(tmp, 'sb'), 'two\n'), '11111111-1111-1111-1111-111111111111');
    const result = await compare(a, b, tmp);
    expect(result.root).toMatchObject({
      kind: 'filesystem',
      verdict: 'different',
      detail: 'ext4 (read with debugfs)',
    });
    expect(result.differences.map(brief)).toEqual([
      ['root.img > ext4', '/etc/hostname', 'changed', 'content'],
    ]);
  });

  it('with the same files explain the metadata that differs', async () => {
    const { a, b, tmp } = pair();
    const source = tree(path.join(tmp, 's'), 'one\n');
    image(a, source, '11111111-1111-1111-1111-111111111111');
    image(b, source, '22222222-2222-2222-2222-222222222222');
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(result.root.fields?.map((f) => [f.field, f.hint !== undefined])).toEqual([
      ['uuid', true],
      ['hash_seed', true],
      ['checksum', false],
    ]);
    expect(result.differences.map(brief)).toEqual([
      [
        '',
        'root.img',
        'changed',
        'all 5 files identical; filesystem metadata differs: uuid, hash_seed, checksum',
      ],
    ]);
  });

  it('that debugfs cannot open are not readable', async () => {
    const { a, b, tmp } = pair();
    // The ext4 magic and nothing else: debugfs finds no filesystem behind it.
    for (const [file, byte] of [
      [a, 1],
      [b, 2],
    ] as const) {
      const head = Buffer.alloc(1024 * 1024);
      head.writeUInt16LE(0xef53, 1024 + 56);
      head[5000] = byte;
      writeFileSync(file, head);
    }
    const result = await compare(a, b, tmp);
    expect(result.identical).toBe(false);
    expect(result.root.verdict).toBe('unsupported');
    expect(result.root.reason).toMatch(/while|bad|error/i);
    expect(result.differences).toHaveLength(1);
  });
});

describe('filesystem images that cannot be read', () => {
  it('are not readable without their tool, never identical', async () => {
    const { a, b, tmp } = pair();
    writeFileSync(a, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 1)]));
    writeFileSync(b, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 2)]));
    const result = await compare(a, b, tmp, { find: async () => undefined });
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({
      kind: 'filesystem',
      verdict: 'unsupported',
      detail: 'squashfs',
      reason: 'unsquashfs is not installed (needed to read squashfs)',
    });
    expect(result.differences.map(brief)).toEqual([
      ['', 'root.img', 'changed', 'unsquashfs is not installed (needed to read squashfs)'],
    ]);
  });

  it('of two types are different', async () => {
    const { a, b, tmp } = pair();
    writeFileSync(a, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192)]));
    writeFileSync(b, Buffer.concat([Buffer.from('XFSB'), Buffer.alloc(8192)]));
    const result = await compare(a, b, tmp);
    expect(result.root).toMatchObject({
      verdict: 'different',
      detail: 'squashfs → xfs',
      reason: 'different filesystem types',
    });
  });

  it('that hold no files (swap) are compared by their bytes', async () => {
    const { a, b, tmp } = pair();
    const swap = (byte: number): Buffer => {
      const buf = Buffer.alloc(8192, byte);
      buf.write('SWAPSPACE2', 4086, 'latin1');
      return buf;
    };
    writeFileSync(a, swap(1));
    writeFileSync(b, swap(2));
    const result = await compare(a, b, tmp);
    expect(result.root).toMatchObject({
      verdict: 'unsupported',
      detail: 'swap',
      reason: 'swap holds no files',
    });
  });
});

describe('filesystem images whose reader cannot be started', () => {
  it('fail the comparison (an error, not a verdict) and leave no extraction behind', async () => {
    const { a, b, tmp } = pair();
    writeFileSync(a, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 1)]));
    writeFileSync(b, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 2)]));
    const extractions = mkdtempSync(path.join(tmp, 'extract-'));
    const missing: ToolBox = {
      find: async () => ({ command: path.join(tmp, 'no-such-unsquashfs'), args: [] }),
    };
    const error = await compareOutputs(a, b, { runner, tools: missing, tmpDir: extractions }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/ENOENT/);
    expect(readdirSync(extractions)).toEqual([]);
  });
});

describe.skipIf(!hasExt4)('ext4 images, edge by edge', () => {
  it('say the layout differs when neither files nor superblock fields do', async () => {
    const { a, b, tmp } = pair();
    const source = tree(path.join(tmp, 's'), 'one\n');
    image(a, source, '11111111-1111-1111-1111-111111111111');
    image(b, source, '11111111-1111-1111-1111-111111111111');
    const fd = openSync(b, 'r+');
    writeSync(fd, Buffer.from('free'), 0, 4, 2 * 1024 * 1024 - 600);
    closeSync(fd);
    const result = await compare(a, b, tmp);
    expect(result.root.fields).toEqual([]);
    expect(result.differences.map(brief)).toEqual([
      ['', 'root.img', 'changed', "all 5 files identical; the filesystem's layout or metadata differs"],
    ]);
  });

  it('are not readable when one side cannot be opened, with that side’s reason', async () => {
    const { a, b, tmp } = pair();
    image(a, tree(path.join(tmp, 's'), 'one\n'), '11111111-1111-1111-1111-111111111111');
    const garbage = Buffer.alloc(2 * 1024 * 1024);
    garbage.writeUInt16LE(0xef53, 1024 + 56);
    writeFileSync(b, garbage);
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const result = await compare(x, y, tmp);
      expect(result.root.verdict).toBe('unsupported');
      expect(result.root.reason).toMatch(/while|bad|error/i);
    }
  });

  it('leave ignored fields out, hand changed files over while extracted, and remove their extractions', async () => {
    const { a, b, tmp } = pair();
    const sa = tree(path.join(tmp, 'sa'), 'one\n');
    const sb = tree(path.join(tmp, 'sb'), 'two\n');
    touchAt(path.join(sb, 'etc/os-release'), '2000');
    image(a, sa, '11111111-1111-1111-1111-111111111111');
    image(b, sb, '11111111-1111-1111-1111-111111111111');
    const extractions = mkdtempSync(path.join(tmp, 'extract-'));
    const seen: string[] = [];
    const result = await compareOutputs(a, b, {
      runner,
      tools: hostToolBox(runner),
      tmpDir: extractions,
      ignore: ['mtime'],
      onDifference: async (d, files) =>
        void seen.push(`${d.path}: ${readFileSync(files.a, 'utf8')} → ${readFileSync(files.b, 'utf8')}`),
    });
    expect(result.differences.map(brief)).toEqual([
      ['root.img > ext4', '/etc/hostname', 'changed', 'content'],
    ]);
    expect(result.root.reason).toBeUndefined();
    expect(seen).toEqual(['/etc/hostname: one\n → two\n']);
    expect(readdirSync(extractions)).toEqual([]);
  });
});

describe('filesystem images of which one side cannot be extracted', () => {
  /** A squashfs reader stand-in: the first call gets a program that "extracts" nothing, the next none. */
  function failingSecond(first: 'works' | 'fails'): ToolBox {
    let calls = 0;
    const works = { command: '/bin/sh', args: ['-c', 'mkdir -p "$7"', 'sh'] };
    return {
      find: async () => {
        const ok = (calls++ === 0) === (first === 'works');
        return ok ? works : { command: '/nonexistent/unsquashfs', args: [] };
      },
    };
  }

  it.each(['works', 'fails'] as const)(
    'fail with the failing side’s error and remove the other side’s extraction (first %s)',
    async (first) => {
      const { a, b, tmp } = pair();
      writeFileSync(a, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 1)]));
      writeFileSync(b, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 2)]));
      const extractions = mkdtempSync(path.join(tmp, 'extract-'));
      const error = await compareOutputs(a, b, {
        runner,
        tools: failingSecond(first),
        tmpDir: extractions,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The failing side's own error: vitest's rejects.toThrow would also pass on a rejection with undefined.
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/ENOENT/);
      expect(readdirSync(extractions)).toEqual([]);
    },
  );
});
