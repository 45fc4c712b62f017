import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CacheStore, Runner } from '../ports.js';

const EXTENSION = '.tar.zst';
/**
 * zstd on every core. Not @actions/cache's --long=30 as well: on the 676 MiB tools tree it made the
 * archive 17% smaller but the save twice as slow (bench/cache-restore.mjs), which a local store does
 * not need; the restore decompresses with --long=30, which reads either.
 */
const COMPRESSOR = 'zstd -T0';

/** Entries for other members never match, as with actions/cache's version. */
function membersTag(members: readonly string[]): string {
  return createHash('sha256').update(members.join('\n')).digest('hex').slice(0, 12);
}

/** The file name of an entry in the store. */
export function entryName(key: string, members: readonly string[]): string {
  return `${key}~${membersTag(members)}${EXTENSION}`;
}

async function lexists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The CLI's cache store: one zstd tar per entry in a local directory (`--cache-dir`), for a laptop or a
 * runner with a persistent volume. Same keys and the same lookup as GitHub's service: the exact key,
 * else the newest entry a restore key prefixes. The directory may be shared with other jobs, so what it
 * holds is untrusted: an archive is handed over as it is and checked by whoever extracts it. An entry is
 * written in a fresh private directory and renamed into place, so a store never holds half an archive
 * and a planted link is never written through; an existing entry is never replaced.
 */
export function directoryCacheStore(dir: string | undefined, runner: Runner): CacheStore {
  return {
    // Without --cache-dir the caches still stay in their directories on this machine (README, --help).
    keepsCachesWhenUnavailable: true,
    unavailable() {
      return dir ? undefined : 'no --cache-dir given';
    },
    async fetch(members, key, restoreKeys) {
      const names = await readdir(dir!).catch(() => [] as string[]);
      const tag = `~${membersTag(members)}${EXTENSION}`;
      const keyOf = (name: string): string => name.slice(0, -tag.length);
      const mine = names.filter((n) => n.endsWith(tag));
      let found = mine.find((n) => keyOf(n) === key);
      for (const prefix of [key, ...restoreKeys]) {
        if (found) break;
        const candidates = mine.filter((n) => keyOf(n).startsWith(prefix));
        const times = await Promise.all(
          candidates.map(async (n) => (await lstat(path.join(dir!, n))).mtimeMs),
        );
        let newest = -1;
        candidates.forEach((n, i) => {
          if (times[i]! > newest) [found, newest] = [n, times[i]!];
        });
      }
      if (!found) return undefined;
      const file = path.join(dir!, found);
      // Not a link to something else, not a FIFO that would block the decompressor.
      if (!(await lstat(file)).isFile()) throw new Error(`${file} is not a regular file`);
      return { key: keyOf(found), file };
    },
    async save(entry, key) {
      await mkdir(dir!, { recursive: true });
      const file = path.join(dir!, entryName(key, entry.members));
      if (await lexists(file)) return false;
      const existing = [];
      for (const member of entry.members) {
        if (await lexists(path.join(entry.root, member))) existing.push(member);
      }
      const scratch = await mkdtemp(path.join(dir!, '.saving-'));
      try {
        const temporary = path.join(scratch, 'entry');
        // Names relative to the root: the archive restores wherever its root is. zstd on every core
        // (tar --zstd runs it on one).
        const args = [
          '--create',
          `--use-compress-program=${COMPRESSOR}`,
          `--file=${temporary}`,
          `--directory=${entry.root}`,
          '--',
          ...existing,
        ];
        const result = await runner.run('tar', args, { stream: false });
        if (result.exitCode !== 0) {
          throw new Error(`tar --create failed (exit status ${result.exitCode}): ${result.stderr.trim()}`);
        }
        await rename(temporary, file);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
      return true;
    },
  };
}
