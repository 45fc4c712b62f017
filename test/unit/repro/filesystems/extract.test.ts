import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../../src/process/runner.js';
import { readHead } from '../../../../src/repro/bytes.js';
import { detectFilesystem, superblockFields } from '../../../../src/repro/filesystems/formats.js';
import { hostToolBox, type ToolBox } from '../../../../src/repro/toolbox.js';
import { disk, hasExt4, MiB, tree } from '../../../support/disk-images.js';
import { readFilesystemManifest } from '../../../support/filesystem-manifest.js';

const runner = new ProcessRunner(() => {}, process.env);

describe('reading a filesystem', () => {
  it('says a type is unsupported when its tool is missing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-fs-'));
    const file = path.join(dir, 'sq');
    writeFileSync(file, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192)]));
    const none: ToolBox = { find: async () => undefined };
    const fs = await readFilesystemManifest({ runner, tools: none, tmpDir: dir }, file, {
      offset: 0,
      size: 8196,
    });
    expect(fs).toMatchObject({
      type: 'squashfs',
      supported: false,
      reason: 'unsquashfs is not installed (needed to read squashfs)',
    });
  });
});

describe.skipIf(!hasExt4)('ext4 partitions of a GPT disk (mke2fs, debugfs)', () => {
  it('reads an ext4 partition into a manifest without mounting', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-ext4-'));
    const src = tree(path.join(dir, 'src'), 'one\n');
    const file = path.join(dir, 'disk.raw');
    disk(file, src, src, '22222222-2222-2222-2222-222222222222');
    const head = await readHead(file, MiB);
    expect(detectFilesystem(head)).toBe('ext4');
    expect(superblockFields(head, 'ext4')).toMatchObject({ uuid: '11111111-1111-1111-1111-111111111111' });
    const fs = await readFilesystemManifest({ runner, tools: hostToolBox(runner), tmpDir: dir }, file, {
      offset: MiB,
      size: 2 * MiB,
    });
    expect(fs.supported).toBe(true);
    expect(fs.tool).toBe('debugfs');
    const hostname = fs.entries.find((e) => e.path === '/etc/hostname');
    expect(hostname).toMatchObject({ type: 'file', size: 4, mtime: 1000, mode: 0o644 });
    expect(fs.entries.map((e) => e.path)).toContain('/lost+found');
  });
});
