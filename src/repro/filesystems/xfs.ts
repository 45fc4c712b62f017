import { rawUuid, textAt, type FilesystemFormat } from './format.js';

/** Recognized and explained by its superblock; its files are not read (no extractor without mounting). */
export const xfs: FilesystemFormat = {
  type: 'xfs',
  detect: (head) => textAt(head, 0, 4) === 'XFSB',
  superblock: (head) => ({ uuid: rawUuid(head.subarray(32, 48)) }),
};
