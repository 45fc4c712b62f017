import { formatGuid } from '../gpt.js';
import { cString, textAt, type FilesystemFormat } from './format.js';

/** Partitions whose content is not a tree of files: compared by bytes and superblock only. */

export const luks: FilesystemFormat = {
  type: 'luks',
  detect: (head) => textAt(head, 0, 6) === 'LUKS\xba\xbe',
  superblock: (head) => ({ uuid: cString(head.subarray(168, 208)) }),
  holdsNoFiles: true,
};

export const verity: FilesystemFormat = {
  type: 'verity',
  detect: (head) => textAt(head, 0, 8) === 'verity\0\0',
  superblock: (head) => ({ uuid: formatGuid(head.subarray(16, 32)), salt_size: head.readUInt16LE(78) }),
  holdsNoFiles: true,
};

export const swap: FilesystemFormat = {
  type: 'swap',
  detect: (head) => textAt(head, 4086, 10) === 'SWAPSPACE2',
  superblock: () => ({}),
  holdsNoFiles: true,
};
