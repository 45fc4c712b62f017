import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import type { ComparisonResult, FileDifference } from '../../../../src/repro/comparison.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { hostToolBox } from '../../../../src/repro/toolbox.js';
import { cpio, tar } from '../../../support/archive-images.js';

/** Archives and initrds whose members, framing or readability differ. */

const runner = new ProcessRunner(() => {}, process.env);

async function compare(name: string, a: Buffer, b: Buffer): Promise<ComparisonResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-archive-'));
  for (const [side, data] of [
    ['a', a],
    ['b', b],
  ] as const) {
    mkdirSync(path.join(tmp, side));
    writeFileSync(path.join(tmp, side, name), data);
  }
  return await compareOutputs(path.join(tmp, 'a', name), path.join(tmp, 'b', name), {
    runner,
    tools: hostToolBox(runner),
    tmpDir: tmp,
  });
}

const brief = (d: FileDifference): [string, string, string, string] => [
  d.location.join(' > '),
  d.path,
  d.change,
  d.reason,
];

const init = (data: string): Buffer =>
  cpio([
    { name: 'init', mode: 0o100755, data },
    { name: 'etc', mode: 0o40755 },
  ]);

describe('tar archives', () => {
  it('narrow to the member that differs', async () => {
    const result = await compare(
      'x.tar',
      tar([
        { name: 'etc/a', data: '1' },
        { name: 'etc/b', data: 'same' },
      ]),
      tar([
        { name: 'etc/a', data: '2' },
        { name: 'etc/b', data: 'same' },
      ]),
    );
    expect(result.root).toMatchObject({
      kind: 'tar',
      verdict: 'different',
      counts: { identical: 1, changed: 1 },
    });
    expect(result.differences.map(brief)).toEqual([['x.tar', '/etc/a', 'changed', 'content']]);
  });

  it('with the same members but other bytes are different all the same', async () => {
    const members = [{ name: 'etc/a', data: '1' }];
    const result = await compare('x.tar', tar(members), Buffer.concat([tar(members), Buffer.alloc(512)]));
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({
      kind: 'tar',
      verdict: 'different',
      reason: 'the bytes differ though every part compared is the same',
    });
    expect(result.differences.map(brief)).toEqual([
      ['', 'x.tar', 'changed', 'the bytes differ though every part compared is the same'],
    ]);
  });
});

describe('initrds', () => {
  it('narrow to the member that differs', async () => {
    const result = await compare('initrd', init('a'), init('b'));
    expect(result.root).toMatchObject({ kind: 'initrd', verdict: 'different', detail: 'cpio (none)' });
    expect(result.differences.map(brief)).toEqual([['initrd', '/init', 'changed', 'content']]);
  });

  it('with the same members in another framing are different, and say so', async () => {
    const result = await compare('initrd', init('a'), Buffer.concat([init('a'), Buffer.alloc(512)]));
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({
      verdict: 'different',
      reason: "all 2 files identical; the archive's framing or compression differs",
      counts: { a: 2, b: 2, identical: 2 },
    });
    expect(result.differences.map(brief)).toEqual([
      ['', 'initrd', 'changed', "all 2 files identical; the archive's framing or compression differs"],
    ]);
  });

  it('that cannot be read at all are not readable, never identical', async () => {
    // bzip2 data: recognized as compressed, but there is no decompressor for it.
    const result = await compare('initrd', Buffer.from('BZh91AY&SYa'), Buffer.from('BZh91AY&SYb'));
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({ verdict: 'unsupported', reason: 'no decompressor for bzip2' });
    expect(result.differences.map(brief)).toEqual([['', 'initrd', 'changed', 'no decompressor for bzip2']]);
  });

  it('read in part keep what they read and say where reading stopped', async () => {
    const garbage = Buffer.from('garbage!');
    const result = await compare(
      'initrd',
      Buffer.concat([init('a'), garbage]),
      Buffer.concat([init('b'), garbage]),
    );
    expect(result.root).toMatchObject({ verdict: 'different', reason: 'no cpio header at offset 512' });
    expect(result.differences.map(brief)).toEqual([['initrd', '/init', 'changed', 'content']]);
  });

  it('with a compressed part are listed through it', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-initrd-'));
    const zst = (data: string): Buffer => {
      writeFileSync(path.join(tmp, 'main.cpio'), init(data));
      execFileSync('zstd', ['-q', '-f', path.join(tmp, 'main.cpio'), '-o', path.join(tmp, 'main.cpio.zst')]);
      return execFileSync('cat', [path.join(tmp, 'main.cpio.zst')]);
    };
    const result = await compare('initrd', zst('a'), zst('b'));
    expect(result.root).toMatchObject({ detail: 'cpio (zstd)' });
    expect(result.differences.map(brief)).toEqual([['initrd', '/init', 'changed', 'content']]);
  });
});

describe('levels whose counts balance out', () => {
  it('are different when one member was added and another changed, or one renamed', async () => {
    const base = [{ name: 'etc/a', data: '1' }];
    const grown = await compare(
      'x.tar',
      tar(base),
      tar([
        { name: 'etc/a', data: '2' },
        { name: 'etc/b', data: 'b' },
      ]),
    );
    expect(grown.root).toMatchObject({ verdict: 'different', counts: { added: 1, changed: 1 } });
    expect(grown.root.reason).toBeUndefined();
    const renamed = await compare('x.tar', tar(base), tar([{ name: 'etc/c', data: '1' }]));
    expect(renamed.root).toMatchObject({ verdict: 'different', counts: { added: 1, removed: 1 } });
    expect(renamed.root.reason).toBeUndefined();
  });

  it('give whole nodes', async () => {
    const result = await compare('x.tar', tar([{ name: 'a', data: '1' }]), tar([{ name: 'a', data: '2' }]));
    expect(result.root).toEqual({
      kind: 'tar',
      name: 'x.tar',
      verdict: 'different',
      counts: { a: 1, b: 1, identical: 0, added: 0, removed: 0, changed: 1 },
      a: { size: 2048 },
      b: { size: 2048 },
      children: [],
    });
    const same = await compare('x.tar', tar([{ name: 'a', data: '1' }]), tar([{ name: 'a', data: '1' }]));
    expect(same.root.kind).toBe('tar');
  });
});

describe('initrds, edge by edge', () => {
  it('are not readable when one side cannot be read at all', async () => {
    const result = await compare('initrd', init('a'), Buffer.from('BZh91AY&SYa'));
    expect(result.root).toMatchObject({ verdict: 'unsupported', reason: 'no decompressor for bzip2' });
    const reverse = await compare('initrd', Buffer.from('BZh91AY&SYa'), init('a'));
    expect(reverse.root).toMatchObject({ verdict: 'unsupported', reason: 'no decompressor for bzip2' });
  });

  it('say where one side stopped reading, and keep what both read', async () => {
    const result = await compare('initrd', init('a'), Buffer.concat([init('b'), Buffer.from('garbage!')]));
    expect(result.root).toMatchObject({ verdict: 'different', reason: 'no cpio header at offset 512' });
    expect(result.differences.map(brief)).toEqual([['initrd', '/init', 'changed', 'content']]);
    const reverse = await compare('initrd', Buffer.concat([init('b'), Buffer.from('garbage!')]), init('a'));
    expect(reverse.root.reason).toBe('no cpio header at offset 512');
  });

  it('give whole nodes, without a reason when members differ', async () => {
    const result = await compare('initrd', init('a'), init('b'));
    expect(result.root).toEqual({
      kind: 'initrd',
      name: 'initrd',
      verdict: 'different',
      detail: 'cpio (none)',
      counts: { a: 2, b: 2, identical: 1, added: 0, removed: 0, changed: 1 },
      a: { size: 512 },
      b: { size: 512 },
      children: [],
    });
  });
});

describe('archives and initrds: ignored fields and framing details', () => {
  async function compareIgnoring(name: string, a: Buffer, b: Buffer): Promise<ComparisonResult> {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-archive-'));
    for (const [side, data] of [
      ['a', a],
      ['b', b],
    ] as const) {
      mkdirSync(path.join(tmp, side));
      writeFileSync(path.join(tmp, side, name), data);
    }
    return await compareOutputs(path.join(tmp, 'a', name), path.join(tmp, 'b', name), {
      runner,
      tools: hostToolBox(runner),
      tmpDir: tmp,
      ignore: ['mtime'],
    });
  }

  it('leave ignored fields out of tar and cpio members', async () => {
    const tarTime = (mtime: string): Buffer => {
      const t = tar([{ name: 'a', data: '1' }]);
      t.write(mtime, 136, 'latin1');
      return t;
    };
    const tarred = await compareIgnoring('x.tar', tarTime('00000001750\0'), tarTime('00000001751\0'));
    expect(tarred.root.reason).toBe('the bytes differ though every part compared is the same');
    const cpioTime = (mtime: number): Buffer => cpio([{ name: 'init', mode: 0o100755, data: 'x', mtime }]);
    const cpioed = await compareIgnoring('initrd', cpioTime(1), cpioTime(2));
    expect(cpioed.root.reason).toBe("all 1 files identical; the archive's framing or compression differs");
  });

  it('name every part of an initrd, and an empty one', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-initrd-'));
    writeFileSync(path.join(tmp, 'main.cpio'), init('a'));
    execFileSync('zstd', ['-q', '-f', path.join(tmp, 'main.cpio'), '-o', path.join(tmp, 'main.cpio.zst')]);
    const zst = execFileSync('cat', [path.join(tmp, 'main.cpio.zst')]);
    const early = (data: string): Buffer =>
      cpio([{ name: 'kernel/x86/microcode/x.bin', mode: 0o100644, data }]);
    const both = await compare('initrd', Buffer.concat([early('1'), zst]), Buffer.concat([early('2'), zst]));
    expect(both.root.detail).toBe('cpio (none + zstd)');
  });
});
