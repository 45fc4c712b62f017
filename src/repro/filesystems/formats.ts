import { btrfs } from './btrfs.js';
import { luks, swap, verity } from './containers.js';
import { erofs } from './erofs.js';
import { ext4 } from './ext4.js';
import type { FilesystemFormat, FilesystemType } from './format.js';
import { squashfs } from './squashfs.js';
import { vfat } from './vfat.js';
import { xfs } from './xfs.js';

/**
 * The filesystem types the narrowing knows, in the order they are tried on a partition's first
 * bytes (vfat last: its boot-sector signature is the weakest). A new type is one module and one row.
 */
const FILESYSTEMS: readonly FilesystemFormat[] = [
  ext4,
  erofs,
  squashfs,
  xfs,
  btrfs,
  luks,
  verity,
  swap,
  vfat,
];

export function filesystemFormat(type: FilesystemType): FilesystemFormat | undefined {
  return FILESYSTEMS.find((f) => f.type === type);
}

export function detectFilesystem(head: Buffer): FilesystemType {
  return FILESYSTEMS.find((f) => f.detect(head))?.type ?? 'unknown';
}

/** The superblock fields of a type (empty for an unknown type or a superblock cut short). */
export function superblockFields(head: Buffer, type: FilesystemType): Record<string, string | number> {
  try {
    return filesystemFormat(type)?.superblock(head) ?? {};
  } catch {
    return {};
  }
}
