import { runTool, toolFailure } from '../toolbox.js';
import { cString, textAt, type FilesystemFormat } from './format.js';

export const vfat: FilesystemFormat = {
  type: 'vfat',
  detect(head) {
    const text = (o: number, n: number): string => textAt(head, o, n);
    return (
      head.length >= 512 &&
      head[510] === 0x55 &&
      head[511] === 0xaa &&
      (text(82, 5) === 'FAT32' || text(54, 5) === 'FAT12' || text(54, 5) === 'FAT16' || text(54, 3) === 'FAT')
    );
  },
  superblock(head) {
    const fat32 = head.toString('latin1', 82, 87) === 'FAT32';
    return {
      volume_id: head
        .readUInt32LE(fat32 ? 67 : 39)
        .toString(16)
        .padStart(8, '0'),
      label: cString(head.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54)),
    };
  },
  extractor: {
    tool: 'mcopy',
    async extract(ctx, tool, image, region, dir) {
      const result = await runTool(
        ctx,
        tool,
        ['-s', '-p', '-m', '-n', '-Q', '-i', `${image}@@${region.offset}`, '::/*', `${dir}/`],
        { MTOOLS_SKIP_CHECK: '1', TZ: 'UTC' },
      );
      // An empty filesystem makes mcopy complain about "::/*" matching nothing.
      if (result.exitCode !== 0 && !/no match|not found/i.test(result.stderr))
        return toolFailure('mcopy', result);
      return undefined;
    },
    // FAT has no owners or permissions; mcopy cannot restore directory times.
    manifestOptions: { owners: false, modes: false, directoryMtime: false },
    ignore: ['uid', 'gid', 'mode', 'xattrs'],
    rootMtimeIsOurs: true,
  },
};
