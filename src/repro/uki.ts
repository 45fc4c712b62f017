import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { detectCompression, isCpio, listCpio, type Compression } from './archives.js';
import type { ReadContext } from './toolbox.js';
import { sha256Of } from './directory-manifest.js';
import type { ManifestEntry } from './manifest.js';

/**
 * Unified kernel images (PE files with .linux, .initrd, .cmdline, .osrel, … sections) split into
 * sections without tools, and the initrd inside listed as a cpio manifest.
 */

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  rawSize: number;
  rawOffset: number;
  /** The bytes that belong to the section: min(virtualSize, rawSize) from rawOffset. */
  offset: number;
  size: number;
}

export interface PeHeader {
  machine: number;
  timestamp: number;
  /** PE32+ (64-bit) or PE32. */
  format: 'PE32' | 'PE32+';
  checksum: number;
  sizeOfImage: number;
  /** Byte range of an Authenticode signature (the certificate table), if signed. */
  certificateTable?: { offset: number; size: number };
}

export interface PeFile {
  header: PeHeader;
  sections: PeSection[];
  /** Size of everything before the first section's data. */
  headersSize: number;
  fileSize: number;
}

/** UKI sections whose content is text worth quoting in a report. */
const TEXT_SECTIONS: readonly string[] = ['.cmdline', '.osrel', '.uname', '.sbat', '.profile'];

export function isPe(head: Buffer): boolean {
  if (head.length < 64 || head.toString('latin1', 0, 2) !== 'MZ') return false;
  const pe = head.readUInt32LE(0x3c);
  return head.length >= pe + 4 && head.toString('latin1', pe, pe + 4) === 'PE\0\0';
}

/** Parses the PE headers and section table of a file; undefined when it is not a PE file. */
export async function readPe(file: string): Promise<PeFile | undefined> {
  const handle = await open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    };
    const dos = await read(0, 64);
    if (dos.length < 64 || dos.toString('latin1', 0, 2) !== 'MZ') return undefined;
    const peOffset = dos.readUInt32LE(0x3c);
    const coff = await read(peOffset, 24);
    if (coff.length < 24 || coff.toString('latin1', 0, 4) !== 'PE\0\0') return undefined;
    const machine = coff.readUInt16LE(4);
    const sectionCount = coff.readUInt16LE(6);
    const timestamp = coff.readUInt32LE(8);
    const symbolTable = coff.readUInt32LE(12);
    const symbolCount = coff.readUInt32LE(16);
    const optionalSize = coff.readUInt16LE(20);
    const optional = await read(peOffset + 24, optionalSize);
    const magic = optional.length >= 2 ? optional.readUInt16LE(0) : 0;
    const format = magic === 0x20b ? 'PE32+' : 'PE32';
    const header: PeHeader = {
      machine,
      timestamp,
      format,
      checksum: optional.length >= 68 ? optional.readUInt32LE(64) : 0,
      sizeOfImage: optional.length >= 60 ? optional.readUInt32LE(56) : 0,
    };
    // Data directories start at 96 (PE32) or 112 (PE32+); entry 4 is the certificate table, whose
    // "address" is a file offset.
    const directories = format === 'PE32+' ? 112 : 96;
    const cert = directories + 4 * 8;
    if (optional.length >= cert + 8) {
      const offset = optional.readUInt32LE(cert);
      const size = optional.readUInt32LE(cert + 4);
      if (size > 0) header.certificateTable = { offset, size };
    }
    const table = await read(peOffset + 24 + optionalSize, sectionCount * 40);
    let strings: Buffer | undefined;
    const sections: PeSection[] = [];
    for (let i = 0; i < sectionCount && (i + 1) * 40 <= table.length; i++) {
      const s = table.subarray(i * 40, (i + 1) * 40);
      let name = s.toString('latin1', 0, 8).replace(/\0.*$/s, '');
      if (/^\/\d+$/.test(name) && symbolTable > 0) {
        // Long names live in the COFF string table after the symbol table.
        strings ??= await read(symbolTable + symbolCount * 18, 64 * 1024);
        const at = Number(name.slice(1));
        const end = strings.indexOf(0, at);
        name = strings.toString('utf8', at, end < 0 ? undefined : end);
      }
      const virtualSize = s.readUInt32LE(8);
      const rawSize = s.readUInt32LE(16);
      const rawOffset = s.readUInt32LE(20);
      const size = Math.max(0, Math.min(virtualSize || rawSize, rawSize, fileSize - rawOffset));
      sections.push({
        name,
        virtualSize,
        virtualAddress: s.readUInt32LE(12),
        rawSize,
        rawOffset,
        offset: rawOffset,
        size,
      });
    }
    const withData = sections.filter((s) => s.rawSize > 0).map((s) => s.rawOffset);
    const headersSize = withData.length > 0 ? Math.min(...withData) : fileSize;
    return { header, sections, headersSize, fileSize };
  } finally {
    await handle.close();
  }
}

export interface SectionEntry extends ManifestEntry {
  /** The section's content when it is short text (.cmdline, .osrel, .uname, …). */
  text?: string;
  offset: number;
}

/**
 * One manifest entry per PE section ("/.linux", "/.initrd", …), hashed as a stream, plus
 * "/(headers)" and, when the file has trailing data such as a signature, "/(trailer)".
 */
export async function sectionManifest(file: string, pe: PeFile): Promise<SectionEntry[]> {
  const entries: SectionEntry[] = [];
  entries.push({
    path: '/(headers)',
    type: 'file',
    size: pe.headersSize,
    sha256: await sha256Of(file, 0, pe.headersSize),
    offset: 0,
  });
  const seen = new Map<string, number>();
  for (const section of pe.sections) {
    const count = (seen.get(section.name) ?? 0) + 1;
    seen.set(section.name, count);
    const entry: SectionEntry = {
      path: `/${count > 1 ? `${section.name}#${count}` : section.name}`,
      type: 'file',
      size: section.size,
      sha256: await sha256Of(file, section.offset, section.size),
      offset: section.offset,
    };
    if (TEXT_SECTIONS.includes(section.name) && section.size <= 64 * 1024) {
      const handle = await open(file, 'r');
      try {
        const buf = Buffer.alloc(section.size);
        await handle.read(buf, 0, section.size, section.offset);
        entry.text = buf.toString('utf8').replace(/\0+$/, '');
      } finally {
        await handle.close();
      }
    }
    entries.push(entry);
  }
  const end = Math.max(pe.headersSize, ...pe.sections.map((s) => s.rawOffset + s.rawSize));
  if (end < pe.fileSize) {
    entries.push({
      path: '/(trailer)',
      type: 'file',
      size: pe.fileSize - end,
      sha256: await sha256Of(file, end, pe.fileSize - end),
      offset: end,
    });
  }
  return entries;
}

/** Copies a byte range of a file to a new file, streamed. */
async function copyRange(file: string, offset: number, size: number, target: string): Promise<void> {
  if (size === 0) {
    await (await open(target, 'w')).close();
    return;
  }
  await pipeline(
    createReadStream(file, { start: offset, end: offset + size - 1, highWaterMark: 4 * 1024 * 1024 }),
    createWriteStream(target),
  );
}

const DECOMPRESSORS: Partial<
  Record<Compression, { tool: string; args: (input: string, output: string) => string[] }>
> = {
  zstd: { tool: 'zstd', args: (input, output) => ['-d', '-q', '-f', '-o', output, input] },
  // xz names its output after the input minus ".xz": the input is always a copy named <output>.xz.
  xz: { tool: 'xz', args: (input) => ['-d', '-q', '-f', '-k', input] },
  lz4: { tool: 'lz4', args: (input, output) => ['-d', '-q', '-f', input, output] },
};

/**
 * Decompresses a byte range of a file into `output` (gzip with node's zlib, the others with their
 * command-line tools through the runner). Returns an error message instead of throwing.
 */
async function decompressRange(
  ctx: ReadContext,
  file: string,
  offset: number,
  size: number,
  compression: Compression,
  output: string,
): Promise<string | undefined> {
  if (compression === 'gzip') {
    try {
      await pipeline(
        createReadStream(file, { start: offset, end: offset + size - 1, highWaterMark: 4 * 1024 * 1024 }),
        createGunzip(),
        createWriteStream(output),
      );
      return undefined;
    } catch (error) {
      return `gzip: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const decompressor = DECOMPRESSORS[compression];
  if (!decompressor) return `no decompressor for ${compression}`;
  const tool = await ctx.tools.find(decompressor.tool);
  if (!tool) return `${decompressor.tool} is not installed (needed for ${compression})`;
  let input = file;
  const whole = offset === 0 && size === (await stat(file)).size;
  if (!whole || compression === 'xz') {
    input = `${output}.${compression}`;
    await copyRange(file, offset, size, input);
  }
  try {
    const result = await ctx.runner.run(tool.command, [...tool.args, ...decompressor.args(input, output)], {
      stream: false,
      timeoutMs: ctx.timeoutMs ?? 10 * 60_000,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      return `${decompressor.tool} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`;
    }
    return undefined;
  } finally {
    if (input !== file) await rm(input, { force: true });
  }
}

/**
 * The length of the zstd frames (and skippable frames) that start at `offset`, found by walking the
 * frame and block headers, so that a zstd stream followed by padding or another archive can be cut
 * out exactly. Returns 0 when no zstd frame starts there.
 */
export async function zstdFramesLength(file: string, offset: number, limit: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    };
    const end = offset + limit;
    let pos = offset;
    for (;;) {
      const head = await read(pos, 18);
      if (head.length < 8 || pos >= end) break;
      const magic = head.readUInt32LE(0);
      if (magic >>> 4 === 0x184d2a5) {
        pos += 8 + head.readUInt32LE(4);
        continue;
      }
      if (magic !== 0xfd2fb528) break;
      const descriptor = head[4]!;
      const fcsFlag = descriptor >> 6;
      const singleSegment = (descriptor >> 5) & 1;
      const checksum = (descriptor >> 2) & 1;
      const dictFlag = descriptor & 3;
      let p = pos + 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
      p += fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
      for (;;) {
        const block = await read(p, 3);
        if (block.length < 3) return pos - offset;
        const value = block[0]! | (block[1]! << 8) | (block[2]! << 16);
        const last = value & 1;
        const type = (value >> 1) & 3;
        const size = value >>> 3;
        p += 3 + (type === 1 ? 1 : size);
        if (last) break;
      }
      pos = p + (checksum ? 4 : 0);
    }
    return Math.min(pos, end) - offset;
  } finally {
    await handle.close();
  }
}

export interface InitrdManifest {
  entries: ManifestEntry[];
  /** Compression of each cpio part, in order: e.g. ["none", "zstd"] for microcode + main archive. */
  parts: string[];
  error?: string;
}

async function firstNonZero(file: string, from: number, end: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let pos = from; pos < end; pos += buf.length) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) return end;
      const i = buf.subarray(0, bytesRead).findIndex((b) => b !== 0);
      if (i >= 0) return pos + i;
    }
    return end;
  } finally {
    await handle.close();
  }
}

/**
 * Lists an initrd (a byte range of a file: an .initrd section or a whole initrd file): cpio
 * archives, each possibly compressed, concatenated with zero padding between them, as the kernel
 * unpacks them. Later parts overlay earlier ones, so a path keeps its last entry. Decompressed data
 * goes to temporary files under ctx.tmpDir, removed before returning.
 */
export async function listInitrd(
  ctx: ReadContext,
  file: string,
  offset = 0,
  size?: number,
  depth = 0,
): Promise<InitrdManifest> {
  const end = offset + (size ?? (await stat(file)).size - offset);
  const byPath = new Map<string, ManifestEntry>();
  const parts: string[] = [];
  let error: string | undefined;
  let dir: string | undefined;
  const add = (entries: readonly ManifestEntry[]): void => {
    for (const entry of entries) byPath.set(entry.path, entry);
  };
  try {
    let pos = offset;
    while (pos < end && !error) {
      pos = await firstNonZero(file, pos, end);
      if (pos >= end) break;
      const handle = await open(file, 'r');
      const head = Buffer.alloc(512);
      const { bytesRead } = await handle.read(head, 0, Math.min(512, end - pos), pos);
      await handle.close();
      const compression = detectCompression(head.subarray(0, bytesRead));
      if (compression) {
        if (depth >= 4) {
          error = 'compressed data nested too deep';
          break;
        }
        const length = compression === 'zstd' ? await zstdFramesLength(file, pos, end - pos) : end - pos;
        dir ??= await mkdtemp(path.join(ctx.tmpDir, 'initrd-'));
        const output = path.join(dir, `part-${parts.length}`);
        error = await decompressRange(ctx, file, pos, length, compression, output);
        if (error) break;
        const inner = await listInitrd(ctx, output, 0, undefined, depth + 1);
        await rm(output, { force: true });
        add(inner.entries);
        parts.push(...inner.parts.map((p) => (p === 'none' ? compression : `${compression}+${p}`)));
        error = inner.error;
        pos += length;
      } else if (isCpio(head.subarray(0, bytesRead))) {
        const listing = await listCpio(file, pos, end - pos);
        add(listing.entries);
        parts.push('none');
        error = listing.error;
        pos = listing.compressedTail?.offset ?? end;
      } else {
        error = `neither cpio nor compressed data at offset ${pos - offset}`;
      }
    }
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
  const entries = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const result: InitrdManifest = { entries, parts };
  if (error) result.error = error;
  return result;
}
