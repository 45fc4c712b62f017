import { open } from 'node:fs/promises';

/** Reading byte ranges of images without loading them: the first bytes, and a side-by-side compare. */

/** Enough of the start of a partition to find every superblock (btrfs' is at 64 KiB). */
export const HEAD_BYTES = 65536 + 4096;

/** Reads the first bytes of a region of a file (a partition) for detection and superblock fields. */
export async function readHead(file: string, offset = 0, length = HEAD_BYTES): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Whether two byte ranges are equal, read side by side in chunks; stops at the first difference.
 * Returns the offset (relative to the range) of the first differing chunk, or undefined when equal.
 */
export async function firstDifference(
  fileA: string,
  offsetA: number,
  fileB: string,
  offsetB: number,
  size: number,
  chunkSize = 4 * 1024 * 1024,
): Promise<number | undefined> {
  const [ha, hb] = await Promise.all([open(fileA, 'r'), open(fileB, 'r')]);
  try {
    const ba = Buffer.alloc(chunkSize);
    const bb = Buffer.alloc(chunkSize);
    for (let done = 0; done < size; done += chunkSize) {
      const n = Math.min(chunkSize, size - done);
      const [ra, rb] = await Promise.all([
        ha.read(ba, 0, n, offsetA + done),
        hb.read(bb, 0, n, offsetB + done),
      ]);
      // Ranges cut short by the end of one file differ in length, and buffers of two lengths differ.
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return done;
      // Both files ended at the same place: nothing more to read.
      if (ra.bytesRead < n) return undefined;
    }
    return undefined;
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}
