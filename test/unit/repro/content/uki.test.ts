import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import { textDifference } from '../../../../src/repro/content/uki.js';
import { compareOutputs } from '../../../../src/repro/narrow.js';
import { hostToolBox } from '../../../../src/repro/toolbox.js';
import { cpio, pe } from '../../../support/archive-images.js';

const runner = new ProcessRunner(() => {}, process.env);

const ctx = () => ({
  runner,
  tools: hostToolBox(runner),
  tmpDir: mkdtempSync(path.join(os.tmpdir(), 'repro-uki-')),
});

describe('UKI', () => {
  const sections = (cmdline: string, init: string): Array<[string, Buffer]> => [
    ['.osrel', Buffer.from('ID=test\n')],
    ['.cmdline', Buffer.from(cmdline)],
    ['.linux', Buffer.alloc(3000, 7)],
    [
      '.initrd',
      cpio([
        { name: 'init', mode: 0o100755, data: init },
        { name: 'etc', mode: 0o40755 },
      ]),
    ],
  ];

  it('narrows two UKIs to the section and the initrd file that differ', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-pe-'));
    writeFileSync(path.join(dir, 'a.efi'), pe(sections('console=ttyS0', 'a')));
    writeFileSync(path.join(dir, 'b.efi'), pe(sections('console=ttyS1', 'b')));
    const result = await compareOutputs(path.join(dir, 'a.efi'), path.join(dir, 'b.efi'), ctx());
    expect(result.identical).toBe(false);
    expect(result.differences.map((d) => [d.location.join(' > '), d.path, d.reason])).toEqual([
      ['a.efi ↔ b.efi', '.cmdline', 'line 1: "console=ttyS0" → "console=ttyS1"'],
      ['a.efi ↔ b.efi > .initrd', '/init', 'content'],
    ]);
    expect(result.root.kind).toBe('uki');
    expect(result.root.children.map((c) => [c.name, c.verdict])).toEqual([
      ['.cmdline', 'different'],
      ['.initrd', 'different'],
    ]);
    const same = await compareOutputs(path.join(dir, 'a.efi'), path.join(dir, 'a.efi'), ctx());
    expect(same.identical).toBe(true);
    expect(same.differences).toEqual([]);
  });

  it('quotes the first differing line of short texts', () => {
    expect(textDifference('a\nb\n', 'a\nc\n')).toBe('line 2: "b" → "c"');
    expect(textDifference('a', 'a\nmore')).toBe('line 2: (none) → "more"');
  });
});
