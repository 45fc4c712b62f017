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
