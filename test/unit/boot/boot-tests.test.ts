import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBootTests, parseBootTestSource, TEST_BUDGET_BYTES } from '../../../src/boot/boot-tests.js';
import { checkCredentials, checkUnit } from '../../../src/boot/check-unit.js';
import { ConfigurationError } from '../../../src/errors.js';

function tree(files: Record<string, { text: string; mode?: number }>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'boot-tests-'));
  for (const [name, { text, mode }] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
    chmodSync(path.join(dir, name), mode ?? 0o755);
  }
  return dir;
}

describe('the boot-test input', () => {
  it('reads an inline script, a path relative to the repository, or nothing', () => {
    expect(parseBootTestSource('', '/repo')).toEqual({ kind: 'none' });
    expect(parseBootTestSource('  tests/boot \n', '/repo')).toEqual({
      kind: 'path',
      path: '/repo/tests/boot',
      given: 'tests/boot',
    });
    expect(parseBootTestSource('\n#!/bin/sh\ntrue\n', '/repo')).toEqual({
      kind: 'inline',
      script: '#!/bin/sh\ntrue\n',
    });
    expect(() => parseBootTestSource('a\nb', '/repo')).toThrow(
      'Input boot-test: a multi-line value must be a script starting with #!',
    );
  });

  it('loads a directory in name order, leaving out what is not executable', async () => {
    const dir = tree({
      'b-second': { text: 'B' },
      'a-first': { text: 'A' },
      'README.md': { text: 'docs', mode: 0o644 },
      '.hidden': { text: 'x' },
    });
    const tests = await loadBootTests({ kind: 'path', path: dir, given: 'tests' });
    expect(tests.map((t) => [t.name, t.content.toString()])).toEqual([
      ['a-first', 'A'],
      ['b-second', 'B'],
    ]);
    const single = await loadBootTests({ kind: 'path', path: path.join(dir, 'b-second'), given: 'b' });
    expect(single.map((t) => t.name)).toEqual(['b-second']);
    expect(await loadBootTests({ kind: 'inline', script: '#!/bin/sh\ntrue' })).toEqual([
      { name: 'inline', content: Buffer.from('#!/bin/sh\ntrue\n') },
    ]);
    expect(await loadBootTests({ kind: 'none' })).toEqual([]);
  });

  it('refuses what cannot be carried or run, naming boot-test', async () => {
    const dir = tree({
      'plain.txt': { text: 'x', mode: 0o644 },
      'bad name': { text: 'x' },
      'big/one': { text: 'x'.repeat(TEST_BUDGET_BYTES) },
      'big/two': { text: 'y' },
      'empty/README': { text: 'x', mode: 0o644 },
    });
    const load = (p: string) => loadBootTests({ kind: 'path', path: path.join(dir, p), given: p });
    await expect(load('missing')).rejects.toThrow('Input boot-test: missing does not exist');
    await expect(load('plain.txt')).rejects.toThrow('Input boot-test: plain.txt is not an executable file');
    await expect(load('bad name')).rejects.toThrow(ConfigurationError);
    await expect(load('empty')).rejects.toThrow(
      'Input boot-test: empty is a directory without executable files',
    );
    await expect(load('big')).rejects.toThrow(
      `Input boot-test: the tests weigh ${TEST_BUDGET_BYTES + 1} bytes (one ${TEST_BUDGET_BYTES}, two 1); at most ${TEST_BUDGET_BYTES} bytes fit in the SMBIOS credentials`,
    );
    await expect(load('big/one')).resolves.toHaveLength(1);
  });

  it('travels as credentials the check unit imports, binary files intact', () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00]);
    const creds = checkCredentials(
      {
        nonce: '0123456789abcdef0123456789abcdef',
        channel: { kind: 'serial' },
        settleBySeconds: 100,
        watchSeconds: 0,
        journal: 'on-failure',
        tests: { names: ['bin'], timeoutSeconds: 9 },
      },
      [],
      [{ name: 'bin', content: elf }],
    );
    expect(creds.find((c) => c.name === 'mkosi-ci.test.bin')?.value).toEqual(elf);
    expect(checkUnit(['a', 'b'])).toContain(
      'ImportCredential=mkosi-ci.check\nImportCredential=mkosi-ci.test.a\nImportCredential=mkosi-ci.test.b\n',
    );
    expect(checkUnit()).toContain('ImportCredential=mkosi-ci.check\nRuntimeDirectory=');
  });
});
