import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a cache holds, summed up so that two states can be compared: every entry's path, type, mode,
 * size, link target and content hash, never timestamps (mkosi and apt touch files without changing
 * them, and a restore sets mtimes from the archive).
 */
export interface CacheManifest {
  /** sha256 over the sorted entry lines; equal digests mean equal content. */
  digest: string;
  files: number;
  bytes: number;
}

/**
 * Files that change on every run without changing what the cache holds: apt rewrites its binary package
 * caches from the lists each time it runs (and would rebuild them if they were missing).
 */
const REGENERATED = new Set(['pkgcache.bin', 'srcpkgcache.bin']);

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function entryLines(root: string, label: string): Promise<{ lines: string[]; bytes: number }> {
  const top = await lstat(root).catch(() => undefined);
  if (!top) return { lines: [], bytes: 0 };
  const paths = [root];
  if (top.isDirectory()) {
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      paths.push(path.join(entry.parentPath, entry.name));
    }
  }
  const lines: string[] = [];
  let bytes = 0;
  await forEachLimited(paths, 16, async (file) => {
    if (REGENERATED.has(path.basename(file))) return;
    const info = await lstat(file);
    const rel = path.join(label, path.relative(root, file));
    const mode = (info.mode & 0o7777).toString(8);
    const owner = `${info.uid}:${info.gid}`;
    if (info.isFile()) {
      bytes += info.size;
      lines.push(`f ${rel} ${mode} ${owner} ${info.size} ${await sha256(file)}`);
    } else if (info.isDirectory()) {
      lines.push(`d ${rel} ${mode} ${owner}`);
    } else if (info.isSymbolicLink()) {
      lines.push(`l ${rel} ${owner} ${await readlink(file)}`);
    } else {
      lines.push(`o ${rel} ${mode} ${owner} ${info.rdev}`);
    }
  });
  return { lines, bytes };
}

/** The manifest of a cache made of several paths (each may be missing, a file or a directory). */
export async function cacheManifest(paths: readonly string[]): Promise<CacheManifest> {
  const all: string[] = [];
  let bytes = 0;
  for (const [index, root] of paths.entries()) {
    const part = await entryLines(root, String(index));
    all.push(...part.lines);
    bytes += part.bytes;
  }
  all.sort();
  const hash = createHash('sha256');
  for (const line of all) hash.update(line + '\n');
  return { digest: hash.digest('hex'), files: all.length, bytes };
}
