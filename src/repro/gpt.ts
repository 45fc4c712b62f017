import { open } from 'node:fs/promises';

/**
 * GPT disk images read without tools: the primary header at LBA 1 and its partition entries.
 * Only what is needed to compare two tables and to find each partition's byte range.
 */

export interface GptHeader {
  sectorSize: number;
  revision: string;
  headerSize: number;
  headerCrc32: number;
  currentLba: number;
  backupLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc32: number;
}

export interface GptPartition {
  /** 1-based slot number in the entry array, as sfdisk and the kernel number them. */
  number: number;
  /** Lower case, as systemd spells them. */
  typeGuid: string;
  /** systemd's name for a Discoverable Partitions type ("esp", "root-x86-64"), when known. */
  typeName?: string;
  uuid: string;
  name: string;
  firstLba: number;
  lastLba: number;
  /** The 64 attribute bits as hex. */
  attributes: string;
  /** Byte range in the image. */
  offset: number;
  size: number;
}

export interface GptTable {
  header: GptHeader;
  partitions: GptPartition[];
}

/** Discoverable Partitions Specification types mkosi/systemd-repart write most. */
const PARTITION_TYPE_NAMES: Readonly<Record<string, string>> = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'esp',
  'bc13c2ff-59e6-4262-a352-b275fd6f7172': 'xbootldr',
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'swap',
  '933ac7e1-2eb4-4f13-b844-0e14e2aef915': 'home',
  '3b8f8425-20e0-4f3b-907f-1a25a76f98e8': 'srv',
  '4d21b016-b534-45c2-a9fb-5c16e091fd2d': 'var',
  '7ec6f557-3bc5-4aca-b293-16ef5df639d1': 'tmp',
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'linux-generic',
  '44479540-f297-41b2-9af7-d131d5f0458a': 'root-x86',
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'root-x86-64',
  'b921b045-1df0-41c3-af44-4c6f280d3fae': 'root-arm64',
  '69dad710-2ce4-4e3c-b16c-21a1d49abed3': 'root-arm',
  '72ec70a6-cf74-40e6-bd49-4bda08e8f224': 'root-riscv64',
  'd13c5d3b-b5d1-422a-b29f-9454fdc89d76': 'root-x86-verity',
  '2c7357ed-ebd2-46d9-aec1-23d437ec2bf5': 'root-x86-64-verity',
  'df3300ce-d69f-4c92-978c-9bfb0f38d820': 'root-arm64-verity',
  '41092b05-9fc8-4523-994f-2def0408b176': 'root-x86-64-verity-sig',
  '6e11a4e7-fbca-4ded-b9e9-e1a512bb664e': 'root-arm64-verity-sig',
  '75250d76-8cc6-458e-bd66-bd47cc81a812': 'usr-x86',
  '8484680c-9521-48c6-9c11-b0720656f69e': 'usr-x86-64',
  'b0e01050-ee5f-4390-949a-9101b17104e9': 'usr-arm64',
  '77ff5f63-e7b6-4633-acf4-1565b864c0e6': 'usr-x86-64-verity',
  '6e11a4e7-fbca-4ded-b9e9-e1a512bb664f': 'usr-arm64-verity',
  'e7bb33fb-06cf-4e81-8273-e543b413e2e2': 'usr-x86-64-verity-sig',
  'c23ce4ff-44bd-4b00-b2d4-b41b3419e02a': 'usr-arm64-verity-sig',
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'microsoft-basic-data',
  '21686148-6449-6e6f-744e-656564454649': 'bios-boot',
};

/** GUIDs are stored mixed-endian: the first three fields little-endian. */
export function formatGuid(bytes: Buffer): string {
  const le = (b: Buffer): string => Buffer.from(b).reverse().toString('hex');
  return [
    le(bytes.subarray(0, 4)),
    le(bytes.subarray(4, 6)),
    le(bytes.subarray(6, 8)),
    bytes.subarray(8, 10).toString('hex'),
    bytes.subarray(10, 16).toString('hex'),
  ].join('-');
}

const SIGNATURE = 'EFI PART';

function parseHeader(buf: Buffer, sectorSize: number): GptHeader | undefined {
  if (buf.length < 92 || buf.toString('latin1', 0, 8) !== SIGNATURE) return undefined;
  const revision = buf.readUInt32LE(8);
  return {
    sectorSize,
    revision: `${revision >>> 16}.${revision & 0xffff}`,
    headerSize: buf.readUInt32LE(12),
    headerCrc32: buf.readUInt32LE(16),
    currentLba: Number(buf.readBigUInt64LE(24)),
    backupLba: Number(buf.readBigUInt64LE(32)),
    firstUsableLba: Number(buf.readBigUInt64LE(40)),
    lastUsableLba: Number(buf.readBigUInt64LE(48)),
    diskGuid: formatGuid(buf.subarray(56, 72)),
    entriesLba: Number(buf.readBigUInt64LE(72)),
    entryCount: buf.readUInt32LE(80),
    entrySize: buf.readUInt32LE(84),
    entriesCrc32: buf.readUInt32LE(88),
  };
}

/** Parses the entry array of a GPT (empty slots left out). */
function parseGptEntries(entries: Buffer, header: GptHeader): GptPartition[] {
  const partitions: GptPartition[] = [];
  for (let i = 0; i < header.entryCount; i++) {
    const entry = entries.subarray(i * header.entrySize, (i + 1) * header.entrySize);
    if (entry.length < 128) break;
    if (entry.subarray(0, 16).every((b) => b === 0)) continue;
    const typeGuid = formatGuid(entry.subarray(0, 16));
    const firstLba = Number(entry.readBigUInt64LE(32));
    const lastLba = Number(entry.readBigUInt64LE(40));
    const partition: GptPartition = {
      number: i + 1,
      typeGuid,
      uuid: formatGuid(entry.subarray(16, 32)),
      name: entry.toString('utf16le', 56, 128).replace(/\0.*$/s, ''),
      firstLba,
      lastLba,
      attributes: entry.readBigUInt64LE(48).toString(16).padStart(16, '0'),
      offset: firstLba * header.sectorSize,
      size: (lastLba - firstLba + 1) * header.sectorSize,
    };
    const typeName = PARTITION_TYPE_NAMES[typeGuid];
    if (typeName) partition.typeName = typeName;
    partitions.push(partition);
  }
  return partitions;
}

/**
 * Reads the GPT of a disk image (512- or 4096-byte sectors), or undefined when the file has none.
 * Reads only the header and the entry array.
 */
export async function readGptTable(file: string): Promise<GptTable | undefined> {
  const handle = await open(file, 'r');
  try {
    for (const sectorSize of [512, 4096]) {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await handle.read(buf, 0, 512, sectorSize);
      const header = parseHeader(buf.subarray(0, bytesRead), sectorSize);
      if (!header) continue;
      if (header.entrySize < 128 || header.entryCount > 16384) return undefined;
      const entries = Buffer.alloc(header.entryCount * header.entrySize);
      await handle.read(entries, 0, entries.length, header.entriesLba * sectorSize);
      return { header, partitions: parseGptEntries(entries, header) };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** A short name for a partition in reports: "2 root-x86-64 (root-x86-64)". */
export function partitionLabel(p: GptPartition): string {
  const type = p.typeName ?? p.typeGuid;
  return p.name && p.name !== type ? `${p.number} ${p.name} (${type})` : `${p.number} ${type}`;
}

export interface GptFieldDifference {
  /** "header.diskGuid", "partition 2.uuid", "partition 3" (present on one side only). */
  field: string;
  a: string | number | undefined;
  b: string | number | undefined;
}

export interface GptPartitionPair {
  a?: GptPartition;
  b?: GptPartition;
}

const HEADER_FIELDS: ReadonlyArray<keyof GptHeader> = [
  'sectorSize',
  'revision',
  'diskGuid',
  'firstUsableLba',
  'lastUsableLba',
  'backupLba',
  'entryCount',
  'entrySize',
  'entriesLba',
  'headerCrc32',
  'entriesCrc32',
];

const PARTITION_FIELDS: ReadonlyArray<keyof GptPartition> = [
  'typeGuid',
  'name',
  'uuid',
  'firstLba',
  'lastLba',
  'attributes',
];

/** Pairs partitions by slot number: what systemd-repart writes is in the same order every time. */
export function pairPartitions(a: GptTable, b: GptTable): GptPartitionPair[] {
  const numbers = [...new Set([...a.partitions, ...b.partitions].map((p) => p.number))].sort((x, y) => x - y);
  return numbers.map((n) => {
    const pair: GptPartitionPair = {};
    const pa = a.partitions.find((p) => p.number === n);
    const pb = b.partitions.find((p) => p.number === n);
    if (pa) pair.a = pa;
    if (pb) pair.b = pb;
    return pair;
  });
}

/**
 * Field-by-field comparison of two partition tables. The CRCs are reported too (they follow from
 * the other fields) so that a difference in reserved bytes is not missed.
 */
export function compareGptTables(a: GptTable, b: GptTable): GptFieldDifference[] {
  const differences: GptFieldDifference[] = [];
  for (const field of HEADER_FIELDS) {
    if (a.header[field] !== b.header[field]) {
      differences.push({ field: `header.${field}`, a: a.header[field], b: b.header[field] });
    }
  }
  for (const pair of pairPartitions(a, b)) {
    if (!pair.a || !pair.b) {
      const only = (pair.a ?? pair.b)!;
      differences.push({
        field: `partition ${only.number}`,
        a: pair.a ? partitionLabel(pair.a) : undefined,
        b: pair.b ? partitionLabel(pair.b) : undefined,
      });
      continue;
    }
    for (const field of PARTITION_FIELDS) {
      if (pair.a[field] !== pair.b[field]) {
        differences.push({
          field: `partition ${pair.a.number}.${field}`,
          a: pair.a[field] as string | number,
          b: pair.b[field] as string | number,
        });
      }
    }
  }
  return differences;
}
