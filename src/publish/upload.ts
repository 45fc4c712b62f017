import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type {
  ArtifactStore,
  PublishedRelease,
  ReleaseAsset,
  ReleaseStore,
  UploadedArtifact,
} from '../ports.js';
import type { PublishedFile } from './checksums.js';
import { compressionLevel, isCompressedFile } from './compression.js';

export interface ArtifactUploadResult extends UploadedArtifact {
  name: string;
  files: number;
  /** Bytes of the files before zipping. */
  bytes: number;
  compressionLevel: number;
  durationMs: number;
}

function commonDirectory(files: readonly string[]): string {
  let common = path.dirname(files[0]!);
  for (const file of files) {
    while (!file.startsWith(common + path.sep) && common !== path.dirname(common))
      common = path.dirname(common);
  }
  return common;
}

/** Uploads the image set as one artifact, zipped at the level its content pays for. */
export async function uploadArtifact(
  store: ArtifactStore,
  upload: { name: string; retentionDays: number | undefined },
  files: readonly PublishedFile[],
  ownFiles: readonly string[],
): Promise<ArtifactUploadResult> {
  const paths = [...files.map((f) => f.path), ...ownFiles];
  const sized = await Promise.all(
    files.map(async (f) => ({ size: f.size, compressed: await isCompressedFile(f.path) })),
  );
  const level = compressionLevel(sized);
  const started = Date.now();
  const uploaded = await store.upload({
    name: upload.name,
    files: paths,
    rootDirectory: commonDirectory(paths),
    retentionDays: upload.retentionDays,
    compressionLevel: level,
  });
  return {
    ...uploaded,
    name: upload.name,
    files: paths.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    compressionLevel: level,
    durationMs: Date.now() - started,
  };
}

/** Attaches the files to the release of `tag`; a release has no folders, so names must not clash. */
export async function publishRelease(
  store: ReleaseStore,
  tag: string,
  files: readonly PublishedFile[],
  ownFiles: readonly string[],
): Promise<PublishedRelease> {
  const assets: ReleaseAsset[] = [
    ...files.map((f) => ({ name: path.basename(f.name), path: f.path, size: f.size })),
    ...(await Promise.all(
      ownFiles.map(async (f) => ({ name: path.basename(f), path: f, size: (await lstat(f)).size })),
    )),
  ];
  const clash = assets.find((a, i) => assets.findIndex((b) => b.name === a.name) !== i);
  if (clash) {
    throw new ConfigurationError(
      `Input ${Input.Release}: two files would both be the release asset '${clash.name}' (a release has no folders); a directory image cannot be a release asset: use Format=tar or disk.`,
    );
  }
  return store.publish(tag, assets);
}
