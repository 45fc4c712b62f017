import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { outputFileName, type ImageConfig, type MkosiConfig } from './config.js';

export type OutputKind =
  | 'image'
  | 'partition'
  | 'uki'
  | 'kernel'
  | 'initrd'
  | 'manifest'
  | 'changelog'
  | 'checksum'
  | 'signature'
  | 'roothash'
  | 'pcrs'
  | 'os-release'
  | 'nspawn-settings'
  | 'repart-definitions'
  | 'kernel-modules-initrd'
  | 'tar'
  | 'link'
  | 'other';

export type EntryType = 'file' | 'directory' | 'symlink';

export interface DirectoryEntry {
  name: string;
  type: EntryType;
}

export interface OutputEntry extends DirectoryEntry {
  /** The image ("main" or a subimage) that produced it. */
  image: string;
  kind: OutputKind;
}

/** Suffixes after "<Output>." that mkosi gives its extra outputs (see mkosi's Config.output_* names). */
const SUFFIX_KINDS: ReadonlyArray<[string, OutputKind]> = [
  ['SHA256SUMS.gpg', 'signature'],
  ['SHA256SUMS', 'checksum'],
  ['efi', 'uki'],
  ['vmlinuz', 'kernel'],
  ['initrd', 'initrd'],
  ['manifest', 'manifest'],
  ['changelog', 'changelog'],
  ['roothash', 'roothash'],
  ['usrhash', 'roothash'],
  ['pcrs', 'pcrs'],
  ['osrelease', 'os-release'],
  ['nspawn', 'nspawn-settings'],
  ['repart.d', 'repart-definitions'],
  ['kernel-modules-initrd', 'kernel-modules-initrd'],
];

const COMPRESSION_SUFFIXES = ['zst', 'xz', 'gz', 'bz2', 'lz4', 'lzma'];

function stripCompression(suffix: string): string {
  for (const ext of COMPRESSION_SUFFIXES) {
    if (suffix.endsWith(`.${ext}`)) return suffix.slice(0, -ext.length - 1);
  }
  return suffix;
}

/**
 * Picks one image's outputs out of a directory listing and says what each is. Only names mkosi
 * derives from the image's Output= are taken, so other files in a shared directory are left out.
 */
export function classifyOutputs(image: ImageConfig, entries: readonly DirectoryEntry[]): OutputEntry[] {
  const main = outputFileName(image);
  const prefix = `${image.output}.`;
  const result: OutputEntry[] = [];
  for (const entry of entries) {
    let kind: OutputKind | undefined;
    if (entry.name === main) {
      kind = 'image';
    } else if (entry.name === image.output) {
      // mkosi links <Output> to the main output (image -> image.raw); a directory output is <Output> itself.
      kind = entry.type === 'symlink' ? 'link' : 'image';
    } else if (entry.name.startsWith(prefix)) {
      const suffix = entry.name.slice(prefix.length);
      const bare = stripCompression(suffix);
      kind = SUFFIX_KINDS.find(([s]) => s === suffix || s === bare)?.[1];
      if (!kind && bare === 'tar') kind = 'tar';
      // Split partitions from systemd-repart: <Output>.<partition-type>.raw, e.g. image.root-x86-64.raw.
      if (!kind && /^[a-z0-9-]+(\.[a-z0-9-]+)?\.raw$/.test(bare)) kind = 'partition';
      kind ??= 'other';
    }
    if (kind) result.push({ ...entry, image: image.image, kind });
  }
  const order = (e: OutputEntry): number => (e.kind === 'image' ? 0 : 1);
  return result.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

export interface Artifact {
  /** Path relative to the output directory. */
  name: string;
  path: string;
  image: string;
  kind: OutputKind;
  type: EntryType;
  /** Bytes; for a directory, the sum of its regular files. */
  size: number;
  /** sha256 of a regular file; null for directories and symlinks. */
  sha256: string | null;
  /** For a symlink, where it points. */
  target?: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      total += (await lstat(path.join(entry.parentPath, entry.name))).size;
    }
  }
  return total;
}

async function listDirectory(dir: string): Promise<DirectoryEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.map((e) => ({
    name: e.name,
    type: e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'directory' : 'file',
  }));
}

/** The directory mkosi writes outputs to: OutputDirectory=, else the project directory. */
export function outputDirectory(config: MkosiConfig, projectDirectory: string): string {
  const dir = config.main.outputDirectory;
  return dir ? path.resolve(projectDirectory, dir) : projectDirectory;
}

/** Every output of every image, with size and sha256, main image first. */
export async function discoverArtifacts(config: MkosiConfig, projectDirectory: string): Promise<Artifact[]> {
  const listings = new Map<string, DirectoryEntry[]>();
  const artifacts: Artifact[] = [];
  for (const image of [...config.images].reverse()) {
    const dir = image.outputDirectory
      ? path.resolve(projectDirectory, image.outputDirectory)
      : projectDirectory;
    if (!listings.has(dir)) listings.set(dir, await listDirectory(dir).catch(() => []));
    for (const entry of classifyOutputs(image, listings.get(dir)!)) {
      const file = path.join(dir, entry.name);
      const artifact: Artifact = {
        name: entry.name,
        path: file,
        image: entry.image,
        kind: entry.kind,
        type: entry.type,
        size: 0,
        sha256: null,
      };
      if (entry.type === 'symlink') {
        artifact.target = await readlink(file);
      } else if (entry.type === 'directory') {
        artifact.size = await directorySize(file);
      } else {
        artifact.size = (await lstat(file)).size;
        artifact.sha256 = await sha256File(file);
      }
      artifacts.push(artifact);
    }
  }
  return artifacts;
}
