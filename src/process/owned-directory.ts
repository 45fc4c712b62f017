import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';

/** The file that marks a directory as mkosi-ci's own, so that a later run may empty it. */
export const OWNER_MARKER = '.mkosi-ci-owned';

/**
 * An empty directory at `dir` for this run: made now, or emptied when an earlier run of mkosi-ci made
 * it (it holds the marker). The work directory is the user's choice (`--work-dir=$HOME`), so a
 * directory there that mkosi-ci did not make is never removed: that is a ConfigurationError naming it.
 * A symlink in its place is not followed.
 */
export async function claimDirectory(dir: string): Promise<string> {
  const info = await lstat(dir).catch(() => undefined);
  if (info) {
    const marked = info.isDirectory() && (await lstat(path.join(dir, OWNER_MARKER)).catch(() => undefined));
    if (!marked) {
      throw new ConfigurationError(
        `${dir} exists and was not made by mkosi-ci, so it is not removed to make room for this run: choose another work directory (--work-dir) or remove it yourself.`,
        { file: dir },
      );
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, OWNER_MARKER), 'made by mkosi-ci; removed by its next run\n', {
    flag: 'wx',
  });
  return dir;
}
