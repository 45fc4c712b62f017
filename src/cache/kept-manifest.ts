import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheName } from './keys.js';
import type { FileHash } from './manifest.js';

/**
 * The restore-time manifest's file hashes, kept in the run's work directory from the restore (main) to
 * the change check (post): too large for the step's state, and only a shortcut, so anything missing
 * or malformed means reading every file again, never taking a file as unchanged. Whoever could
 * forge it could only make a changed cache look unchanged (not saved), never put anything into one.
 */

/** Writes the restore-time file hashes for the change check; undefined (a full check) when it cannot. */
export async function keepManifest(
  workDir: string,
  name: CacheName,
  hashes: Record<string, FileHash>,
): Promise<string | undefined> {
  const file = path.join(workDir, 'cache-manifests', `${name}.json`);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(hashes));
    return file;
  } catch {
    return undefined;
  }
}

/** The hashes keepManifest wrote; none (every file read again) when missing or not of that shape. */
export async function keptManifest(file: string | undefined): Promise<Record<string, FileHash>> {
  if (!file) return {};
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const hashes: Record<string, FileHash> = Object.create(null) as Record<string, FileHash>;
    for (const [name, value] of Object.entries(parsed)) {
      if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
        hashes[name] = value as FileHash;
      }
    }
    return hashes;
  } catch {
    return {};
  }
}
