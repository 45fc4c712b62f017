import { runTool, toolFailure } from '../toolbox.js';
import { cString, rawUuid, type FilesystemFormat } from './format.js';

export const ext4: FilesystemFormat = {
  type: 'ext4',
  detect: (head) => head.length >= 1024 + 58 && head.readUInt16LE(1024 + 56) === 0xef53,
  superblock(head) {
    const sb = head.subarray(1024, 2048);
    return {
      uuid: rawUuid(sb.subarray(104, 120)),
      label: cString(sb.subarray(120, 136)),
      hash_seed: rawUuid(sb.subarray(236, 252)),
      mkfs_time: sb.readUInt32LE(264),
      write_time: sb.readUInt32LE(48),
      mount_time: sb.readUInt32LE(44),
      lastcheck: sb.readUInt32LE(64),
      free_blocks: sb.readUInt32LE(12),
      free_inodes: sb.readUInt32LE(16),
      checksum: sb.readUInt32LE(1020),
    };
  },
  extractor: {
    tool: 'debugfs',
    // e2fsprogs opens "file?offset=N" through its unix I/O manager; rdump keeps modes, owners
    // (when run as root) and times of files and directories, not of symlinks, and skips devices.
    async extract(ctx, tool, image, region, dir) {
      const source = region.offset ? `${image}?offset=${region.offset}` : image;
      const result = await runTool(ctx, tool, ['-R', `rdump / "${dir}"`, source]);
      if (result.exitCode !== 0 || result.timedOut) return toolFailure('debugfs', result);
      // debugfs exits 0 even when it cannot open the filesystem; its errors read "... while ...".
      const errors = result.stderr.split('\n').filter((l) => /while |bad magic|error/i.test(l));
      return errors.length > 0 ? errors.slice(0, 3).join(' / ') : undefined;
    },
    manifestOptions: { symlinkMtime: false },
    ignore: ['xattrs'],
  },
};
