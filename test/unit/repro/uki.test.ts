import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/process/runner.js';
import { hostToolBox } from '../../../src/repro/toolbox.js';
import { listInitrd, readPe, sectionManifest, zstdFramesLength } from '../../../src/repro/uki.js';
import { cpio, pe } from '../../support/archive-images.js';

const runner = new ProcessRunner(() => {}, process.env);
const hasZstd = existsSync('/usr/bin/zstd');

const ctx = () => ({
  runner,
  tools: hostToolBox(runner),
  tmpDir: mkdtempSync(path.join(os.tmpdir(), 'repro-uki-')),
});

describe('initrd', () => {
  it.skipIf(!hasZstd)('lists an initrd of a plain cpio followed by a zstd-compressed one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-initrd-'));
    const early = cpio([{ name: 'kernel/x86/microcode/GenuineIntel.bin', mode: 0o100644, data: 'ucode' }]);
    writeFileSync(path.join(dir, 'main.cpio'), cpio([{ name: 'init', mode: 0o100755, data: '#!/bin/sh\n' }]));
    execFileSync('zstd', ['-q', '-f', path.join(dir, 'main.cpio'), '-o', path.join(dir, 'main.cpio.zst')]);
    const zst = readFileSync(path.join(dir, 'main.cpio.zst'));
    // Padding after the compressed stream, as when sections are aligned.
    const file = path.join(dir, 'initrd');
    writeFileSync(file, Buffer.concat([early, zst, Buffer.alloc(100)]));
    expect(await zstdFramesLength(file, early.length, zst.length + 100)).toBe(zst.length);
    const initrd = await listInitrd(ctx(), file);
    expect(initrd.error).toBeUndefined();
    expect(initrd.parts).toEqual(['none', 'zstd']);
    expect(initrd.entries.map((e) => e.path)).toEqual(['/init', '/kernel/x86/microcode/GenuineIntel.bin']);
  });
});

describe('UKI', () => {
  it('splits a PE file into hashed sections', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-pe-'));
    const file = path.join(dir, 'a.efi');
    writeFileSync(
      file,
      pe([
        ['.osrel', Buffer.from('ID=test\n')],
        ['.cmdline', Buffer.from('console=ttyS0')],
        ['.linux', Buffer.alloc(3000, 7)],
        [
          '.initrd',
          cpio([
            { name: 'init', mode: 0o100755, data: 'a' },
            { name: 'etc', mode: 0o40755 },
          ]),
        ],
      ]),
    );
    const parsed = (await readPe(file))!;
    expect(parsed.header).toMatchObject({ machine: 0x8664, format: 'PE32+', timestamp: 1234 });
    expect(parsed.sections.map((s) => [s.name, s.size])).toEqual([
      ['.osrel', 8],
      ['.cmdline', 13],
      ['.linux', 3000],
      ['.initrd', 512],
    ]);
    const manifest = await sectionManifest(file, parsed);
    expect(manifest.map((e) => e.path)).toEqual([
      '/(headers)',
      '/.osrel',
      '/.cmdline',
      '/.linux',
      '/.initrd',
    ]);
    expect(manifest[2]!.text).toBe('console=ttyS0');
    expect(await readPe(path.join(dir, 'a.efi') + 'x').catch(() => 'missing')).toBe('missing');
  });
});
