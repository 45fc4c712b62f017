import { createHash } from 'node:crypto';
import { access, constants, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { DEFAULT_MKOSI_RELEASE_URL, Input } from '../inputs.js';
import type { Log, ToolCache } from '../ports.js';
import { claimDirectory } from '../process/owned-directory.js';
import { checkReleaseSource, expectedSha256, releaseUrl, toolCacheVersion } from './release.js';

const TOOL = 'mkosi';
const TARBALL = 'mkosi.tar.gz';

export interface ReleaseSource {
  /** A tag (v27.1) or a full commit hash. */
  version: string;
  /** The URL with `{ref}` where the tag or commit goes. */
  urlTemplate: string;
  /** The user's checksum of the tarball, if given. */
  sha256: string | undefined;
}

export interface InstallDeps {
  toolCache: ToolCache;
  log: Log;
  /** This run's work directory: the release is unpacked under it. */
  workDir: string;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The tarball's bytes from the tool cache, when its entry is there and still matches its checksum. */
async function fromToolCache(
  deps: InstallDeps,
  source: ReleaseSource,
  expected: string,
): Promise<Buffer | undefined> {
  const dir = await deps.toolCache.find(TOOL, toolCacheVersion(source.version, expected));
  if (!dir) return undefined;
  const bytes = await readFile(path.join(dir, TARBALL)).catch(() => undefined);
  const actual = bytes && sha256(bytes);
  if (actual === expected) return bytes;
  deps.log.warning(
    `mkosi ${source.version}: the tool cache entry ${dir} does not have sha256 ${expected} (${actual ? `it has ${actual}` : 'its tarball is missing'}); downloading the release again.`,
  );
  return undefined;
}

/** Downloads the tarball and checks it; keeps it in the tool cache when a checksum pins it. */
async function download(
  deps: InstallDeps,
  source: ReleaseSource,
  expected: string | undefined,
): Promise<Buffer> {
  const url = releaseUrl(source.urlTemplate, source.version);
  deps.log.info(`Downloading mkosi ${source.version} from ${url}`);
  let file: string;
  try {
    file = await deps.toolCache.download(url);
  } catch (error) {
    // From GitHub the version is what can be wrong; from a mirror given in mkosi-release-url, the mirror too.
    const reason = (error as Error).message;
    throw new ConfigurationError(
      source.urlTemplate === DEFAULT_MKOSI_RELEASE_URL
        ? `Input ${Input.MkosiVersion}: could not download ${url} (${reason}); check that ${source.version} is an mkosi release tag or commit.`
        : `Input ${Input.MkosiReleaseUrl}: could not download ${url} (${reason}); check that ${source.urlTemplate} serves mkosi's source tarballs ({ref} becomes refs/tags/<tag> or the commit) and has ${source.version}.`,
      { cause: error },
    );
  }
  try {
    return await checkDownload(deps, source, { url, file }, expected);
  } finally {
    await rm(file, { force: true });
  }
}

async function checkDownload(
  deps: InstallDeps,
  source: ReleaseSource,
  { url, file }: { url: string; file: string },
  expected: string | undefined,
): Promise<Buffer> {
  const bytes = await readFile(file);
  const actual = sha256(bytes);
  if (expected && actual !== expected) {
    throw new ConfigurationError(
      `Input ${source.sha256 ? 'mkosi-sha256' : 'mkosi-version'}: the tarball from ${url} has sha256 ${actual}, expected ${expected}; refusing to run it.`,
    );
  }
  if (expected) {
    await deps.toolCache.cacheFile(file, TARBALL, TOOL, toolCacheVersion(source.version, expected));
  } else {
    deps.log.info(
      `mkosi ${source.version}: the tarball has sha256 ${actual}; set mkosi-sha256 to pin it (only a pinned tarball is kept in the tool cache).`,
    );
  }
  return bytes;
}

/**
 * mkosi from a release tarball, checked against its checksum on every use: the tool cache keeps the
 * tarball (under the exact ref and checksum), never a tree that could have been changed since, and
 * each run unpacks its own copy of the checked bytes into the work directory. Returns bin/mkosi.
 */
export async function installRelease(
  deps: InstallDeps,
  source: ReleaseSource,
): Promise<{ command: string; origin: string }> {
  checkReleaseSource(source.urlTemplate, source.version, source.sha256);
  const expected = expectedSha256(source.version, source.sha256);
  const cached = expected ? await fromToolCache(deps, source, expected) : undefined;
  const bytes = cached ?? (await download(deps, source, expected));
  const dir = await claimDirectory(path.join(deps.workDir, 'mkosi-release'));
  const tarball = path.join(dir, TARBALL);
  await writeFile(tarball, bytes, { flag: 'wx' });
  const extracted = await deps.toolCache.extractTar(tarball, path.join(dir, 'tree'));
  // GitHub's archives hold one top-level directory, mkosi-<version>/.
  const [top, ...rest] = (await readdir(extracted, { withFileTypes: true })).filter((e) => e.isDirectory());
  const root = top && rest.length === 0 ? path.join(extracted, top.name) : extracted;
  const command = path.join(root, 'bin', 'mkosi');
  if (
    !(await access(command, constants.X_OK).then(
      () => true,
      () => false,
    ))
  ) {
    throw new ConfigurationError(
      `Input mkosi-release-url: ${releaseUrl(source.urlTemplate, source.version)} is not an mkosi source tarball (no bin/mkosi).`,
    );
  }
  return { command, origin: `release ${source.version}${cached ? ' (tool cache)' : ''}` };
}
