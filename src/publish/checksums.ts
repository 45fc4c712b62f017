import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sha256File, type Artifact } from '../mkosi/outputs.js';
import { writeFileReplacing } from './safe-write.js';
import { LISTING_FILE, renderListing } from './tree-listing.js';

export { LISTING_FILE };

/** The files mkosi-ci itself writes next to the outputs; never listed in their own checksums. */
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.gpg';
export const PUBLIC_KEY_FILE = 'signing-key.asc';
export const PUBLICATION_FILES: readonly string[] = [
  CHECKSUMS_FILE,
  SIGNATURE_FILE,
  PUBLIC_KEY_FILE,
  LISTING_FILE,
];

/** One file that is published: its name relative to the output directory, and what it holds. */
export interface PublishedFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

/** GNU coreutils' escapes for a name in a checksum line: the backslash itself, line feed, carriage return. */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Readonly<Record<string, string>> = { '\\': '\\', n: '\n', r: '\r' };

/**
 * One line as GNU sha256sum writes it: `<sha256> *<name>`, and for a name with a backslash, line feed
 * or carriage return (systemd's unit names are full of `\x2d`) the same with those escaped and a
 * backslash before the line, which tells `sha256sum -c` to unescape the name.
 */
export function checksumLine(name: string, sha256: string): string {
  const escaped = name.replace(/[\\\n\r]/g, (c) => ESCAPES[c]!);
  return `${escaped === name ? '' : '\\'}${sha256} *${escaped}\n`;
}

/**
 * `<sha256> *<name>` lines, sorted by name: the format `sha256sum -c` reads and systemd-sysupdate
 * expects, with the binary-mode marker mkosi's own Checksum= writes.
 */
export function renderChecksums(files: readonly Pick<PublishedFile, 'name' | 'sha256'>[]): string {
  // Names are unique: no two compare equal, so `<` and `<=` sort alike.
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
  return sorted.map((f) => checksumLine(f.name, f.sha256)).join('');
}

/** Reads SHA256SUMS back (escaped lines too); a line it cannot read is left out. */
export function parseChecksums(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\\?)([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) continue;
    const name = match[1] ? match[3]!.replace(/\\(.)/g, (all, c: string) => UNESCAPES[c] ?? all) : match[3]!;
    entries.set(name, match[2]!);
  }
  return entries;
}

async function filesBelow(directory: string, prefix: string): Promise<PublishedFile[]> {
  const files: PublishedFile[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const name = path.join(prefix, path.relative(directory, file));
    files.push({ name, path: file, size: (await lstat(file)).size, sha256: await sha256File(file) });
  }
  return files;
}

/**
 * Every regular file among the build's outputs, with the hashes output discovery already took.
 * A directory output contributes each regular file below it (mkosi's Checksum= skips directories);
 * symlinks are aliases of files that are listed anyway, and a zip or a release cannot hold them.
 */
export async function publishedFiles(artifacts: readonly Artifact[]): Promise<PublishedFile[]> {
  const files: PublishedFile[] = [];
  for (const artifact of artifacts) {
    if (PUBLICATION_FILES.includes(artifact.name)) continue;
    if (artifact.type === 'file') {
      const sha256 = artifact.sha256 ?? (await sha256File(artifact.path));
      files.push({ name: artifact.name, path: artifact.path, size: artifact.size, sha256 });
    } else if (artifact.type === 'directory') {
      files.push(...(await filesBelow(artifact.path, artifact.name)));
    }
  }
  return files;
}

/** Every regular file in a directory (for `mkosi-ci publish`), except mkosi-ci's own publication files. */
export async function directoryFiles(directory: string): Promise<PublishedFile[]> {
  const files = await filesBelow(directory, '');
  return files.filter((f) => !PUBLICATION_FILES.includes(f.name));
}

/**
 * The names the tree listing covers when a directory is among the outputs: every published output
 * and report. Undefined when only regular files are published (SHA256SUMS says all there is then).
 */
export function listedNames(
  artifacts: readonly Artifact[],
  reports: readonly string[],
): string[] | undefined {
  const published = artifacts.filter(
    (a) => !PUBLICATION_FILES.includes(a.name) && (a.type === 'file' || a.type === 'directory'),
  );
  if (!published.some((a) => a.type === 'directory')) return undefined;
  return [...published.map((a) => a.name), ...reports];
}

/** For `mkosi-ci publish`: all of the directory, when it holds anything but regular files. */
export async function directoryListedNames(directory: string): Promise<string[] | undefined> {
  const entries = await readdir(directory, { withFileTypes: true });
  return entries.some((e) => !e.isFile() && !PUBLICATION_FILES.includes(e.name)) ? ['.'] : undefined;
}

/** Writes the tree listing of `published` into `directory`; the file, for SHA256SUMS to list. */
export async function writeTreeListing(
  directory: string,
  files: readonly PublishedFile[],
  published: readonly string[],
): Promise<PublishedFile> {
  const file = path.join(directory, LISTING_FILE);
  const text = await renderListing({
    root: directory,
    published,
    known: new Map(files.map((f) => [f.name, f.sha256])),
    companions: PUBLICATION_FILES,
  });
  await writeFileReplacing(file, text);
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { name: LISTING_FILE, path: file, size: Buffer.byteLength(text), sha256 };
}
