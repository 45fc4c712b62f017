import { rawUuid, textAt, type FilesystemFormat } from './format.js';

/** Recognized and explained by its superblock; its files are not read (no extractor without mounting). */
export const btrfs: FilesystemFormat = {
  type: 'btrfs',
  detect: (head) => textAt(head, 65536 + 64, 8) === '_BHRfS_M',
  superblock(head) {
    const sb = head.subarray(65536, 65536 + 4096);
    return { fsid: rawUuid(sb.subarray(32, 48)), generation: Number(sb.readBigUInt64LE(72)) };
  },
};
