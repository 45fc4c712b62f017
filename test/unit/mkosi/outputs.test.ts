import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSummary } from '../../../src/mkosi/config.js';
import { classifyOutputs, discoverArtifacts, type DirectoryEntry } from '../../../src/mkosi/outputs.js';

const summary = (name: string) =>
  parseSummary(readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8'));

/** What mkosi 27.1 wrote for debian-bootable (test/fixtures/outputs/debian-bootable.txt). */
const bootableListing: DirectoryEntry[] = [
  { name: 'debian-bootable', type: 'symlink' },
  { name: 'debian-bootable.efi', type: 'file' },
  { name: 'debian-bootable.initrd', type: 'file' },
  { name: 'debian-bootable.raw', type: 'file' },
  { name: 'debian-bootable.vmlinuz', type: 'file' },
  { name: 'initrd', type: 'symlink' },
  { name: 'initrd.cpio.zst', type: 'file' },
  { name: 'unrelated.txt', type: 'file' },
];

describe('classifyOutputs', () => {
  it("names each of the main image's outputs, image first, and leaves other files out", () => {
    const config = summary('debian-bootable');
    expect(classifyOutputs(config.main, bootableListing).map((e) => [e.name, e.kind])).toEqual([
      ['debian-bootable.raw', 'image'],
      ['debian-bootable', 'link'],
      ['debian-bootable.efi', 'uki'],
      ['debian-bootable.initrd', 'initrd'],
      ['debian-bootable.vmlinuz', 'kernel'],
    ]);
    expect(classifyOutputs(config.images[0]!, bootableListing).map((e) => [e.name, e.kind, e.image])).toEqual(
      [
        ['initrd.cpio.zst', 'image', 'default-initrd'],
        ['initrd', 'link', 'default-initrd'],
      ],
    );
  });

  it('recognizes split partitions, checksums, signatures and compressed extras', () => {
    const config = summary('debian-bootable-split');
    const kinds = classifyOutputs(config.main, [
      { name: 'debian-bootable.raw', type: 'file' },
      { name: 'debian-bootable.root-x86-64.raw', type: 'file' },
      { name: 'debian-bootable.esp.raw.zst', type: 'file' },
      { name: 'debian-bootable.root-x86-64-verity.raw', type: 'file' },
      { name: 'debian-bootable.roothash', type: 'file' },
      { name: 'debian-bootable.osrelease', type: 'file' },
      { name: 'debian-bootable.pcrs', type: 'file' },
      { name: 'debian-bootable.SHA256SUMS', type: 'file' },
      { name: 'debian-bootable.SHA256SUMS.gpg', type: 'file' },
      { name: 'debian-bootable.manifest', type: 'file' },
      { name: 'debian-bootable.changelog', type: 'file' },
      { name: 'debian-bootable.repart.d', type: 'directory' },
    ]);
    expect(Object.fromEntries(kinds.map((e) => [e.name, e.kind]))).toEqual({
      'debian-bootable.raw': 'image',
      'debian-bootable.root-x86-64.raw': 'partition',
      'debian-bootable.esp.raw.zst': 'partition',
      'debian-bootable.root-x86-64-verity.raw': 'partition',
      'debian-bootable.roothash': 'roothash',
      'debian-bootable.osrelease': 'os-release',
      'debian-bootable.pcrs': 'pcrs',
      'debian-bootable.SHA256SUMS': 'checksum',
      'debian-bootable.SHA256SUMS.gpg': 'signature',
      'debian-bootable.manifest': 'manifest',
      'debian-bootable.changelog': 'changelog',
      'debian-bootable.repart.d': 'repart-definitions',
    });
  });

  it('takes a directory output as the image', () => {
    const config = summary('debian-minimal');
    expect(classifyOutputs(config.main, [{ name: 'debian-minimal', type: 'directory' }])).toEqual([
      { name: 'debian-minimal', type: 'directory', image: 'main', kind: 'image' },
    ]);
  });
});

describe('discoverArtifacts', () => {
  it('hashes files, sums directories and reads links in the output directory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
    const config = summary('debian-minimal');
    const relocated = { ...config, images: [{ ...config.main, outputDirectory: dir }] };
    relocated.main = relocated.images[0]!;
    mkdirSync(path.join(dir, 'debian-minimal/etc'), { recursive: true });
    writeFileSync(path.join(dir, 'debian-minimal/etc/hostname'), 'abc\n');
    writeFileSync(path.join(dir, 'debian-minimal.manifest'), 'hello');
    symlinkSync('debian-minimal', path.join(dir, 'debian-minimal.link-not-ours'));
    const artifacts = await discoverArtifacts(relocated, '/unused');
    expect(
      artifacts.map(({ name, kind, type, size, sha256 }) => ({ name, kind, type, size, sha256 })),
    ).toEqual([
      { name: 'debian-minimal', kind: 'image', type: 'directory', size: 4, sha256: null },
      {
        name: 'debian-minimal.link-not-ours',
        kind: 'other',
        type: 'symlink',
        size: 0,
        sha256: null,
      },
      {
        name: 'debian-minimal.manifest',
        kind: 'manifest',
        type: 'file',
        size: 5,
        sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      },
    ]);
  });
});
