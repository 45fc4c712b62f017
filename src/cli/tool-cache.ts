import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Runner, ToolCache } from '../ports.js';

/** The ToolCache port off the runner: $XDG_CACHE_HOME/mkosi-ci/tools/<tool>/<version>. */
export function directoryToolCache(root: string, runner: Runner): ToolCache {
  const scratch = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-'));
  return {
    async find(tool, version) {
      const dir = path.join(root, tool, version);
      return (await stat(path.join(dir, '.complete')).catch(() => undefined)) ? dir : undefined;
    },
    async download(url) {
      const response = await fetch(url);
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      const file = path.join(await scratch(), randomUUID());
      await pipeline(
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
        createWriteStream(file),
      );
      return file;
    },
    async extractTar(file) {
      const dir = await scratch();
      const result = await runner.run('tar', ['-xzf', file, '-C', dir], { stream: false });
      if (result.exitCode !== 0) throw new Error(`tar could not extract ${file}: ${result.stderr.trim()}`);
      return dir;
    },
    async cacheDir(source, tool, version) {
      const dir = path.join(root, tool, version);
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(source, dir).catch(async () => {
        const copy = await runner.run('cp', ['-a', source, dir], { stream: false });
        if (copy.exitCode !== 0) throw new Error(`could not copy ${source} to ${dir}`);
      });
      await writeFile(path.join(dir, '.complete'), '');
      return dir;
    },
  };
}
