import { openSync, readSync, closeSync } from 'node:fs';

export interface GptPartition {
  /** Partition type GUID, upper case as sfdisk prints it. */
  type: string;
  name: string;
  firstLba: bigint;
  lastLba: bigint;
}

/** GUIDs are stored mixed-endian: the first three fields little-endian. */
function guid(bytes: Buffer): string {
  const hex = (b: Buffer): string => b.toString('hex');
  const le = (b: Buffer): string => hex(Buffer.from(b).reverse());
  return [
    le(bytes.subarray(0, 4)),
    le(bytes.subarray(4, 6)),
    le(bytes.subarray(6, 8)),
    hex(bytes.subarray(8, 10)),
    hex(bytes.subarray(10, 16)),
  ]
    .join('-')
    .toUpperCase();
}

/** Reads the partition table of a GPT disk image with 512-byte sectors. */
export function readGpt(file: string): GptPartition[] {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(512);
    readSync(fd, header, 0, 512, 512);
    if (header.toString('latin1', 0, 8) !== 'EFI PART') throw new Error(`${file}: no GPT header at LBA 1`);
    const entriesLba = header.readBigUInt64LE(72);
    const count = header.readUInt32LE(80);
    const size = header.readUInt32LE(84);
    const entries = Buffer.alloc(count * size);
    readSync(fd, entries, 0, entries.length, Number(entriesLba) * 512);
    const partitions: GptPartition[] = [];
    for (let i = 0; i < count; i++) {
      const entry = entries.subarray(i * size, (i + 1) * size);
      if (entry.subarray(0, 16).every((b) => b === 0)) continue;
      partitions.push({
        type: guid(entry.subarray(0, 16)),
        firstLba: entry.readBigUInt64LE(32),
        lastLba: entry.readBigUInt64LE(40),
        name: entry.toString('utf16le', 56, 128).replace(/\0+$/, ''),
      });
    }
    return partitions;
  } finally {
    closeSync(fd);
  }
}
