import type { DirectoryManifestOptions } from '../directory-manifest.js';
import type { ManifestField } from '../manifest.js';
import type { ReadContext, ToolCommand } from '../toolbox.js';

/**
 * What the narrowing needs to know about one filesystem type: how to recognize it from its first
 * bytes, which superblock fields explain two builds that differ, and how to read its files.
 */

export type FilesystemType =
  'ext4' | 'vfat' | 'btrfs' | 'xfs' | 'squashfs' | 'erofs' | 'swap' | 'luks' | 'verity' | 'unknown';

/** A byte range of an image: a partition, or the whole file. */
export interface Region {
  offset: number;
  size: number;
}

export interface Extractor {
  /** The program that reads the filesystem, found through the ToolBox. */
  tool: string;
  /**
   * Fills `dir` with the filesystem's files; throws or returns an error string. With `xattrs`, the
   * files get the filesystem's extended attributes too (only asked of extractors with `xattrs: true`).
   */
  extract(
    ctx: ReadContext,
    tool: ToolCommand,
    image: string,
    region: Region,
    dir: string,
    xattrs: boolean,
  ): Promise<string | undefined>;
  manifestOptions: DirectoryManifestOptions;
  /** Fields this reader cannot know or cannot keep; left out of the comparison. */
  ignore: ManifestField[];
  /**
   * The tool can write the extended attributes onto the files it extracts (which getfattr then reads).
   * Without the privileges some need (trusted.*, security.*), the extraction is repeated without them
   * and xattrs are left out of the comparison.
   */
  xattrs?: boolean;
  /** The tool wants a target directory that does not exist yet: extract into `<dir>/root`. */
  subdir?: boolean;
  /** The tool fills the directory we made without setting its time: the root's mtime is ours. */
  rootMtimeIsOurs?: boolean;
}

export interface FilesystemFormat {
  type: Exclude<FilesystemType, 'unknown'>;
  /** Whether the first bytes (at least HEAD_BYTES of them) hold this type's superblock. */
  detect(head: Buffer): boolean;
  /**
   * The superblock fields that commonly differ between two builds of the same content (UUIDs, hash
   * seeds, creation times, volume ids), to explain a partition whose files are all identical.
   */
  superblock(head: Buffer): Record<string, string | number>;
  /** How to read its files; a type without one is compared by bytes and superblock only. */
  extractor?: Extractor;
  /** Its content is not a tree of files (swap, an encrypted volume, a hash tree). */
  holdsNoFiles?: boolean;
}

/** The `n` bytes at `offset` as latin1 text, or '' when the head is shorter. */
export function textAt(head: Buffer, offset: number, n: number): string {
  return head.length >= offset + n ? head.toString('latin1', offset, offset + n) : '';
}

/** A little-endian u32 at `offset`, or undefined when the head is shorter. */
export function u32At(head: Buffer, offset: number): number | undefined {
  return head.length >= offset + 4 ? head.readUInt32LE(offset) : undefined;
}

/** A UUID stored as 16 bytes in order (as ext4, btrfs, xfs and erofs store them). */
export function rawUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A NUL-terminated (or padded) label. */
export function cString(b: Buffer): string {
  return b.toString('latin1').replace(/\0.*$/s, '').trimEnd();
}
