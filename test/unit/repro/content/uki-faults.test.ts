import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import type { ComparisonResult, FileDifference, NarrowOptions } from '../../../../src/repro/comparison.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { hostToolBox } from '../../../../src/repro/toolbox.js';
import { cpio, pe } from '../../../support/archive-images.js';

/** Unified kernel images that differ in their headers, their sections or their readability. */

const runner = new ProcessRunner(() => {}, process.env);

async function compare(a: Buffer, b: Buffer, extra: Partial<NarrowOptions> = {}): Promise<ComparisonResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repro-uki-'));
  for (const [side, data] of [
    ['a', a],
    ['b', b],
  ] as const) {
    mkdirSync(path.join(tmp, side));
    writeFileSync(path.join(tmp, side, 'uki.efi'), data);
  }
  return await compareOutputs(path.join(tmp, 'a', 'uki.efi'), path.join(tmp, 'b', 'uki.efi'), {
    runner,
    tools: hostToolBox(runner),
    tmpDir: tmp,
    ...extra,
  });
}

const brief = (d: FileDifference): [string, string, string, string] => [
  d.location.join(' > '),
  d.path,
  d.change,
  d.reason,
];

const initrd = (init: string, pad = 0): Buffer =>
  Buffer.concat([
    cpio([
      { name: 'init', mode: 0o100755, data: init },
      { name: 'etc', mode: 0o40755 },
    ]),
    Buffer.alloc(pad),
  ]);

const sections = (cmdline = 'quiet', init = initrd('a')): Array<[string, Buffer]> => [
  ['.osrel', Buffer.from('ID=test\n')],
  ['.cmdline', Buffer.from(cmdline)],
  ['.initrd', init],
];

describe('UKIs with planted faults', () => {
  it('differing only in the link time stamp name the headers and the field', async () => {
    const b = pe(sections());
    b.writeUInt32LE(5678, 0x80 + 8);
    const result = await compare(pe(sections()), b);
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({ kind: 'uki', verdict: 'different', detail: 'PE PE32+, 3 sections' });
    expect(result.root.fields).toEqual([
      { field: 'timestamp', a: 1234, b: 5678, hint: 'PE link time stamp' },
    ]);
    expect(result.differences.map(brief)).toEqual([['uki.efi', '(headers)', 'changed', 'content']]);
  });

  it('name a section only one has, and a section whose size changed', async () => {
    const a = pe([...sections('quiet'), ['.uname', Buffer.from('6.1\n')]]);
    const b = pe(sections('quiet splash'));
    const result = await compare(a, b);
    expect(result.root.fields?.map((f) => f.field)).toContain('.cmdline size');
    expect(result.differences.map(brief)).toEqual([
      ['uki.efi', '(headers)', 'changed', 'content, size 1024 → 512'],
      ['uki.efi', '.cmdline', 'changed', 'line 1: "quiet" → "quiet splash"'],
      ['uki.efi', '.uname', 'removed', 'section only in a'],
    ]);
    const reverse = await compare(b, a);
    expect(reverse.differences.map(brief)).toContainEqual([
      'uki.efi',
      '.uname',
      'added',
      'section only in b',
    ]);
  });

  it('stop at maxDepth: the .initrd section is one difference, not narrowed', async () => {
    const result = await compare(pe(sections('q', initrd('a'))), pe(sections('q', initrd('b'))), {
      maxDepth: 0,
    });
    expect(result.differences.map(brief)).toEqual([['uki.efi', '.initrd', 'changed', 'content']]);
    expect(result.root.children.map((c) => [c.kind, c.name, c.verdict])).toEqual([
      ['section', '.initrd', 'different'],
    ]);
  });

  it('name the .initrd section itself when its files are the same and its framing is not', async () => {
    const a = pe(sections('q', initrd('a')));
    const b = pe(sections('q', initrd('a', 4)));
    const result = await compare(a, b);
    expect(result.differences.map(brief)).toContainEqual([
      'uki.efi',
      '.initrd',
      'changed',
      "all 2 files identical; the archive's framing or compression differs",
    ]);
    const section = result.root.children.find((c) => c.name === '.initrd')!;
    expect(section).toMatchObject({ kind: 'section', verdict: 'different' });
    expect(section.a?.size).not.toBe(section.b?.size);
  });

  it('whose headers cannot be read are not readable, never identical', async () => {
    const broken = (byte: number): Buffer => {
      const head = Buffer.alloc(80, byte);
      head.write('MZ', 0, 'latin1');
      head.writeUInt32LE(64, 0x3c);
      head.write('PE\0\0', 64, 'latin1');
      return head.subarray(0, 70);
    };
    const result = await compare(broken(1), broken(2));
    expect(result.identical).toBe(false);
    expect(result.root).toMatchObject({
      kind: 'uki',
      verdict: 'unsupported',
      reason: 'unreadable PE headers',
    });
    expect(result.differences.map(brief)).toEqual([['', 'uki.efi', 'changed', 'unreadable PE headers']]);
  });
});

describe('UKIs, edge by edge', () => {
  it('whose sections and headers are all the same but whose bytes are not are different, and say so', async () => {
    const a = pe(sections());
    const b = Buffer.from(a);
    // The alignment padding after .osrel's 8 bytes belongs to no section.
    const osrel = b.indexOf('ID=test\n');
    b[osrel + 100] = 1;
    const result = await compare(a, b);
    expect(result.root).toMatchObject({
      kind: 'uki',
      verdict: 'different',
      reason: 'the bytes differ though every part compared is the same',
      fields: [],
    });
  });

  it('quote long lines cut short, and call equal texts with other bytes content', async () => {
    const long = (c: string): string => `${'x'.repeat(90)}${c}`;
    const result = await compare(pe(sections(long('a'))), pe(sections(long('b'))));
    const cut = `"${'x'.repeat(77)}…"`;
    expect(result.differences.map((d) => d.reason)).toEqual([`line 1: ${cut} → ${cut}`]);
    const nul = await compare(pe(sections('quiet')), pe(sections('quiet\0')));
    expect(nul.differences.map((d) => [d.path, d.reason])).toContainEqual(['.cmdline', 'content']);
  });

  it('describe a text section too long to quote by its change', async () => {
    const result = await compare(pe(sections('q'.repeat(70_000))), pe(sections('r'.repeat(70_000))));
    expect(result.differences.map((d) => [d.path, d.reason])).toEqual([['.cmdline', 'content']]);
    const oneSide = await compare(pe(sections('q'.repeat(70_000))), pe(sections('q'.repeat(65_000))));
    expect(oneSide.differences.map((d) => [d.path, d.reason])).toContainEqual([
      '.cmdline',
      'content, size 70000 → 65000',
    ]);
  });

  it('give whole nodes and differences for sections', async () => {
    const result = await compare(pe(sections('a')), pe(sections('b')));
    const node = result.root.children[0]!;
    expect(node).toEqual({
      kind: 'section',
      name: '.cmdline',
      verdict: 'different',
      reason: 'line 1: "a" → "b"',
      a: { size: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      b: { size: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      children: [],
    });
    expect(node.a?.sha256).not.toBe(node.b?.sha256);
    const only = await compare(pe([...sections(), ['.uname', Buffer.from('6\n')]]), pe(sections()));
    expect(only.differences.find((d) => d.path === '.uname')).toMatchObject({
      change: 'removed',
      fields: [],
    });
    const added = await compare(pe(sections()), pe([...sections(), ['.uname', Buffer.from('6\n')]]));
    expect(added.differences.find((d) => d.path === '.uname')).toMatchObject({ change: 'added', fields: [] });
  });

  it('leave ignored fields out of the sections', async () => {
    const result = await compare(pe(sections('quiet')), pe(sections('quiet splash')), { ignore: ['size'] });
    expect(result.differences.map((d) => [d.path, d.fields])).toContainEqual(['.cmdline', ['sha256']]);
  });

  it('are not readable when one side’s headers cannot be read', async () => {
    const broken = Buffer.alloc(70);
    broken.write('MZ', 0, 'latin1');
    broken.writeUInt32LE(64, 0x3c);
    broken.write('PE\0\0', 64, 'latin1');
    for (const [x, y] of [
      [pe(sections()), broken],
      [broken, pe(sections())],
    ] as const) {
      const result = await compare(x, y);
      expect(result.root).toMatchObject({
        verdict: 'unsupported',
        reason: 'unreadable PE headers',
        children: [],
      });
    }
  });
});

describe('UKIs, the last edges', () => {
  it('give a differing UKI no reason of its own', async () => {
    const result = await compare(pe(sections('a')), pe(sections('b')));
    expect(result.root.verdict).toBe('different');
    expect(result.root.reason).toBeUndefined();
  });

  it('quote a line of exactly 80 characters whole', async () => {
    const line = (c: string): string => `${'x'.repeat(79)}${c}`;
    const result = await compare(pe(sections(line('a'))), pe(sections(line('b'))));
    expect(result.differences.map((d) => d.reason)).toEqual([`line 1: "${line('a')}" → "${line('b')}"`]);
  });

  it('describe a text section that is short on one side only by its change', async () => {
    const result = await compare(pe(sections('q'.repeat(70_000))), pe(sections('q'.repeat(60_000))));
    expect(result.differences.map((d) => [d.path, d.reason])).toContainEqual([
      '.cmdline',
      'content, size 70000 → 60000',
    ]);
    const reverse = await compare(pe(sections('q'.repeat(60_000))), pe(sections('q'.repeat(70_000))));
    expect(reverse.differences.map((d) => [d.path, d.reason])).toContainEqual([
      '.cmdline',
      'content, size 60000 → 70000',
    ]);
  });

  it('name an .initrd section that holds no archive at all', async () => {
    const result = await compare(pe(sections('q', Buffer.alloc(100))), pe(sections('q', Buffer.alloc(600))));
    const section = result.root.children.find((c) => c.name === '.initrd')!;
    expect(section).toMatchObject({
      verdict: 'different',
      detail: 'cpio (empty)',
      reason: "all 0 files identical; the archive's framing or compression differs",
    });
  });
});
