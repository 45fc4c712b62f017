import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/process/runner.js';
import { parseGetfattrDump, readXattrs, unescapeGetfattr } from '../../../src/repro/xattrs.js';
import { setfattr, xattrToolBox } from '../../support/xattr-tools.js';

const runner = new ProcessRunner(() => {}, process.env);

describe('getfattr dumps', () => {
  it('parses paths (escaped, "." as the root) and hex values, empty values included', () => {
    const dump = [
      '# file: .',
      'user.root=0x31',
      '',
      '# file: etc/we ird\\012name\\134x',
      'security.capability=0x0100000200200000000000000000000000000000',
      'user.empty=0x',
      'user.a=b=0x32',
      '',
      '# file: usr/\\303\\251t\\303\\251',
      'user.noequals',
      '',
    ].join('\n');
    expect([...parseGetfattrDump(dump)]).toEqual([
      ['/', { 'user.root': '0x31' }],
      [
        '/etc/we ird\nname\\x',
        {
          'security.capability': '0x0100000200200000000000000000000000000000',
          'user.empty': '0x',
          'user.a=b': '0x32',
        },
      ],
      ['/usr/été', { 'user.noequals': '' }],
    ]);
  });

  it('unescapes octal escapes into bytes, keeping everything else', () => {
    expect(unescapeGetfattr('a\\012b')).toBe('a\nb');
    expect(unescapeGetfattr('\\134\\134')).toBe('\\\\');
    expect(unescapeGetfattr('été\\303\\251')).toBe('étéé');
    expect(unescapeGetfattr('no escape \\12')).toBe('no escape \\12');
  });

  it('reads a real tree with the real getfattr, never following symlinks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-xattrs-'));
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc/weird\nname'), 'x');
    const outside = mkdtempSync(path.join(os.tmpdir(), 'repro-outside-'));
    writeFileSync(path.join(outside, 'o'), 'o');
    await setfattr(runner, path.join(outside, 'o'), 'user.outside', '1');
    symlinkSync(outside, path.join(dir, 'link'));
    await setfattr(runner, path.join(dir, 'etc/weird\nname'), 'user.x', 'y');
    await setfattr(runner, dir, 'user.root', '1');
    const dump = await readXattrs({ runner, tools: xattrToolBox(runner), tmpDir: dir }, dir);
    expect(dump.ok && [...dump.byPath]).toEqual([
      ['/', { 'user.root': '0x31' }],
      ['/etc/weird\nname', { 'user.x': '0x79' }],
    ]);
  });

  it('says why when getfattr fails (a filesystem without xattr support)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-xattrs-'));
    // A stand-in at the process boundary: the real getfattr does not fail on a local tree as root.
    const failing = {
      command: '/bin/sh',
      args: ['-c', 'echo "getfattr: ./x: Operation not supported" >&2; exit 1', 'sh'],
    };
    const dump = await readXattrs({ runner, tools: { find: async () => failing }, tmpDir: dir }, dir);
    expect(dump).toEqual({
      ok: false,
      reason: 'getfattr exited with 1: getfattr: ./x: Operation not supported',
    });
  });
});

describe('getfattr that does not finish', () => {
  it('is stopped at the read timeout and said so', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-xattrs-'));
    const slow = { command: '/bin/sh', args: ['-c', 'sleep 5', 'sh'] };
    const dump = await readXattrs(
      { runner, tools: { find: async () => slow }, tmpDir: dir, timeoutMs: 200 },
      dir,
    );
    expect(dump).toEqual({ ok: false, reason: 'getfattr timed out' });
  });
});

describe('getfattr through a tool box', () => {
  it('runs with the environment the tool box gives it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-xattrs-'));
    const tool = {
      command: '/bin/sh',
      args: ['-c', 'test "$MKOSI_CI_X" = 1 || exit 3', 'sh'],
      env: { MKOSI_CI_X: '1' },
    };
    const dump = await readXattrs({ runner, tools: { find: async () => tool }, tmpDir: dir }, dir);
    expect(dump).toEqual({ ok: true, byPath: new Map() });
  });
});
