import { extractFilesystem, type FilesystemManifest } from '../../src/repro/filesystems/extract.js';
import type { FilesystemType, Region } from '../../src/repro/filesystems/format.js';
import type { ReadContext } from '../../src/repro/toolbox.js';

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
