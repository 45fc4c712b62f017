import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { normalizeManifestPath, type ManifestEntry, type ManifestEntryType } from './manifest.js';

/**
 * Streaming readers for cpio (newc) and tar archives: each member's metadata and the sha256 of its
 * content, read in chunks, so memory stays bounded whatever the archive size.
 */

const CHUNK = 1024 * 1024;

/** Reads a byte range of a file front to back, with a small buffer. */
class SequentialReader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  /** Absolute offset of the next byte to be returned. */
  position: number;

  private constructor(
    private readonly handle: FileHandle,
    start: number,
    readonly end: number,
  ) {
    this.position = start;
  }

  static async open(file: string, start = 0, length?: number): Promise<SequentialReader> {
    const handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    const end = length === undefined ? size : Math.min(size, start + length);
    return new SequentialReader(handle, start, end);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private async fill(n: number): Promise<void> {
    const have = this.bufferStart + this.buffer.length - this.position;
    if (have >= n && this.position >= this.bufferStart) return;
    const want = Math.min(Math.max(n, CHUNK), this.end - this.position);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(buf, got, want - got, this.position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buffer = buf.subarray(0, got);
    this.bufferStart = this.position;
  }

  /** Up to n bytes without consuming them. */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const from = this.position - this.bufferStart;
    return this.buffer.subarray(from, Math.min(from + n, this.buffer.length));
  }

  /** Up to n bytes (fewer only at the end of the range). */
  async read(n: number): Promise<Buffer> {
    const out = Buffer.from(await this.peek(n));
    this.position += out.length;
    return out;
  }

  skip(n: number): void {
    this.position = Math.min(this.end, this.position + n);
  }

  /** sha256 of the next n bytes, consumed in chunks. */
  async hash(n: number): Promise<string> {
    const hash = createHash('sha256');
    let left = Math.min(n, this.remaining);
    while (left > 0) {
      const chunk = await this.read(Math.min(left, CHUNK));
      if (chunk.length === 0) break;
      hash.update(chunk);
      left -= chunk.length;
    }
    return hash.digest('hex');
  }
}

export type Compression = 'zstd' | 'gzip' | 'xz' | 'lz4' | 'bzip2' | 'lzma';

/** The compression format of a stream from its first bytes, or undefined. */
export function detectCompression(head: Buffer): Compression | undefined {
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 2 && head[0] === 0x1f && (head[1] === 0x8b || head[1] === 0x9e)) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return 'xz';
  if (head.length >= 4 && (head.readUInt32LE(0) === 0x184d2204 || head.readUInt32LE(0) === 0x184c2102))
    return 'lz4';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 3 && head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) return 'lzma';
  return undefined;
}

export function isCpio(head: Buffer): boolean {
  const magic = head.toString('latin1', 0, 6);
  return magic === '070701' || magic === '070702';
}

export function isTar(head: Buffer): boolean {
  return head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar';
}

function typeFromMode(mode: number): ManifestEntryType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'other';
  }
}

export interface CpioListing {
  entries: ManifestEntry[];
  /** Where in the file (absolute offset) a compressed continuation starts, when the archive has one. */
  compressedTail?: { offset: number; compression: Compression };
  /** Something the reader could not parse: the offset and what it found. */
  error?: string;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** The fields of a newc header, in their order after the 6-byte magic. */
const CPIO_FIELDS = [
  'ino',
  'mode',
  'uid',
  'gid',
  'nlink',
  'mtime',
  'size',
  'devMajor',
  'devMinor',
  'rdevMajor',
  'rdevMinor',
  'nameSize',
] as const;
type CpioHeader = Record<(typeof CPIO_FIELDS)[number], number>;

function parseCpioHeader(header: string): CpioHeader {
  const fields = CPIO_FIELDS.map((name, i) => [name, parseInt(header.slice(6 + i * 8, 14 + i * 8), 16)]);
  return Object.fromEntries(fields) as CpioHeader;
}

/**
 * Skips the zeros between archives (padded to a block; concatenated archives follow on 4-byte
 * boundaries); returns an error when data starts off a 4-byte boundary.
 */
async function skipZeroPadding(reader: SequentialReader): Promise<string | undefined> {
  while (reader.remaining > 0) {
    const head = await reader.peek(512);
    let zeros = 0;
    while (zeros < head.length && head[zeros] === 0) zeros++;
    if (zeros === 0) break;
    reader.skip(zeros - (zeros % 4));
    if (zeros % 4 !== 0) {
      if (zeros === head.length) continue;
      return `unaligned data at offset ${reader.position}`;
    }
  }
  return undefined;
}

/** Reads a member's data into its entry: a file's hash, a symlink's target, a device's number. */
async function readCpioData(
  reader: SequentialReader,
  entry: ManifestEntry,
  h: CpioHeader,
  pendingLinks: Map<string, ManifestEntry[]>,
): Promise<void> {
  if (entry.type === 'file') {
    entry.size = h.size;
    // Hardlinked files in newc carry their data once, with the last link; an empty earlier
    // member with the same inode is marked as a hardlink to the one that has data.
    const key = `${h.devMajor}:${h.devMinor}:${h.ino}`;
    if (h.nlink > 1 && h.size === 0) {
      entry.type = 'hardlink';
      delete entry.size;
      pendingLinks.set(key, [...(pendingLinks.get(key) ?? []), entry]);
    } else {
      entry.sha256 = await reader.hash(h.size);
      for (const link of pendingLinks.get(key) ?? []) link.target = entry.path;
      pendingLinks.delete(key);
    }
  } else if (entry.type === 'symlink') {
    entry.target = (await reader.read(h.size)).toString('utf8');
  } else {
    reader.skip(h.size);
    if (entry.type === 'char' || entry.type === 'block') entry.rdev = `${h.rdevMajor}:${h.rdevMinor}`;
  }
  reader.skip(pad4(h.size));
}

/**
 * Lists a newc/crc cpio archive (or several concatenated ones, as an initrd with early microcode is)
 * in a byte range of a file. Stops at a compressed continuation and says where it starts, so the
 * caller can decompress it and list it too.
 */
export async function listCpio(file: string, start = 0, length?: number): Promise<CpioListing> {
  const reader = await SequentialReader.open(file, start, length);
  const entries: ManifestEntry[] = [];
  const pendingLinks = new Map<string, ManifestEntry[]>();
  try {
    for (;;) {
      const error = await skipZeroPadding(reader);
      if (error) return { entries, error };
      if (reader.remaining <= 0) return { entries };
      const head = await reader.peek(110);
      const compression = detectCompression(head);
      if (compression) return { entries, compressedTail: { offset: reader.position, compression } };
      if (!isCpio(head)) return { entries, error: `no cpio header at offset ${reader.position}` };
      const h = parseCpioHeader((await reader.read(110)).toString('latin1'));
      const nameBytes = await reader.read(h.nameSize);
      reader.skip(pad4(110 + h.nameSize));
      const name = nameBytes.toString('utf8').replace(/\0.*$/s, '');
      if (name === 'TRAILER!!!') {
        reader.skip(h.size + pad4(h.size));
        pendingLinks.clear();
        continue;
      }
      const entry: ManifestEntry = {
        path: normalizeManifestPath(name),
        type: typeFromMode(h.mode),
        mode: h.mode & 0o7777,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime,
      };
      await readCpioData(reader, entry, h, pendingLinks);
      entries.push(entry);
    }
  } finally {
    await reader.close();
  }
}

function tarNumber(field: Buffer): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    // GNU base-256 for large values.
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function tarString(field: Buffer): string {
  return field.toString('utf8').replace(/\0.*$/s, '');
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const length = parseInt(data.toString('latin1', i, space), 10);
    if (!length) break;
    const record = data.toString('utf8', space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return out;
}

/**
 * Lists an uncompressed tar archive (ustar, pax with xattrs, GNU long names) in a byte range.
 * Hardlinks are entries of type "hardlink" with their target.
 */
export async function listTar(file: string, start = 0, length?: number): Promise<ManifestEntry[]> {
  const reader = await SequentialReader.open(file, start, length);
  const entries: ManifestEntry[] = [];
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    while (reader.remaining >= 512) {
      const block = await reader.read(512);
      if (block.every((b) => b === 0)) continue;
      const size = tarNumber(block.subarray(124, 136));
      const typeflag = String.fromCharCode(block[156] ?? 0x30);
      const padded = size + ((512 - (size % 512)) % 512);
      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        const data = await reader.read(size);
        reader.skip(padded - size);
        if (typeflag === 'x') pax = { ...pax, ...parsePax(data) };
        else if (typeflag === 'g') globalPax = { ...globalPax, ...parsePax(data) };
        else if (typeflag === 'L') longName = tarString(data);
        else longLink = tarString(data);
        continue;
      }
      const attrs = { ...globalPax, ...pax };
      const prefix =
        block.toString('latin1', 257, 262) === 'ustar' ? tarString(block.subarray(345, 500)) : '';
      const base = tarString(block.subarray(0, 100));
      const name = attrs.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      const linkName = attrs.linkpath ?? longLink ?? tarString(block.subarray(157, 257));
      const mode = tarNumber(block.subarray(100, 108));
      const type: ManifestEntryType =
        typeflag === '0' || typeflag === '\0' || typeflag === '7'
          ? 'file'
          : typeflag === '1'
            ? 'hardlink'
            : typeflag === '2'
              ? 'symlink'
              : typeflag === '3'
                ? 'char'
                : typeflag === '4'
                  ? 'block'
                  : typeflag === '5'
                    ? 'directory'
                    : typeflag === '6'
                      ? 'fifo'
                      : 'other';
      const entry: ManifestEntry = {
        path: normalizeManifestPath(name),
        type,
        mode: mode & 0o7777,
        uid: attrs.uid !== undefined ? Number(attrs.uid) : tarNumber(block.subarray(108, 116)),
        gid: attrs.gid !== undefined ? Number(attrs.gid) : tarNumber(block.subarray(116, 124)),
        mtime:
          attrs.mtime !== undefined ? Math.floor(Number(attrs.mtime)) : tarNumber(block.subarray(136, 148)),
      };
      const xattrs = Object.entries(attrs).filter(([k]) => k.startsWith('SCHILY.xattr.'));
      if (xattrs.length > 0) entry.xattrs = Object.fromEntries(xattrs.map(([k, v]) => [k.slice(13), v]));
      const realSize = attrs.size !== undefined ? Number(attrs.size) : size;
      if (type === 'file') {
        entry.size = realSize;
        entry.sha256 = await reader.hash(realSize);
        reader.skip(padded - realSize);
      } else {
        if (type === 'symlink' || type === 'hardlink') entry.target = linkName;
        if (type === 'char' || type === 'block') {
          entry.rdev = `${tarNumber(block.subarray(329, 337))}:${tarNumber(block.subarray(337, 345))}`;
        }
        reader.skip(padded);
      }
      entries.push(entry);
      pax = {};
      longName = undefined;
      longLink = undefined;
    }
    return entries;
  } finally {
    await reader.close();
  }
}
