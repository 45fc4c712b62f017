import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sha256File, type Artifact } from '../mkosi/outputs.js';

/** The files mkosi-ci itself writes next to the outputs; never listed in their own checksums. */
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.gpg';
export const PUBLIC_KEY_FILE = 'signing-key.asc';
export const PUBLICATION_FILES: readonly string[] = [CHECKSUMS_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE];

/** One file that is published: its name relative to the output directory, and what it holds. */
export interface PublishedFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

/**
 * `<sha256> *<name>` lines, sorted by name: the format `sha256sum -c` reads and systemd-sysupdate
 * expects, with the binary-mode marker mkosi's own Checksum= writes.
 */
export function renderChecksums(files: readonly Pick<PublishedFile, 'name' | 'sha256'>[]): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.map((f) => `${f.sha256} *${f.name}\n`).join('');
}

/** A line `sha256sum -c` could not read back unambiguously (a newline or backslash in the name). */
export function unrepresentableName(name: string): boolean {
  return /[\n\r\\]/.test(name);
}

export function parseChecksums(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match) entries.set(match[2]!, match[1]!);
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
    if (artifact.type === 'file' && artifact.sha256) {
      files.push({ name: artifact.name, path: artifact.path, size: artifact.size, sha256: artifact.sha256 });
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
