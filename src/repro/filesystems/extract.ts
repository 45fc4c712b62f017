import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { readHead } from '../bytes.js';
import { manifestFromDirectory } from '../directory-manifest.js';
import { addExtractedXattrs } from '../extracted-xattrs.js';
import type { ManifestEntry, ManifestField } from '../manifest.js';
import type { ReadContext } from '../toolbox.js';
import type { FilesystemType, Region } from './format.js';
import { detectFilesystem, filesystemFormat } from './formats.js';

/**
 * Reading a filesystem image (or a partition inside a disk image) into a manifest without mounting
 * it: the filesystem type from its superblock, then the host's tools to extract it into a temporary
 * directory that is walked and removed.
 */

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

export interface Extraction {
  fs: FilesystemManifest;
  /** The directory holding the extracted files (the manifest's "/"), until `cleanup`. */
  root?: string;
  cleanup(): Promise<void>;
}

const nothingToClean = async (): Promise<void> => {};

function unread(type: FilesystemType, reason: string, tool?: string): Extraction {
  const fs: FilesystemManifest = { type, supported: false, reason, entries: [], ignore: [] };
  if (tool) fs.tool = tool;
  return { fs, cleanup: nothingToClean };
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
  const format = filesystemFormat(fsType);
  if (format?.holdsNoFiles) return unread(fsType, `${fsType} holds no files`);
  const extractor = format?.extractor;
  if (!extractor) return unread(fsType, `no reader for ${fsType} filesystems`);
  const tool = await ctx.tools.find(extractor.tool);
  if (!tool) return unread(fsType, `${extractor.tool} is not installed (needed to read ${fsType})`);
  const dir = await mkdtemp(path.join(ctx.tmpDir, `fs-${fsType}-`));
  const cleanup = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let xattrs = extractor.xattrs === true;
    let error = await extractor.extract(ctx, tool, image, region, dir, xattrs);
    if (error && xattrs) {
      // Most likely an attribute this process may not set: extract again without any.
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      xattrs = false;
      error = await extractor.extract(ctx, tool, image, region, dir, xattrs);
    }
    if (error) {
      await cleanup();
      return unread(fsType, error, extractor.tool);
    }
    const root = extractor.subdir ? path.join(dir, 'root') : dir;
    const entries = await manifestFromDirectory(root, extractor.manifestOptions);
    const top = entries[0];
    if (top?.path === '/' && extractor.rootMtimeIsOurs) delete top.mtime;
    if (xattrs) xattrs = await addExtractedXattrs(ctx, root, entries);
    const ignore: ManifestField[] =
      extractor.xattrs && !xattrs ? [...extractor.ignore, 'xattrs'] : extractor.ignore;
    return {
      fs: { type: fsType, supported: true, tool: extractor.tool, entries, ignore },
      root,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
