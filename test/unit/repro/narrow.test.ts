import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/process/runner.js';
import type { FileDifference, NarrowOptions } from '../../../src/repro/comparison.js';
import { compareOutputs } from '../../../src/repro/narrow.js';
import { tar } from '../../support/archive-images.js';
import { touchAt, xattrToolBox } from '../../support/xattr-tools.js';

const runner = new ProcessRunner(() => {}, process.env);

function scratch(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'repro-narrow-'));
}

function options(tmpDir: string, extra: Partial<NarrowOptions> = {}): NarrowOptions {
  return { runner, tools: xattrToolBox(runner), tmpDir, ...extra };
}

/** Writes files (path → content) under dir, every mtime 1000. */
function files(dir: string, content: Record<string, string | Buffer>): string {
  for (const [p, data] of Object.entries(content)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), data);
    touchAt(path.join(dir, p), '1000');
  }
  return dir;
}

const brief = (d: FileDifference): [string, string, string, string] => [
  d.location.join(' > '),
  d.path,
  d.change,
  d.reason,
];

describe('an output only one build made', () => {
  it('is a difference, never identical, whichever side has it', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'image.initrd': 'x' });
    const missing = path.join(tmp, 'b', 'image.initrd');
    const onlyA = await compareOutputs(path.join(a, 'image.initrd'), missing, options(tmp));
    expect(onlyA.identical).toBe(false);
    expect(onlyA.root.verdict).toBe('only-in-a');
    expect(onlyA.differences.map(brief)).toEqual([
      ['', 'image.initrd', 'removed', `${missing} does not exist`],
    ]);
    expect(onlyA.totalDifferences).toBe(1);
    const onlyB = await compareOutputs(missing, path.join(a, 'image.initrd'), options(tmp));
    expect(onlyB.root.verdict).toBe('only-in-b');
    expect(onlyB.differences.map(brief)).toEqual([
      ['', 'image.initrd', 'added', `${missing} does not exist`],
    ]);
  });
});

describe('two files', () => {
  it('are identical when their bytes are, different when not, named by content size', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'x.bin': 'abc' });
    const b = files(path.join(tmp, 'b'), { 'x.bin': 'abcd' });
    const same = await compareOutputs(path.join(a, 'x.bin'), path.join(a, 'x.bin'), options(tmp));
    expect(same).toMatchObject({ identical: true, totalDifferences: 0, differences: [], truncated: false });
    expect(same.root).toMatchObject({ kind: 'file', verdict: 'identical', a: { size: 3 }, b: { size: 3 } });
    const other = await compareOutputs(path.join(a, 'x.bin'), path.join(b, 'x.bin'), options(tmp));
    expect(other.identical).toBe(false);
    expect(other.root).toMatchObject({
      verdict: 'different',
      reason: 'content differs',
      a: { size: 3 },
      b: { size: 4 },
    });
    expect(other.differences.map(brief)).toEqual([
      ['', 'x.bin', 'changed', 'content differs (3 and 4 bytes)'],
    ]);
    expect(other.differences[0]!.fields).toEqual(['sha256']);
  });

  it('of the same size that differ in their last byte only are different', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { f: Buffer.alloc(5 * 1024 * 1024, 1) });
    const last = Buffer.alloc(5 * 1024 * 1024, 1);
    last[last.length - 1] = 2;
    const b = files(path.join(tmp, 'b'), { f: last });
    expect((await compareOutputs(path.join(a, 'f'), path.join(b, 'f'), options(tmp))).identical).toBe(false);
  });

  it('of different kinds are different, named by their kinds', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'out.tar': tar([{ name: 'x', data: 'x' }]) });
    const b = files(path.join(tmp, 'b'), { 'out.tar': 'not a tar' });
    const result = await compareOutputs(path.join(a, 'out.tar'), path.join(b, 'out.tar'), options(tmp));
    expect(result.root).toMatchObject({ kind: 'file', verdict: 'different', reason: 'a is tar, b is blob' });
    expect(result.differences.map(brief)).toEqual([['', 'out.tar', 'changed', 'tar → blob']]);
  });

  it('named differently are named by both', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { one: 'x' });
    const b = files(path.join(tmp, 'b'), { two: 'x' });
    const result = await compareOutputs(path.join(a, 'one'), path.join(b, 'two'), options(tmp));
    expect(result.root.name).toBe('one ↔ two');
    expect(result.identical).toBe(true);
  });

  it('that are symlinks compare their targets', async () => {
    const tmp = scratch();
    files(tmp, { 'target-1': 'x', 'target-2': 'x' });
    symlinkSync('target-1', path.join(tmp, 'l1'));
    symlinkSync('target-1', path.join(tmp, 'l2'));
    symlinkSync('target-2', path.join(tmp, 'l3'));
    const same = await compareOutputs(path.join(tmp, 'l1'), path.join(tmp, 'l2'), options(tmp));
    expect(same.root).toMatchObject({ verdict: 'identical' });
    expect(same.root.reason).toBeUndefined();
    const other = await compareOutputs(path.join(tmp, 'l1'), path.join(tmp, 'l3'), options(tmp));
    expect(other.identical).toBe(false);
    expect(other.root).toMatchObject({ verdict: 'different', reason: 'link target-1 → target-2' });
    expect(other.differences.map(brief)).toEqual([['', 'l1 ↔ l3', 'changed', 'link target-1 → target-2']]);
  });

  it('a directory and a file are different', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'image/etc/hostname': 'x' });
    const b = files(path.join(tmp, 'b'), { image: 'x' });
    const result = await compareOutputs(path.join(a, 'image'), path.join(b, 'image'), options(tmp));
    expect(result.root).toMatchObject({
      verdict: 'different',
      reason: 'one is a directory, the other a file',
    });
    expect(result.differences.map(brief)).toEqual([['', 'image', 'changed', 'a directory and a file']]);
    expect(result.differences[0]!.fields).toEqual(['type']);
  });
});

describe('the differences kept', () => {
  /** Two output directories: three files differ in content, two only in a nested mtime. */
  function outputs(): { a: string; b: string; tmp: string } {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { c1: '1', c2: '2', c3: '3', 'd/t1': 't', 'd/t2': 't' });
    const b = files(path.join(tmp, 'b'), { c1: 'x', c2: 'y', c3: 'z', 'd/t1': 't', 'd/t2': 't' });
    touchAt(path.join(b, 'd/t1'), '2000');
    touchAt(path.join(b, 'd/t2'), '2000');
    for (const dir of [a, b]) touchAt(path.join(dir, 'd'), '1000');
    return { a, b, tmp };
  }

  it('puts content before timestamps and counts past maxFiles', async () => {
    const { a, b, tmp } = outputs();
    const two = await compareOutputs(a, b, options(tmp, { maxFiles: 2 }));
    expect(two.differences.map((d) => d.path)).toEqual(['/c1', '/c2']);
    expect(two).toMatchObject({ totalDifferences: 5, timestampOnly: 2, truncated: true });
    const four = await compareOutputs(a, b, options(tmp, { maxFiles: 4 }));
    expect(four.differences.map((d) => d.path)).toEqual(['/c1', '/c2', '/c3', '/d/t1']);
    const all = await compareOutputs(a, b, options(tmp));
    expect(all.differences.map((d) => d.path)).toEqual(['/c1', '/c2', '/c3', '/d/t1', '/d/t2']);
    expect(all).toMatchObject({ totalDifferences: 5, timestampOnly: 2, truncated: false });
    expect(all.differences[3]!.hint).toBe('timestamp only: pin SourceDateEpoch=');
  });

  it('leaves ignored fields out', async () => {
    const { a, b, tmp } = outputs();
    const result = await compareOutputs(a, b, options(tmp, { ignore: ['mtime'] }));
    expect(result.differences.map((d) => d.path)).toEqual(['/c1', '/c2', '/c3']);
    expect(result.timestampOnly).toBe(0);
  });

  it('hands each kept changed file to onDifference while both versions exist', async () => {
    const { a, b, tmp } = outputs();
    const seen: Array<[string, string, string]> = [];
    await compareOutputs(
      a,
      b,
      options(tmp, {
        maxFiles: 2,
        onDifference: async (d, f) => {
          seen.push([d.path, path.relative(tmp, f.a), path.relative(tmp, f.b)]);
        },
      }),
    );
    expect(seen).toEqual([
      ['/c1', 'a/c1', 'b/c1'],
      ['/c2', 'a/c2', 'b/c2'],
    ]);
  });

  it('narrows a changed archive inside a directory, down to maxDepth', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'x.tar': tar([{ name: 'etc/a', data: '1' }]) });
    const b = files(path.join(tmp, 'b'), { 'x.tar': tar([{ name: 'etc/a', data: '2' }]) });
    const deep = await compareOutputs(a, b, options(tmp));
    expect(deep.differences.map(brief)).toEqual([
      ['', '/x.tar', 'changed', 'content'],
      ['/x.tar', '/etc/a', 'changed', 'content'],
    ]);
    expect(deep.differences[0]!.narrowed).toBe(true);
    expect(deep.root.children.map((c) => [c.kind, c.name, c.verdict])).toEqual([
      ['tar', '/x.tar', 'different'],
    ]);
    const shallow = await compareOutputs(a, b, options(tmp, { maxDepth: 0 }));
    expect(shallow.differences.map((d) => d.path)).toEqual(['/x.tar']);
    expect(shallow.differences[0]!.narrowed).toBeUndefined();
    expect(shallow.root.children).toEqual([]);
  });

  it('does not narrow a changed file whose two versions are of different kinds, or blobs', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'x.tar': tar([{ name: 'etc/a', data: '1' }]), blob: '1' });
    const b = files(path.join(tmp, 'b'), { 'x.tar': 'no longer a tar', blob: '2' });
    const result = await compareOutputs(a, b, options(tmp));
    expect(result.differences.map((d) => [d.path, d.narrowed])).toEqual([
      ['/blob', undefined],
      ['/x.tar', undefined],
    ]);
    expect(result.root.children).toEqual([]);
  });
});
