import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/process/runner.js';
import {
  addExtractedXattrs,
  parseGetfattrDump,
  unescapeGetfattr,
} from '../../../src/repro/extracted-xattrs.js';
import type { ManifestEntry } from '../../../src/repro/manifest.js';
import { hostToolBox, type ToolBox } from '../../../src/repro/toolbox.js';

const runner = new ProcessRunner(() => {}, process.env);

describe("getfattr's dump of an extracted tree", () => {
  const dump = [
    '# file: /x/root',
    'security.selinux=0x73797374656d5f753a00',
    '',
    '# file: /x/root/usr',
    'user.overlay.origin=0x00fb1d00',
    'user.overlay.impure=0x79',
    '',
    '# file: /x/root/new\\012line\\134name',
    'user.empty',
    '',
    '# file: /x/rootless/outside',
    'user.t=0x31',
    '',
    '# file: /x/root/no-attributes',
    '',
  ].join('\n');

  it('gives the xattrs per manifest path, the root as /, names unescaped, empty values kept', () => {
    expect([...parseGetfattrDump(dump, '/x/root')]).toEqual([
      ['/', { 'security.selinux': '0x73797374656d5f753a00' }],
      ['/usr', { 'user.overlay.origin': '0x00fb1d00', 'user.overlay.impure': '0x79' }],
      ['/new\nline\\name', { 'user.empty': '' }],
    ]);
  });

  it('reads nothing from a dump without files', () => {
    expect(parseGetfattrDump('', '/x/root').size).toBe(0);
  });

  it('turns octal escapes back into their characters and leaves the rest alone', () => {
    expect(unescapeGetfattr('a\\011b\\134c\\9d=é')).toBe('a\tb\\c\\9d=é');
  });
});

describe('xattrs of an extracted tree, read with the real getfattr', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'extracted-xattrs-'));
  mkdirSync(path.join(root, 'usr'));
  writeFileSync(path.join(root, 'usr/plain'), '');
  execFileSync('setfattr', ['-n', 'user.overlay.origin', '-v', 'abc', path.join(root, 'usr')]);
  const entries = (): ManifestEntry[] => [
    { path: '/', type: 'directory' },
    { path: '/usr', type: 'directory' },
    { path: '/usr/plain', type: 'file' },
  ];
  const ctx = (tools: ToolBox) => ({ runner, tools, tmpDir: root });

  it('puts them into the entries that have them, and says it read them', async () => {
    const read = entries();
    expect(await addExtractedXattrs(ctx(hostToolBox(runner)), root, read)).toBe(true);
    expect(read.map((e) => e.xattrs)).toEqual([undefined, { 'user.overlay.origin': '0x616263' }, undefined]);
  });

  it('says it could not when getfattr is missing or fails, and leaves the entries alone', async () => {
    const missing: ToolBox = { find: () => Promise.resolve(undefined) };
    const failing: ToolBox = { find: () => Promise.resolve({ command: 'false', args: [] }) };
    for (const tools of [missing, failing]) {
      const read = entries();
      expect(await addExtractedXattrs(ctx(tools), root, read)).toBe(false);
      expect(read.every((e) => e.xattrs === undefined)).toBe(true);
    }
  });
});
