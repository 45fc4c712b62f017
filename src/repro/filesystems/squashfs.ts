import path from 'node:path';
import { runTool, toolFailure } from '../toolbox.js';
import { textAt, type FilesystemFormat } from './format.js';

export const squashfs: FilesystemFormat = {
  type: 'squashfs',
  detect: (head) => textAt(head, 0, 4) === 'hsqs',
  superblock: (head) => ({
    mkfs_time: head.readUInt32LE(8),
    inodes: head.readUInt32LE(4),
    bytes_used: Number(head.readBigUInt64LE(40)),
  }),
  extractor: {
    tool: 'unsquashfs',
    async extract(ctx, tool, image, region, dir, xattrs) {
      const target = path.join(dir, 'root');
      const result = await runTool(ctx, tool, [
        '-no-progress',
        '-quiet',
        ...(xattrs ? ['-xattrs'] : ['-no-xattrs']),
        '-offset',
        String(region.offset),
        '-d',
        target,
        image,
      ]);
      return result.exitCode === 0 ? undefined : toolFailure('unsquashfs', result);
    },
    manifestOptions: {},
    ignore: [],
    xattrs: true,
    subdir: true,
  },
};
