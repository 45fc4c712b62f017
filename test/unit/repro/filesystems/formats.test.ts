import { describe, expect, it } from 'vitest';
import { detectFilesystem, superblockFields } from '../../../../src/repro/filesystems/formats.js';

describe('filesystem detection', () => {
  it('finds filesystems by their superblock magic', () => {
    const head = (at: number, bytes: number[] | string): Buffer => {
      const b = Buffer.alloc(70_000);
      if (typeof bytes === 'string') b.write(bytes, at, 'latin1');
      else Buffer.from(bytes).copy(b, at);
      return b;
    };
    expect(detectFilesystem(head(1024 + 56, [0x53, 0xef]))).toBe('ext4');
    expect(detectFilesystem(head(1024, [0xe2, 0xe1, 0xf5, 0xe0]))).toBe('erofs');
    expect(detectFilesystem(head(0, 'hsqs'))).toBe('squashfs');
    expect(detectFilesystem(head(65536 + 64, '_BHRfS_M'))).toBe('btrfs');
    expect(detectFilesystem(head(0, 'XFSB'))).toBe('xfs');
    expect(detectFilesystem(head(0, 'verity\0\0'))).toBe('verity');
    const fat = head(82, 'FAT32   ');
    fat[510] = 0x55;
    fat[511] = 0xaa;
    fat.writeUInt32LE(0x1234abcd, 67);
    expect(detectFilesystem(fat)).toBe('vfat');
    expect(superblockFields(fat, 'vfat').volume_id).toBe('1234abcd');
    expect(detectFilesystem(Buffer.alloc(70_000))).toBe('unknown');
  });
});
