import path from 'node:path';
import { runTool, toolFailure } from '../toolbox.js';
import { rawUuid, u32At, type FilesystemFormat } from './format.js';

export const erofs: FilesystemFormat = {
  type: 'erofs',
  detect: (head) => u32At(head, 1024) === 0xe0f5e1e2,
  superblock(head) {
    const sb = head.subarray(1024, 1152);
    return {
      uuid: rawUuid(sb.subarray(48, 64)),
      build_time: Number(sb.readBigUInt64LE(16)),
      inodes: Number(sb.readBigUInt64LE(8)),
      checksum: sb.readUInt32LE(4),
    };
  },
  extractor: {
    tool: 'fsck.erofs',
    async extract(ctx, tool, image, region, dir, xattrs) {
      const target = path.join(dir, 'root');
      const result = await runTool(ctx, tool, [
        `--offset=${region.offset}`,
        `--extract=${target}`,
        '--preserve',
        xattrs ? '--xattrs' : '--no-xattrs',
        image,
      ]);
      return result.exitCode === 0 ? undefined : toolFailure('fsck.erofs', result);
    },
    manifestOptions: {},
    ignore: [],
    xattrs: true,
    subdir: true,
  },
};
