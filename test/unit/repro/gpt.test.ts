import { closeSync, mkdtempSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareGptTables, partitionLabel, readGptTable } from '../../../src/repro/gpt.js';
import { buildGpt, crc32, type GptBuildPartition } from '../../support/gpt-builder.js';

const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const ROOT = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';

function disk(file: string, diskGuid: string, partitions: GptBuildPartition[], sectors = 4096): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, sectors * 512);
  writeSync(fd, buildGpt(diskGuid, sectors, partitions), 0, 34 * 512, 0);
  closeSync(fd);
}

const parts = (rootUuid: string): GptBuildPartition[] => [
  { typeGuid: ESP, uuid: '11111111-2222-3333-4444-555555555555', name: 'esp', firstLba: 2048, lastLba: 2559 },
  { typeGuid: ROOT, uuid: rootUuid, name: 'root-x86-64', firstLba: 2560, lastLba: 4000 },
];

describe('GPT', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('reads the header and entries of an image it wrote', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-gpt-'));
    const file = path.join(dir, 'a.raw');
    disk(file, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', parts('99999999-8888-7777-6666-555555555555'));
    const table = (await readGptTable(file))!;
    expect(table.header).toMatchObject({
      sectorSize: 512,
      diskGuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      entryCount: 128,
      entrySize: 128,
      firstUsableLba: 34,
    });
    expect(table.partitions).toHaveLength(2);
    expect(table.partitions[1]).toMatchObject({
      number: 2,
      typeGuid: ROOT,
      typeName: 'root-x86-64',
      uuid: '99999999-8888-7777-6666-555555555555',
      name: 'root-x86-64',
      offset: 2560 * 512,
      size: 1441 * 512,
    });
    expect(partitionLabel(table.partitions[0]!)).toBe('1 esp');
  });

  it('says a file without GPT has none', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-gpt-'));
    const file = path.join(dir, 'zero');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 1 << 20);
    closeSync(fd);
    expect(await readGptTable(file)).toBeUndefined();
  });

  it('compares two tables field by field', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-gpt-'));
    const a = path.join(dir, 'a.raw');
    const b = path.join(dir, 'b.raw');
    disk(a, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', parts('99999999-8888-7777-6666-555555555555'));
    disk(b, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', [...parts('99999999-8888-7777-6666-000000000000')]);
    const differences = compareGptTables((await readGptTable(a))!, (await readGptTable(b))!);
    expect(differences.map((d) => d.field)).toEqual([
      'header.headerCrc32',
      'header.entriesCrc32',
      'partition 2.uuid',
    ]);
    expect(differences[2]).toEqual({
      field: 'partition 2.uuid',
      a: '99999999-8888-7777-6666-555555555555',
      b: '99999999-8888-7777-6666-000000000000',
    });
    expect(compareGptTables((await readGptTable(a))!, (await readGptTable(a))!)).toEqual([]);
  });
});
