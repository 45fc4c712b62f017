import * as cache from '@actions/cache';
import { access, constants, lstat, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CacheStore, FetchedArchive } from '../ports.js';

/** How long the lookup of a key may take before the cache service is taken as unreachable. */
const LOOKUP_TIMEOUT_S = 60;
/** Backstops for a download or upload that stops making progress without failing. */
const RESTORE_TIMEOUT_S = 20 * 60;
const SAVE_TIMEOUT_S = 30 * 60;
const SEGMENT_TIMEOUT_MS = 5 * 60_000;

class CacheTimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CacheTimeoutError(`${what} did not answer within ${seconds} s`)),
      seconds * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * @actions/cache reports a 5xx from the service as an error annotation although it carries on
 * without the cache; for mkosi-ci a cache is optional, so its failures are warnings.
 */
async function demotingErrors<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const text =
      typeof chunk === 'string'
        ? chunk.replace(/^::error::(Failed to (save|restore))/gm, '::warning::$1')
        : chunk;
    return (write as (...args: unknown[]) => boolean).call(this, text, ...rest);
  } as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * @actions/cache extracts a restored archive itself, with `tar -xf ARCHIVE -P -C $GITHUB_WORKSPACE`:
 * absolute names and '..' allowed, so an entry planted in the cache could write anywhere. It finds tar
 * on PATH, so while a restore is under way a stand-in `tar` comes first there: for that one call it
 * moves the downloaded archive to $MKOSI_CI_CACHE_ARCHIVE instead of extracting it (mkosi-ci then
 * checks and extracts it: src/cache/restore.ts); an archive nobody waits for is refused; every other
 * call goes to the real tar. It stays on PATH until the last restore has settled, also one given up
 * after a timeout (which the library cannot cancel and which would extract whenever it finishes).
 * Should a later @actions/cache stop calling it, GITHUB_WORKSPACE points at an empty directory of this
 * run and the archive that never arrives fails the restore.
 */
function standInTar(realTar: string): string {
  const quoted = `'${realTar.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
# mkosi-ci: stands in for tar while @actions/cache restores (see src/github/cache-store.ts).
if [ "\${1-}" = -xf ] && [ "\${3-}" = -P ]; then
  dest="\${MKOSI_CI_CACHE_ARCHIVE-}"
  if [ -z "$dest" ] || [ -e "$dest" ]; then
    echo "mkosi-ci: a cache archive nobody waits for; not extracted" >&2
    exit 2
  fi
  exec mv -- "$2" "$dest"
fi
if [ "\${1-}" = -tf ] && [ "\${3-}" = -P ]; then exit 0; fi
exec ${quoted} "$@"
`;
}

let standIn: Promise<{ bin: string; workspace: string }> | undefined;

async function findOnPath(command: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', command);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`${command} is not on PATH`);
}

/** The stand-in's directory, made once per process: it must outlive every restore, even a given-up one. */
function standInDirectory(): Promise<{ bin: string; workspace: string }> {
  standIn ??= (async () => {
    const dir = await mkdtemp(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'mkosi-ci-tar-'));
    const bin = path.join(dir, 'bin');
    const workspace = path.join(dir, 'workspace');
    await Promise.all([mkdir(bin), mkdir(workspace)]);
    await writeFile(path.join(bin, 'tar'), standInTar(await findOnPath('tar')), { mode: 0o700 });
    return { bin, workspace };
  })();
  return standIn;
}

let restoresUnderWay = 0;
let outsideRestores: { PATH: string | undefined; GITHUB_WORKSPACE: string | undefined } | undefined;

/** Runs one library restore with the stand-in on PATH until it settles, however long that takes. */
function withStandIn<T>(dirs: { bin: string; workspace: string }, start: () => Promise<T>): Promise<T> {
  if (restoresUnderWay++ === 0) {
    outsideRestores = { PATH: process.env.PATH, GITHUB_WORKSPACE: process.env.GITHUB_WORKSPACE };
    process.env.PATH = `${dirs.bin}${path.delimiter}${process.env.PATH ?? ''}`;
    process.env.GITHUB_WORKSPACE = dirs.workspace;
  }
  return Promise.resolve()
    .then(start)
    .finally(() => {
      if (--restoresUnderWay > 0 || !outsideRestores) return;
      for (const [name, value] of Object.entries(outsideRestores)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
}

/** Runs a restore that hands its archive over to `scratch`; the archive, or undefined for no entry. */
async function handingOver(
  scratch: string,
  restore: (
    underWay: (start: () => Promise<string | undefined>) => Promise<string | undefined>,
  ) => Promise<string | undefined>,
): Promise<FetchedArchive | undefined> {
  const dirs = await standInDirectory();
  const file = path.join(scratch, 'archive');
  process.env.MKOSI_CI_CACHE_ARCHIVE = file;
  let key: string | undefined;
  try {
    key = await restore((start) => withStandIn(dirs, start));
  } finally {
    if (process.env.MKOSI_CI_CACHE_ARCHIVE === file) delete process.env.MKOSI_CI_CACHE_ARCHIVE;
  }
  if (key === undefined) return undefined;
  if (!(await lstat(file).catch(() => undefined))?.isFile()) {
    throw new Error('@actions/cache did not hand the archive over to be checked');
  }
  return { key, file };
}

/** Names for @actions/cache's glob that match exactly the member (its version hashes these strings). */
function patterns(members: readonly string[]): string[] {
  for (const member of members) {
    if (/[*?[\]{}\\!#~]|^\s|\s$/.test(member)) {
      throw new Error(`'${member}' cannot be named to @actions/cache (a glob character)`);
    }
  }
  return [...members];
}

/**
 * Saves with the root as workspace and working directory: the patterns are the bare member names
 * (@actions/glob resolves them against the working directory) and the archive names are relative to
 * the root (@actions/cache makes them relative to GITHUB_WORKSPACE), so the entry depends on no
 * absolute path. Saves are queued (oneAtATime); what runs beside them uses absolute paths only.
 */
async function inRoot<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(root);
  const workspace = process.env.GITHUB_WORKSPACE;
  process.env.GITHUB_WORKSPACE = root;
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
    if (workspace === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = workspace;
  }
}

/**
 * One call at a time, in the order they came. @actions/cache hands its archive to the stand-in tar
 * through this process's environment (PATH, GITHUB_WORKSPACE, MKOSI_CI_CACHE_ARCHIVE) and saves from
 * its working directory (inRoot), none of which two calls can have at once. Each download and upload is
 * already parallel inside the library (segments); what runs at the same time is everything around
 * the store: checking and extracting one archive while the next one downloads, the change checks.
 */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = last.then(fn, fn);
    last = run.catch(() => undefined);
    return run;
  };
}

/**
 * GitHub's cache service through the real `@actions/cache`. A run whose service hangs ends in bounded
 * time: the key lookup has its own short timeout (a hung service is found out before anything is
 * downloaded), the download a segment timeout, and restore and save an overall backstop. The timeouts
 * can be shortened with MKOSI_CI_CACHE_LOOKUP_TIMEOUT, MKOSI_CI_CACHE_RESTORE_TIMEOUT and
 * MKOSI_CI_CACHE_SAVE_TIMEOUT (seconds).
 */
export function actionsCacheStore(env: NodeJS.ProcessEnv = process.env): CacheStore {
  const lookupTimeout = seconds(env, 'MKOSI_CI_CACHE_LOOKUP_TIMEOUT', LOOKUP_TIMEOUT_S);
  const restoreTimeout = seconds(env, 'MKOSI_CI_CACHE_RESTORE_TIMEOUT', RESTORE_TIMEOUT_S);
  const saveTimeout = seconds(env, 'MKOSI_CI_CACHE_SAVE_TIMEOUT', SAVE_TIMEOUT_S);
  const queued = oneAtATime();
  return {
    unavailable() {
      return cache.isFeatureAvailable()
        ? undefined
        : 'no GitHub cache service in this environment (ACTIONS_RESULTS_URL is not set)';
    },
    async fetch(members, key, restoreKeys, scratch) {
      const paths = patterns(members);
      return queued(() =>
        demotingErrors(async () => {
          const found = await withTimeout(
            cache.restoreCache(paths, key, [...restoreKeys], { lookupOnly: true }),
            lookupTimeout,
            'the cache service',
          );
          if (found === undefined) return undefined;
          return handingOver(scratch, (underWay) =>
            withTimeout(
              underWay(() =>
                cache.restoreCache(paths, key, [...restoreKeys], { segmentTimeoutInMs: SEGMENT_TIMEOUT_MS }),
              ),
              restoreTimeout,
              'the cache download',
            ),
          );
        }),
      );
    },
    async save(entry, key) {
      const paths = patterns(entry.members);
      return queued(() =>
        demotingErrors(async () => {
          const id = await inRoot(entry.root, () =>
            withTimeout(cache.saveCache(paths, key), saveTimeout, 'the cache upload'),
          );
          return id !== -1;
        }),
      );
    },
  };
}
