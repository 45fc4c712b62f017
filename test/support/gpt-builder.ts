/**
 * GPT disk images for tests, built without sfdisk: the protective MBR, the primary header and its
 * entry array, with correct CRCs, as systemd-repart writes them.
 */

export interface GptBuildPartition {
  typeGuid: string;
  uuid: string;
  name: string;
  firstLba: number;
  lastLba: number;
  attributes?: bigint;
}

/** GUIDs are stored mixed-endian: the first three fields little-endian. */
export function encodeGuid(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${guid}`);
  const raw = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(raw.subarray(0, 4)).reverse(),
    Buffer.from(raw.subarray(4, 6)).reverse(),
    Buffer.from(raw.subarray(6, 8)).reverse(),
    raw.subarray(8, 16),
  ]);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The primary GPT structures (protective MBR, header, 128 entries) for a disk of `totalSectors`
 * 512-byte sectors: 34 sectors to write at offset 0.
 */
export function buildGpt(
  diskGuid: string,
  totalSectors: number,
  partitions: readonly GptBuildPartition[],
): Buffer {
  const out = Buffer.alloc(34 * 512);
  // Protective MBR.
  out[446 + 4] = 0xee;
  out.writeUInt32LE(1, 446 + 8);
  out.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), 446 + 12);
  out[510] = 0x55;
  out[511] = 0xaa;
  const entries = out.subarray(1024, 1024 + 128 * 128);
  partitions.forEach((p, i) => {
    const e = entries.subarray(i * 128, (i + 1) * 128);
    encodeGuid(p.typeGuid).copy(e, 0);
    encodeGuid(p.uuid).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.firstLba), 32);
    e.writeBigUInt64LE(BigInt(p.lastLba), 40);
    e.writeBigUInt64LE(p.attributes ?? 0n, 48);
    e.write(p.name.slice(0, 36), 56, 'utf16le');
  });
  const header = out.subarray(512, 1024);
  header.write('EFI PART', 0, 'latin1');
  header.writeUInt32LE(0x00010000, 8);
  header.writeUInt32LE(92, 12);
  header.writeBigUInt64LE(1n, 24);
  header.writeBigUInt64LE(BigInt(totalSectors - 1), 32);
  header.writeBigUInt64LE(34n, 40);
  header.writeBigUInt64LE(BigInt(totalSectors - 34), 48);
  encodeGuid(diskGuid).copy(header, 56);
  header.writeBigUInt64LE(2n, 72);
  header.writeUInt32LE(128, 80);
  header.writeUInt32LE(128, 84);
  header.writeUInt32LE(crc32(entries), 88);
  header.writeUInt32LE(crc32(header.subarray(0, 92)), 16);
  return out;
}
