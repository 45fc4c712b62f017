import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../src/process/runner.js';
import { listCpio, listTar } from '../../src/repro/archives.js';
import { hostToolBox } from '../../src/repro/filesystems.js';
import { compareOutputs } from '../../src/repro/narrow.js';
import { listInitrd, readPe, sectionManifest, zstdFramesLength } from '../../src/repro/uki.js';

const runner = new ProcessRunner(() => {}, process.env);
const hasZstd = existsSync('/usr/bin/zstd');

interface Member {
  name: string;
  mode: number;
  data?: string;
  mtime?: number;
  ino?: number;
  nlink?: number;
}

/** A newc cpio archive, as `cpio -o -H newc` writes it. */
function cpio(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  for (const m of [...members, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = Buffer.from(m.data ?? '');
    const name = Buffer.from(`${m.name}\0`);
    const header = `070701${[m.ino ?? ino++, m.mode, 0, 0, m.nlink ?? 1, m.mtime ?? 1000, data.length, 0, 0, 0, 0, name.length, 0].map(hex).join('')}`;
    parts.push(Buffer.from(header, 'latin1'), name, pad(110 + name.length), data, pad(data.length));
  }
  const archive = Buffer.concat(parts);
  return Buffer.concat([archive, Buffer.alloc((512 - (archive.length % 512)) % 512)]);
}

/** A ustar archive of regular files and symlinks. */
function tar(members: Array<{ name: string; data?: string; link?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(m.data ?? '');
    h.write(m.name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000001750\0', 136);
    h.write(m.link ? '2' : '0', 156);
    if (m.link) h.write(m.link, 157);
    h.write('ustar\0' + '00', 257);
    h.write('        ', 148);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/** A minimal PE32+ file with the given sections, laid out like ukify does (512-byte aligned). */
function pe(sections: Array<[string, Buffer]>): Buffer {
  const peOffset = 0x80;
  const optionalSize = 240;
  const tableOffset = peOffset + 24 + optionalSize;
  let offset = Math.ceil((tableOffset + sections.length * 40) / 512) * 512;
  const head = Buffer.alloc(offset);
  head.write('MZ', 0, 'latin1');
  head.writeUInt32LE(peOffset, 0x3c);
  head.write('PE\0\0', peOffset, 'latin1');
  head.writeUInt16LE(0x8664, peOffset + 4);
  head.writeUInt16LE(sections.length, peOffset + 6);
  head.writeUInt32LE(1234, peOffset + 8);
  head.writeUInt16LE(optionalSize, peOffset + 20);
  head.writeUInt16LE(0x20b, peOffset + 24);
  const bodies: Buffer[] = [];
  sections.forEach(([name, data], i) => {
    const raw = Math.ceil(data.length / 512) * 512;
    const s = tableOffset + i * 40;
    head.write(name, s, 'latin1');
    head.writeUInt32LE(data.length, s + 8);
    head.writeUInt32LE(0x1000 * (i + 1), s + 12);
    head.writeUInt32LE(raw, s + 16);
    head.writeUInt32LE(offset, s + 20);
    bodies.push(data, Buffer.alloc(raw - data.length));
    offset += raw;
  });
  return Buffer.concat([head, ...bodies]);
}

const ctx = () => ({
  runner,
  tools: hostToolBox(runner),
  tmpDir: mkdtempSync(path.join(os.tmpdir(), 'repro-uki-')),
});

describe('cpio and tar', () => {
  it('lists a newc archive with content hashes, symlinks and hardlinks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-cpio-'));
    const file = path.join(dir, 'a.cpio');
    writeFileSync(
      file,
      cpio([
        { name: '.', mode: 0o40755 },
        { name: 'etc', mode: 0o40755 },
        { name: 'etc/hostname', mode: 0o100644, data: 'test\n', mtime: 5 },
        { name: 'bin', mode: 0o120777, data: 'usr/bin' },
        { name: 'usr/bin/a', mode: 0o100755, ino: 77, nlink: 2 },
        { name: 'usr/bin/b', mode: 0o100755, data: 'same', ino: 77, nlink: 2 },
      ]),
    );
    const listing = await listCpio(file);
    expect(listing.error).toBeUndefined();
    expect(listing.entries.map((e) => [e.path, e.type, e.target])).toEqual([
      ['/', 'directory', undefined],
      ['/etc', 'directory', undefined],
      ['/etc/hostname', 'file', undefined],
      ['/bin', 'symlink', 'usr/bin'],
      ['/usr/bin/a', 'hardlink', '/usr/bin/b'],
      ['/usr/bin/b', 'file', undefined],
    ]);
    expect(listing.entries[2]).toMatchObject({ mode: 0o644, size: 5, mtime: 5 });
    expect(listing.entries[2]!.sha256).toBe(
      'f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2',
    );
  });

  it('lists a ustar archive', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-tar-'));
    const file = path.join(dir, 'a.tar');
    writeFileSync(
      file,
      tar([
        { name: 'etc/hostname', data: 'test\n' },
        { name: 'bin', link: 'usr/bin' },
      ]),
    );
    const entries = await listTar(file);
    expect(entries.map((e) => [e.path, e.type, e.size, e.target, e.mtime])).toEqual([
      ['/etc/hostname', 'file', 5, undefined, 1000],
      ['/bin', 'symlink', undefined, 'usr/bin', 1000],
    ]);
  });

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

  it('splits a PE file into hashed sections', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-pe-'));
    const file = path.join(dir, 'a.efi');
    writeFileSync(file, pe(sections('console=ttyS0', 'a')));
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
});
