import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Runner, ToolCache } from '../ports.js';

/**
 * The ToolCache port off the runner: $XDG_CACHE_HOME/mkosi-ci/tools/<tool>/<version>, complete once
 * its `.complete` marker is there. An entry is put together in a fresh directory beside it and renamed
 * into place.
 */
export function directoryToolCache(root: string, runner: Runner): ToolCache {
  return {
    async find(tool, version) {
      const dir = path.join(root, tool, version);
      return (await stat(path.join(dir, '.complete')).catch(() => undefined)) ? dir : undefined;
    },
    async download(url) {
      const response = await fetch(url);
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      // Beside the entries rather than in a directory of its own in /tmp: the caller removes it once read.
      const downloads = path.join(root, '.downloads');
      await mkdir(downloads, { recursive: true });
      const file = path.join(downloads, randomUUID());
      try {
        await pipeline(
          Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
          createWriteStream(file),
        );
      } catch (error) {
        await rm(file, { force: true });
        throw error;
      }
      return file;
    },
    async extractTar(file, dest) {
      await mkdir(dest, { recursive: true });
      const result = await runner.run('tar', ['-xzf', file, '-C', dest], { stream: false });
      if (result.exitCode !== 0) throw new Error(`tar could not extract ${file}: ${result.stderr.trim()}`);
      return dest;
    },
    async cacheFile(file, name, tool, version) {
      const dir = path.join(root, tool, version);
      await mkdir(path.dirname(dir), { recursive: true });
      const fresh = await mkdtemp(path.join(path.dirname(dir), `.${version}-`));
      try {
        await copyFile(file, path.join(fresh, name));
        await writeFile(path.join(fresh, '.complete'), '');
        await rm(dir, { recursive: true, force: true });
        await rename(fresh, dir);
      } finally {
        await rm(fresh, { recursive: true, force: true });
      }
      return dir;
    },
  };
}
