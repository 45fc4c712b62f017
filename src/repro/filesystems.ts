import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult, Runner } from '../ports.js';
import { formatGuid } from './gpt.js';
import {
  manifestFromDirectory,
  type DirectoryManifestOptions,
  type ManifestEntry,
  type ManifestField,
} from './manifest.js';

/**
 * Reading a filesystem image (or a partition inside a disk image) into a manifest without mounting
 * it: the filesystem type from its superblock, then the host's tools to extract it into a temporary
 * directory that is walked and removed.
 */

export type FilesystemType =
  'ext4' | 'vfat' | 'btrfs' | 'xfs' | 'squashfs' | 'erofs' | 'swap' | 'luks' | 'verity' | 'unknown';

/** Enough of the start of a partition to find every superblock below (btrfs' is at 64 KiB). */
export const SUPERBLOCK_PROBE_BYTES = 65536 + 4096;

export function detectFilesystem(head: Buffer): FilesystemType {
  const u32 = (o: number): number | undefined => (head.length >= o + 4 ? head.readUInt32LE(o) : undefined);
  const text = (o: number, n: number): string =>
    head.length >= o + n ? head.toString('latin1', o, o + n) : '';
  if (head.length >= 1024 + 58 && head.readUInt16LE(1024 + 56) === 0xef53) return 'ext4';
  if (u32(1024) === 0xe0f5e1e2) return 'erofs';
  if (text(0, 4) === 'hsqs') return 'squashfs';
  if (text(0, 4) === 'XFSB') return 'xfs';
  if (text(65536 + 64, 8) === '_BHRfS_M') return 'btrfs';
  if (text(0, 6) === 'LUKS\xba\xbe') return 'luks';
  if (text(0, 8) === 'verity\0\0') return 'verity';
  if (text(4086, 10) === 'SWAPSPACE2') return 'swap';
  if (
    head.length >= 512 &&
    head[510] === 0x55 &&
    head[511] === 0xaa &&
    (text(82, 5) === 'FAT32' || text(54, 5) === 'FAT12' || text(54, 5) === 'FAT16' || text(54, 3) === 'FAT')
  ) {
    return 'vfat';
  }
  return 'unknown';
}

/** Reads the first bytes of a region of a file (a partition) for detection and superblock fields. */
export async function readHead(file: string, offset = 0, length = SUPERBLOCK_PROBE_BYTES): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const rawUuid = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const cString = (b: Buffer): string => b.toString('latin1').replace(/\0.*$/s, '').trimEnd();

/**
 * The superblock fields that commonly differ between two builds of the same content (UUIDs, hash
 * seeds, creation times, volume ids), to explain a partition whose files are all identical.
 */
export function superblockFields(head: Buffer, type: FilesystemType): Record<string, string | number> {
  try {
    switch (type) {
      case 'ext4': {
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
      }
      case 'vfat': {
        const fat32 = head.toString('latin1', 82, 87) === 'FAT32';
        return {
          volume_id: head
            .readUInt32LE(fat32 ? 67 : 39)
            .toString(16)
            .padStart(8, '0'),
          label: cString(head.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54)),
        };
      }
      case 'squashfs':
        return {
          mkfs_time: head.readUInt32LE(8),
          inodes: head.readUInt32LE(4),
          bytes_used: Number(head.readBigUInt64LE(40)),
        };
      case 'erofs': {
        const sb = head.subarray(1024, 1152);
        return {
          uuid: rawUuid(sb.subarray(48, 64)),
          build_time: Number(sb.readBigUInt64LE(16)),
          inodes: Number(sb.readBigUInt64LE(8)),
          checksum: sb.readUInt32LE(4),
        };
      }
      case 'btrfs': {
        const sb = head.subarray(65536, 65536 + 4096);
        return { fsid: rawUuid(sb.subarray(32, 48)), generation: Number(sb.readBigUInt64LE(72)) };
      }
      case 'xfs':
        return { uuid: rawUuid(head.subarray(32, 48)) };
      case 'luks':
        return { uuid: cString(head.subarray(168, 208)) };
      case 'verity':
        return { uuid: formatGuid(head.subarray(16, 32)), salt_size: head.readUInt16LE(78) };
      default:
        return {};
    }
  } catch {
    return {};
  }
}

/** How to start a program: the command and the arguments that come before the program's own. */
export interface ToolCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Finds the programs the readers need. */
export interface ToolBox {
  find(name: string): Promise<ToolCommand | undefined>;
}

/** Programs on the host's PATH. */
export function hostToolBox(runner: Runner): ToolBox {
  return {
    async find(name) {
      const found = await runner.which(name);
      return found ? { command: found, args: [] } : undefined;
    },
  };
}

const LOADERS = [
  'lib64/ld-linux-x86-64.so.2',
  'lib/ld-linux-aarch64.so.1',
  'lib/ld-linux-riscv64-lp64d.so.1',
  'lib/ld-linux.so.2',
];

/**
 * Programs of an mkosi tools tree (a directory holding a distribution), run on the host through the
 * tree's own dynamic loader and libraries so that no chroot or mount is needed. Falls back to
 * `fallback` (e.g. the host) for what the tree does not have. Good for self-contained programs
 * (mtools, squashfs-tools, erofs-utils, cpio), not for programs that start others.
 */
export function toolsTreeToolBox(tree: string, fallback?: ToolBox): ToolBox {
  const loader = LOADERS.map((l) => path.join(tree, l)).find((l) => existsSync(l));
  const libraryPath = loader ? path.dirname(realpathSync(loader)) : undefined;
  return {
    async find(name) {
      if (loader && libraryPath) {
        for (const dir of ['usr/bin', 'usr/sbin', 'bin', 'sbin']) {
          const program = path.join(tree, dir, name);
          if (existsSync(program)) {
            return { command: loader, args: ['--library-path', libraryPath, program] };
          }
        }
      }
      return await fallback?.find(name);
    },
  };
}

/** The first ToolBox that has the program. */
export function chainToolBoxes(...boxes: ToolBox[]): ToolBox {
  return {
    async find(name) {
      for (const box of boxes) {
        const found = await box.find(name);
        if (found) return found;
      }
      return undefined;
    },
  };
}

export interface ReadContext {
  runner: Runner;
  tools: ToolBox;
  /** Where temporary extractions go; each is removed when its manifest is read. */
  tmpDir: string;
  /** Per tool run (default 10 minutes). */
  timeoutMs?: number;
}

export interface FilesystemManifest {
  type: FilesystemType;
  /** False when no reader (or no tool) exists for the type: `reason` says why. */
  supported: boolean;
  reason?: string;
  /** The program that read it, e.g. "debugfs". */
  tool?: string;
  entries: ManifestEntry[];
  /** Fields this reader cannot know or cannot keep; leave them out of the comparison. */
  ignore: ManifestField[];
}

export interface Region {
  offset: number;
  size: number;
}

async function runTool(
  ctx: ReadContext,
  tool: ToolCommand,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return await ctx.runner.run(tool.command, [...tool.args, ...args], {
    stream: false,
    timeoutMs: ctx.timeoutMs ?? 10 * 60_000,
    env: { ...tool.env, ...env },
  });
}

function failure(tool: string, result: RunResult): string {
  if (result.timedOut) return `${tool} timed out`;
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
  return `${tool} exited with ${result.signal ?? result.exitCode}${tail ? `: ${tail}` : ''}`;
}

interface Extractor {
  tool: string;
  /** Fills `dir` with the filesystem's files; throws or returns an error string. */
  extract(
    ctx: ReadContext,
    tool: ToolCommand,
    image: string,
    region: Region,
    dir: string,
  ): Promise<string | undefined>;
  manifestOptions: DirectoryManifestOptions;
  ignore: ManifestField[];
  /** The tool wants a target directory that does not exist yet: extract into `<dir>/root`. */
  subdir?: boolean;
}

const EXTRACTORS: Partial<Record<FilesystemType, Extractor>> = {
  ext4: {
    tool: 'debugfs',
    // e2fsprogs opens "file?offset=N" through its unix I/O manager; rdump keeps modes, owners
    // (when run as root) and times of files and directories, not of symlinks, and skips devices.
    async extract(ctx, tool, image, region, dir) {
      const source = region.offset ? `${image}?offset=${region.offset}` : image;
      const result = await runTool(ctx, tool, ['-R', `rdump / "${dir}"`, source]);
      if (result.exitCode !== 0 || result.timedOut) return failure('debugfs', result);
      // debugfs exits 0 even when it cannot open the filesystem; its errors read "... while ...".
      const errors = result.stderr.split('\n').filter((l) => /while |bad magic|error/i.test(l));
      return errors.length > 0 ? errors.slice(0, 3).join(' / ') : undefined;
    },
    manifestOptions: { symlinkMtime: false },
    ignore: ['xattrs'],
  },
  vfat: {
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
        return failure('mcopy', result);
      return undefined;
    },
    // FAT has no owners or permissions; mcopy cannot restore directory times.
    manifestOptions: { owners: false, modes: false, directoryMtime: false },
    ignore: ['uid', 'gid', 'mode', 'xattrs'],
  },
  squashfs: {
    tool: 'unsquashfs',
    async extract(ctx, tool, image, region, dir) {
      const target = path.join(dir, 'root');
      const result = await runTool(ctx, tool, [
        '-no-progress',
        '-quiet',
        '-no-xattrs',
        '-offset',
        String(region.offset),
        '-d',
        target,
        image,
      ]);
      return result.exitCode === 0 ? undefined : failure('unsquashfs', result);
    },
    manifestOptions: {},
    ignore: ['xattrs'],
    subdir: true,
  },
  erofs: {
    tool: 'fsck.erofs',
    async extract(ctx, tool, image, region, dir) {
      const target = path.join(dir, 'root');
      const result = await runTool(ctx, tool, [
        `--offset=${region.offset}`,
        `--extract=${target}`,
        '--preserve',
        '--no-xattrs',
        image,
      ]);
      return result.exitCode === 0 ? undefined : failure('fsck.erofs', result);
    },
    manifestOptions: {},
    ignore: ['xattrs'],
    subdir: true,
  },
};

/** Types whose content is not a tree of files: compared by bytes and superblock only. */
const NO_FILES: readonly FilesystemType[] = ['swap', 'luks', 'verity'];

export interface Extraction {
  fs: FilesystemManifest;
  /** The directory holding the extracted files (the manifest's "/"), until `cleanup`. */
  root?: string;
  cleanup(): Promise<void>;
}

/**
 * Extracts a filesystem (at `region` of `image`) into a temporary directory and reads its manifest.
 * The caller keeps the files until `cleanup()` (to look into changed files) and must call it.
 */
export async function extractFilesystem(
  ctx: ReadContext,
  image: string,
  region: Region,
  type?: FilesystemType,
): Promise<Extraction> {
  const fsType = type ?? detectFilesystem(await readHead(image, region.offset));
  const none = async (): Promise<void> => {};
  if (NO_FILES.includes(fsType)) {
    return {
      fs: { type: fsType, supported: false, reason: `${fsType} holds no files`, entries: [], ignore: [] },
      cleanup: none,
    };
  }
  const extractor = EXTRACTORS[fsType];
  if (!extractor) {
    return {
      fs: {
        type: fsType,
        supported: false,
        reason: `no reader for ${fsType} filesystems`,
        entries: [],
        ignore: [],
      },
      cleanup: none,
    };
  }
  const tool = await ctx.tools.find(extractor.tool);
  if (!tool) {
    return {
      fs: {
        type: fsType,
        supported: false,
        reason: `${extractor.tool} is not installed (needed to read ${fsType})`,
        entries: [],
        ignore: [],
      },
      cleanup: none,
    };
  }
  const dir = await mkdtemp(path.join(ctx.tmpDir, `fs-${fsType}-`));
  const cleanup = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const error = await extractor.extract(ctx, tool, image, region, dir);
    if (error) {
      await cleanup();
      return {
        fs: { type: fsType, supported: false, reason: error, tool: extractor.tool, entries: [], ignore: [] },
        cleanup: none,
      };
    }
    const root = extractor.subdir ? path.join(dir, 'root') : dir;
    const entries = await manifestFromDirectory(root, extractor.manifestOptions);
    // The extraction directory is ours, not the filesystem's: its root's metadata means nothing.
    const top = entries[0];
    if (top?.path === '/' && fsType === 'vfat') {
      delete top.mtime;
    }
    return {
      fs: { type: fsType, supported: true, tool: extractor.tool, entries, ignore: extractor.ignore },
      root,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The manifest of a filesystem image or partition; the extraction is removed before returning. */
export async function readFilesystemManifest(
  ctx: ReadContext,
  image: string,
  region: Region,
  type?: FilesystemType,
): Promise<FilesystemManifest> {
  const extraction = await extractFilesystem(ctx, image, region, type);
  await extraction.cleanup();
  return extraction.fs;
}
