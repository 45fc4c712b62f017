import { lstat, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { MkosiConfig } from '../mkosi/config.js';
import { sha256File } from '../mkosi/outputs.js';
import type { UploadedArtifact, PublishedRelease } from '../ports.js';
import { renderArtifactName, type ArtifactNameFields } from '../publish/artifact-name.js';
import {
  CHECKSUMS_FILE,
  LISTING_FILE,
  PUBLIC_KEY_FILE,
  SIGNATURE_FILE,
  directoryFiles,
  directoryListedNames,
  listedNames,
  parseChecksums,
  publishedFiles,
  renderChecksums,
  writeTreeListing,
  type PublishedFile,
} from '../publish/checksums.js';
import { copyFileReplacing, writeFileReplacing } from '../publish/safe-write.js';
import { compressionLevel, isCompressedFile } from '../publish/compression.js';
import { secretLines, ThrowawayKeyring, verifySignature, type SigningKey } from '../publish/gpg.js';
import type { BuildResult } from './build.js';
import type { Context, Trigger } from './context.js';
import { Input } from './inputs.js';
import type { PublishOptions, Tristate } from './options.js';

export interface Signature {
  file: string;
  publicKeyFile: string;
  key: SigningKey;
  /** gpgv's verdict on the signature, checked against the exported public key alone. */
  verification: string;
}

export interface ArtifactUploadResult extends UploadedArtifact {
  name: string;
  files: number;
  /** Bytes of the files before zipping. */
  bytes: number;
  compressionLevel: number;
  durationMs: number;
}

export interface PublishResult {
  directory: string;
  checksumsFile: string;
  /** The mtree listing of a published tree (SHA256SUMS lists it too), when a directory is published. */
  listingFile?: string;
  /** What SHA256SUMS lists. */
  files: PublishedFile[];
  signature?: Signature;
  artifact?: ArtifactUploadResult;
  release?: PublishedRelease;
  /** Why an upload or release that could have happened did not, one line each. */
  notes: string[];
}

/** Workflow events whose outputs are worth keeping by default: pushed branches and tags, releases. */
const UPLOAD_EVENTS = new Set(['push', 'release']);

export function shouldUpload(upload: Tristate, trigger: Trigger): boolean {
  if (upload === 'auto') return trigger.event !== undefined && UPLOAD_EVENTS.has(trigger.event);
  return upload === 'yes';
}

/** The tag whose release gets the assets, or why there is none. */
export function releaseTag(options: PublishOptions, trigger: Trigger): { tag?: string; note?: string } {
  switch (options.release.kind) {
    case 'none':
      return {};
    case 'tag':
      return { tag: options.release.tag };
    case 'current-tag':
      return trigger.tag
        ? { tag: trigger.tag }
        : { note: `${Input.Release}: true, but this run is not for a tag: no release.` };
  }
}

export function artifactNameFields(config: MkosiConfig, profiles: readonly string[]): ArtifactNameFields {
  const main = config.main;
  return {
    image: main.imageId ?? main.output,
    version: main.imageVersion ?? '',
    distribution: main.distribution,
    release: main.release,
    architecture: main.architecture,
    profiles: profiles.join('+'),
  };
}

/**
 * Writes SHA256SUMS over `files` into `directory` (and, when `listed` names what is published and a
 * directory is among it, the tree listing, which SHA256SUMS lists too) and, given a key, signs it and
 * checks the signature. Nothing there is written through: see safe-write.ts.
 */
export async function writeChecksums(
  ctx: Context,
  options: PublishOptions,
  directory: string,
  files: PublishedFile[],
  listed?: readonly string[],
): Promise<Pick<PublishResult, 'checksumsFile' | 'listingFile' | 'signature'>> {
  // A signature or listing of an earlier run must not sit next to this run's SHA256SUMS (unlinked, never followed).
  for (const stale of [SIGNATURE_FILE, PUBLIC_KEY_FILE, LISTING_FILE])
    await rm(path.join(directory, stale), { force: true });
  const listing = listed && (await writeTreeListing(directory, files, listed));
  const checksumsFile = path.join(directory, CHECKSUMS_FILE);
  const text = renderChecksums(listing ? [...files, listing] : files);
  await writeFileReplacing(checksumsFile, text);
  ctx.log.info(
    `SHA256SUMS: ${files.length} files, in ${checksumsFile}${listing ? `; the tree in ${listing.path}` : ''}`,
  );
  const written = { checksumsFile, ...(listing ? { listingFile: listing.path } : {}) };
  if (!options.signKey) return written;
  return { ...written, signature: await sign(ctx, options, checksumsFile, text) };
}

async function sign(
  ctx: Context,
  options: PublishOptions,
  checksumsFile: string,
  text: string,
): Promise<Signature> {
  const armoredKey = options.signKey!;
  for (const line of secretLines(armoredKey)) ctx.log.mask(line);
  ctx.log.mask(armoredKey);
  if (options.signPassphrase) ctx.log.mask(options.signPassphrase);
  const directory = path.dirname(checksumsFile);
  const keyring = await ThrowawayKeyring.create(ctx.runner);
  try {
    const key = await keyring.importSigningKey(armoredKey);
    // Signed and checked in the keyring's private directory, over the text just written, then copied
    // into place: what is in the output directory may have been swapped or be a planted link.
    const own = (name: string): string => path.join(keyring.home, name);
    await writeFileReplacing(own(CHECKSUMS_FILE), text);
    await keyring.sign(own(CHECKSUMS_FILE), own(SIGNATURE_FILE), key, options.signPassphrase);
    const publicKeyring = path.join(keyring.home, 'public.gpg');
    await keyring.exportPublicKey(key, own(PUBLIC_KEY_FILE), publicKeyring);
    // Checked with the public key alone, as whoever downloads the files will check it.
    const check = await verifySignature(ctx.runner, publicKeyring, own(SIGNATURE_FILE), own(CHECKSUMS_FILE));
    if (!check.valid) throw new Error(`The new signature of SHA256SUMS does not verify: ${check.message}`);
    const file = path.join(directory, SIGNATURE_FILE);
    const publicKeyFile = path.join(directory, PUBLIC_KEY_FILE);
    await copyFileReplacing(own(SIGNATURE_FILE), file);
    await copyFileReplacing(own(PUBLIC_KEY_FILE), publicKeyFile);
    ctx.log.info(
      `SHA256SUMS.gpg: signed by ${key.fingerprint}${key.userId ? ` (${key.userId})` : ''}; ${check.message}`,
    );
    return { file, publicKeyFile, key, verification: check.message };
  } finally {
    await keyring.remove();
  }
}

/**
 * What `sha256sum -c` does, over what is about to leave the machine: SHA256SUMS read back from disk and
 * every file hashed again, so nothing changed since it was listed. (OpenSSL's sha256 in node runs about
 * three times as fast here as coreutils' own.)
 */
async function verifyChecksums(checksumsFile: string): Promise<void> {
  const listed = parseChecksums(await readFile(checksumsFile, 'utf8'));
  const changed: string[] = [];
  for (const [name, sha256] of listed) {
    const actual = await sha256File(path.join(path.dirname(checksumsFile), name)).catch(() => 'missing');
    if (actual !== sha256) changed.push(actual === 'missing' ? `${name} (missing)` : name);
  }
  if (changed.length > 0) {
    throw new Error(
      `Outputs changed after SHA256SUMS was written, so nothing was uploaded: ${changed.slice(0, 5).join(', ')}`,
    );
  }
}

function commonDirectory(files: readonly string[]): string {
  let common = path.dirname(files[0]!);
  for (const file of files) {
    while (!file.startsWith(common + path.sep) && common !== path.dirname(common))
      common = path.dirname(common);
  }
  return common;
}

/** A report of this run (the reproducibility report) that is published with the outputs. */
export interface ReportFile {
  /** Its name in the output directory. */
  name: string;
  path: string;
}

/** Copies the reports next to the outputs, so SHA256SUMS, the artifact and the release carry them too. */
async function reportFiles(directory: string, reports: readonly ReportFile[]): Promise<PublishedFile[]> {
  const files: PublishedFile[] = [];
  for (const report of reports) {
    const file = path.join(directory, report.name);
    await copyFileReplacing(report.path, file);
    files.push({
      name: report.name,
      path: file,
      size: (await lstat(file)).size,
      sha256: await sha256File(file),
    });
  }
  return files;
}

/**
 * The publish stage: SHA256SUMS (signed when a key is given) over every output file, then the upload
 * of the image set as a workflow artifact and the assets of a release, each when asked for.
 */
export async function publish(
  ctx: Context,
  options: PublishOptions,
  build: BuildResult,
  profiles: readonly string[],
  reports: readonly ReportFile[] = [],
): Promise<PublishResult> {
  const directory = build.outputDirectory;
  const files = [...(await publishedFiles(build.artifacts)), ...(await reportFiles(directory, reports))];
  const listed = listedNames(
    build.artifacts,
    reports.map((r) => r.name),
  );
  const written = await writeChecksums(ctx, options, directory, files, listed);
  const result: PublishResult = { directory, files, notes: [], ...written };
  const ownFiles = [
    written.checksumsFile,
    written.listingFile,
    written.signature?.file,
    written.signature?.publicKeyFile,
  ].filter((f): f is string => f !== undefined);

  const upload = shouldUpload(options.upload, ctx.trigger);
  const { tag, note } = releaseTag(options, ctx.trigger);
  if (note) result.notes.push(note);
  if (!upload && !tag) return result;

  await verifyChecksums(written.checksumsFile);
  if (upload) {
    if (!ctx.artifacts) {
      if (options.upload === 'yes') {
        throw new ConfigurationError(
          `Input ${Input.Upload}: true, but there is no artifact service here (it needs GitHub Actions' ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL); the files are in ${directory}.`,
        );
      }
      result.notes.push(`${Input.Upload}: no artifact service here; nothing uploaded.`);
    } else {
      const name = renderArtifactName(options.artifactName, artifactNameFields(build.config, profiles));
      const paths = [...files.map((f) => f.path), ...ownFiles];
      const sized = await Promise.all(
        files.map(async (f) => ({ size: f.size, compressed: await isCompressedFile(f.path) })),
      );
      const level = compressionLevel(sized);
      const started = Date.now();
      const uploaded = await ctx.artifacts.upload({
        name,
        files: paths,
        rootDirectory: commonDirectory(paths),
        retentionDays: options.retentionDays,
        compressionLevel: level,
      });
      result.artifact = {
        ...uploaded,
        name,
        files: paths.length,
        bytes: files.reduce((sum, f) => sum + f.size, 0),
        compressionLevel: level,
        durationMs: Date.now() - started,
      };
    }
  }
  if (tag) {
    if (!ctx.releases) {
      throw new ConfigurationError(
        `Input ${Input.Release}: releases need GitHub Actions (GITHUB_REPOSITORY, GITHUB_API_URL) and ${Input.GithubToken}.`,
      );
    }
    const assets = [
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
    result.release = await ctx.releases.publish(tag, assets);
  }
  return result;
}

/** `mkosi-ci publish`: SHA256SUMS (and its signature) over every file already in a directory. */
export async function publishDirectory(
  ctx: Context,
  options: PublishOptions,
  directory: string,
): Promise<PublishResult> {
  const files = await directoryFiles(directory).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigurationError(
      `Cannot read the output directory ${directory}: ${error.code ?? error.message}`,
    );
  });
  if (files.length === 0) {
    throw new ConfigurationError(`The output directory ${directory} holds no files to publish.`);
  }
  const written = await writeChecksums(ctx, options, directory, files, await directoryListedNames(directory));
  return { directory, files, notes: [], ...written };
}
