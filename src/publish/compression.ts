import { open } from 'node:fs/promises';

/**
 * Magic numbers of data that deflate cannot shrink: compressed streams, and PE files (a UKI or an EFI
 * stub kernel carries a compressed kernel and initrd) and squashfs/zip containers.
 */
const COMPRESSED_MAGIC: readonly number[][] = [
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x1f, 0x8b], // gzip
  [0x42, 0x5a, 0x68], // bzip2
  [0x04, 0x22, 0x4d, 0x18], // lz4 frame
  [0x02, 0x21, 0x4c, 0x18], // lz4 legacy (kernel initrds)
  [0x4d, 0x5a], // PE/COFF: UKI, vmlinuz
  [0x68, 0x73, 0x71, 0x73], // squashfs
  [0x50, 0x4b, 0x03, 0x04], // zip
];

export function looksCompressed(head: Uint8Array): boolean {
  return COMPRESSED_MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
}

export async function isCompressedFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return looksCompressed(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Stored as they are: recompressing what is already compressed costs time and gains nothing. */
export const STORE = 0;
/** Fast deflate: raw disk images are mostly zeros and free blocks, which the fastest level already folds. */
export const FAST_DEFLATE = 1;

/**
 * The artifact zip has one compression level for all its files; pick it by where most bytes are.
 */
export function compressionLevel(files: readonly { size: number; compressed: boolean }[]): number {
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const compressed = files.filter((f) => f.compressed).reduce((sum, f) => sum + f.size, 0);
  return total > 0 && compressed * 2 >= total ? STORE : FAST_DEFLATE;
}
