import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/process/runner.js';
import type { FileDifference, NarrowOptions } from '../../../src/repro/comparison.js';
import { compareOutputs } from '../../../src/repro/narrow.js';
import { cpio, pe, tar } from '../../support/archive-images.js';
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

describe('the narrowing driver, edge by edge', () => {
  it('names a file only one tree has, with its known cause', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'etc/gone': 'x', 'etc/same': 's' });
    const b = files(path.join(tmp, 'b'), { 'var/log/new.log': 'y', 'etc/same': 's' });
    for (const dir of [a, b])
      for (const p of ['etc', 'var/log', 'var', '.'])
        if (existsSync(path.join(dir, p))) touchAt(path.join(dir, p), '1000');
    const result = await compareOutputs(a, b, options(tmp));
    expect(result.differences).toEqual([
      {
        location: [],
        path: '/etc/gone',
        change: 'removed',
        fields: [],
        reason: 'only in a',
        hint: undefined,
        a: expect.objectContaining({ path: '/etc/gone', type: 'file' }),
      },
      {
        location: [],
        path: '/var',
        change: 'added',
        fields: [],
        reason: 'only in b',
        hint: undefined,
        b: expect.objectContaining({ path: '/var' }),
      },
      {
        location: [],
        path: '/var/log',
        change: 'added',
        fields: [],
        reason: 'only in b',
        hint: undefined,
        b: expect.objectContaining({ path: '/var/log' }),
      },
      {
        location: [],
        path: '/var/log/new.log',
        change: 'added',
        fields: [],
        reason: 'only in b',
        hint: 'log written during the build: RemoveFiles= it',
        b: expect.objectContaining({ path: '/var/log/new.log' }),
      },
    ]);
    expect(result.timestampOnly).toBe(0);
  });

  it('ranks a change of content and time as content, not as a timestamp', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'etc/x': '1' });
    const b = files(path.join(tmp, 'b'), { 'etc/x': '2' });
    touchAt(path.join(b, 'etc/x'), '2000');
    for (const dir of [a, b]) for (const p of ['etc', '.']) touchAt(path.join(dir, p), '1000');
    const result = await compareOutputs(a, b, options(tmp));
    expect(result.differences.map((d) => [d.path, d.fields])).toEqual([['/etc/x', ['sha256', 'mtime']]]);
    expect(result.timestampOnly).toBe(0);
  });

  it('looks into changed regular files only, not into a file that became a link', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { x: 'content', y: 'other' });
    const b = files(path.join(tmp, 'b'), { y: 'other2' });
    symlinkSync('y', path.join(b, 'x'));
    const seen: string[] = [];
    await compareOutputs(a, b, options(tmp, { onDifference: async (d) => void seen.push(d.path) }));
    expect(seen).toEqual(['/y']);
  });

  it('compares a symlink and a regular file as different, even with the same content behind them', async () => {
    const tmp = scratch();
    files(tmp, { 'a/target': 'same', 'b/link': 'same' });
    symlinkSync('target', path.join(tmp, 'a', 'link'));
    const result = await compareOutputs(
      path.join(tmp, 'a', 'link'),
      path.join(tmp, 'b', 'link'),
      options(tmp),
    );
    expect(result.identical).toBe(false);
    expect(result.root).toEqual({
      kind: 'file',
      name: 'link',
      verdict: 'different',
      reason: 'link target → (not a link)',
      children: [],
    });
  });

  it('records a whole differing file once, as content, with its node', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'x.bin': 'abc' });
    const b = files(path.join(tmp, 'b'), { 'x.bin': 'abd' });
    const result = await compareOutputs(path.join(a, 'x.bin'), path.join(b, 'x.bin'), options(tmp));
    expect(result.differences).toEqual([
      {
        location: [],
        path: 'x.bin',
        change: 'changed',
        fields: ['sha256'],
        reason: 'content differs (3 and 3 bytes)',
      },
    ]);
    expect(result.root).toEqual({
      kind: 'file',
      name: 'x.bin',
      verdict: 'different',
      reason: 'content differs',
      a: { size: 3 },
      b: { size: 3 },
      children: [],
    });
    const same = await compareOutputs(path.join(a, 'x.bin'), path.join(a, 'x.bin'), options(tmp));
    expect(same.root).toEqual({
      kind: 'file',
      name: 'x.bin',
      verdict: 'identical',
      a: { size: 3 },
      b: { size: 3 },
      children: [],
    });
  });

  it('gives the whole nodes of a one-sided output and of a directory against a file', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'image/etc/x': 'x', f: 'x' });
    const missing = path.join(tmp, 'b', 'f');
    expect((await compareOutputs(path.join(a, 'f'), missing, options(tmp))).root).toEqual({
      kind: 'file',
      name: 'f',
      verdict: 'only-in-a',
      reason: `${missing} does not exist`,
      children: [],
    });
    const mixed = await compareOutputs(path.join(a, 'image'), path.join(a, 'f'), options(tmp));
    expect(mixed.root).toEqual({
      kind: 'file',
      name: 'image ↔ f',
      verdict: 'different',
      reason: 'one is a directory, the other a file',
      children: [],
    });
    expect(mixed.differences).toEqual([
      {
        location: [],
        path: 'image ↔ f',
        change: 'changed',
        fields: ['type'],
        reason: 'a directory and a file',
      },
    ]);
  });

  it('counts containers from the output down: a UKI in a directory is narrowed to its .initrd at maxDepth 2, not 1', async () => {
    const tmp = scratch();
    const uki = (init: string): Buffer =>
      pe([['.initrd', cpio([{ name: 'init', mode: 0o100755, data: init }])]]);
    const a = files(path.join(tmp, 'a'), { 'uki.efi': uki('a') });
    const b = files(path.join(tmp, 'b'), { 'uki.efi': uki('b') });
    const one = await compareOutputs(a, b, options(tmp, { maxDepth: 1 }));
    expect(one.differences.map((d) => [d.location.join(' > '), d.path])).toEqual([
      ['', '/uki.efi'],
      ['/uki.efi', '.initrd'],
    ]);
    const two = await compareOutputs(a, b, options(tmp, { maxDepth: 2 }));
    expect(two.differences.map((d) => [d.location.join(' > '), d.path])).toEqual([
      ['', '/uki.efi'],
      ['/uki.efi > .initrd', '/init'],
    ]);
  });

  it('adds no difference of its own for a nested file whose parts are all the same', async () => {
    const tmp = scratch();
    const members = [{ name: 'etc/a', data: '1' }];
    const a = files(path.join(tmp, 'a'), { 'x.tar': tar(members) });
    const b = files(path.join(tmp, 'b'), { 'x.tar': Buffer.concat([tar(members), Buffer.alloc(512)]) });
    const result = await compareOutputs(a, b, options(tmp));
    expect(result.differences.map((d) => [d.location.join(' > '), d.path, d.reason])).toEqual([
      ['', '/x.tar', 'content, size 2048 → 2560'],
    ]);
    expect(result.root.children).toEqual([
      expect.objectContaining({
        kind: 'tar',
        verdict: 'different',
        reason: 'the bytes differ though every part compared is the same',
      }),
    ]);
  });
});

describe('the narrowing driver, the last edges', () => {
  it('keeps the kind of identical files in their node', async () => {
    const tmp = scratch();
    const gpt = Buffer.alloc(1024);
    gpt.write('EFI PART', 512, 'latin1');
    const squashfs = Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(100)]);
    const kinds: Array<[string, Buffer]> = [
      ['disk', gpt],
      ['uki', pe([['.osrel', Buffer.from('ID=x\n')]])],
      ['initrd', cpio([{ name: 'init', mode: 0o100755, data: 'x' }])],
      ['tar', tar([{ name: 'x', data: 'x' }])],
      ['filesystem', squashfs],
      ['file', Buffer.from('blob')],
    ];
    for (const [kind, data] of kinds) {
      const f = files(tmp, { [kind]: data });
      const result = await compareOutputs(path.join(f, kind), path.join(f, kind), options(tmp));
      expect(result.root.kind, kind).toBe(kind);
    }
  });

  it('says which side is no link', async () => {
    const tmp = scratch();
    files(tmp, { 'a/target': 'same', 'b/link': 'same' });
    symlinkSync('target', path.join(tmp, 'a', 'link'));
    const result = await compareOutputs(
      path.join(tmp, 'b', 'link'),
      path.join(tmp, 'a', 'link'),
      options(tmp),
    );
    expect(result.root.reason).toBe('link (not a link) → target');
  });

  it('gives the whole node of two kinds', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { 'out.tar': tar([{ name: 'x', data: 'x' }]) });
    const b = files(path.join(tmp, 'b'), { 'out.tar': 'not a tar' });
    const result = await compareOutputs(path.join(a, 'out.tar'), path.join(b, 'out.tar'), options(tmp));
    expect(result.root).toEqual({
      kind: 'file',
      name: 'out.tar',
      verdict: 'different',
      a: { size: 2048 },
      b: { size: 9 },
      reason: 'a is tar, b is blob',
      children: [],
    });
  });

  it('does not look into a link that became a file', async () => {
    const tmp = scratch();
    const a = files(path.join(tmp, 'a'), { y: 'other' });
    const b = files(path.join(tmp, 'b'), { x: 'content', y: 'other2' });
    symlinkSync('y', path.join(a, 'x'));
    const seen: string[] = [];
    await compareOutputs(a, b, options(tmp, { onDifference: async (d) => void seen.push(d.path) }));
    expect(seen).toEqual(['/y']);
  });

  it('times the comparison', async () => {
    const tmp = scratch();
    const a = files(tmp, { x: 'x' });
    const result = await compareOutputs(path.join(a, 'x'), path.join(a, 'x'), options(tmp));
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(60_000);
  });
});
