import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CacheStore, Runner } from '../ports.js';

const EXTENSION = '.tar.zst';

/** Entries for other paths never match, as with actions/cache's version. */
function pathsTag(paths: readonly string[]): string {
  return createHash('sha256').update(paths.join('\n')).digest('hex').slice(0, 12);
}

function entryName(key: string, paths: readonly string[]): string {
  return `${key}~${pathsTag(paths)}${EXTENSION}`;
}

/**
 * The CLI's cache store: one zstd tar per entry in a local directory (`--cache-dir`), for a laptop or a
 * runner with a persistent volume. Same keys and the same lookup as GitHub's service: the exact key,
 * else the newest entry a restore key prefixes. An entry is written under a temporary name and renamed,
 * so a store never holds half an archive; an existing entry is never replaced.
 */
export function directoryCacheStore(dir: string | undefined, runner: Runner): CacheStore {
  const tar = async (args: string[]): Promise<void> => {
    const result = await runner.run('tar', args, { stream: false });
    if (result.exitCode !== 0) {
      throw new Error(`tar ${args[0]} failed (exit status ${result.exitCode}): ${result.stderr.trim()}`);
    }
  };
  return {
    unavailable() {
      return dir ? undefined : 'no --cache-dir given';
    },
    async restore(paths, key, restoreKeys) {
      const names = await readdir(dir!).catch(() => [] as string[]);
      const tag = `~${pathsTag(paths)}${EXTENSION}`;
      const keyOf = (name: string): string => name.slice(0, -tag.length);
      const mine = names.filter((n) => n.endsWith(tag));
      let found = mine.find((n) => keyOf(n) === key);
      for (const prefix of [key, ...restoreKeys]) {
        if (found) break;
        const candidates = mine.filter((n) => keyOf(n).startsWith(prefix));
        const times = await Promise.all(
          candidates.map(async (n) => (await stat(path.join(dir!, n))).mtimeMs),
        );
        let newest = -1;
        candidates.forEach((n, i) => {
          if (times[i]! > newest) [found, newest] = [n, times[i]!];
        });
      }
      if (!found) return undefined;
      await tar(['--extract', '--zstd', '--absolute-names', '--file', path.join(dir!, found)]);
      return keyOf(found);
    },
    async save(paths, key) {
      await mkdir(dir!, { recursive: true });
      const file = path.join(dir!, entryName(key, paths));
      if (
        await stat(file).then(
          () => true,
          () => false,
        )
      )
        return false;
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        const existing = [];
        for (const p of paths)
          if (
            await stat(p).then(
              () => true,
              () => false,
            )
          )
            existing.push(p);
        await tar(['--create', '--zstd', '--absolute-names', '--file', temporary, ...existing]);
        await rename(temporary, file);
      } finally {
        await rm(temporary, { force: true });
      }
      return true;
    },
  };
}
