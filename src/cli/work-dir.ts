import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCleanup, type RunCleanup } from '../process/cleanup.js';

/**
 * The work directory the CLI makes when none is given (`--work-dir`): the run's scratch (sandbox trees,
 * the unpacked mkosi, the second build, boot probes, extractions) lives there next to `logs/` and the
 * `diff/` reports. The scratch goes when the run ends or is stopped; what was written for the user to
 * read stays.
 */

/** What the user reads afterwards; everything else in the work directory is scratch. */
const KEPT = ['logs', 'diff'];
export interface TemporaryWorkDir {
  dir: string;
  /** Removes the scratch; resolves to the directory if anything was kept. */
  finish(): Promise<string | undefined>;
}

/** Removes the scratch from `dir`, and `dir` itself when nothing worth keeping was written. */
export async function removeScratch(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => !KEPT.includes(e))
      .map((e) => rm(path.join(dir, e), { recursive: true, force: true })),
  );
  const kept = await Promise.all(
    KEPT.map((e) =>
      readdir(path.join(dir, e)).then(
        (inside) => inside.length > 0,
        () => false,
      ),
    ),
  );
  if (kept.some(Boolean)) return dir;
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

export async function temporaryWorkDir(cleanup: RunCleanup = runCleanup): Promise<TemporaryWorkDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-'));
  const forget = cleanup.addStep({
    what: `the scratch in ${dir}`,
    run: async () => void (await removeScratch(dir)),
  });
  return {
    dir,
    async finish() {
      forget();
      return removeScratch(dir);
    },
  };
}
