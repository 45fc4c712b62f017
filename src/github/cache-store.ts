import * as cache from '@actions/cache';
import type { CacheStore } from '../ports.js';

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
  return {
    unavailable() {
      return cache.isFeatureAvailable()
        ? undefined
        : 'no GitHub cache service in this environment (ACTIONS_RESULTS_URL is not set)';
    },
    async restore(paths, key, restoreKeys) {
      return demotingErrors(async () => {
        const found = await withTimeout(
          cache.restoreCache([...paths], key, [...restoreKeys], { lookupOnly: true }),
          lookupTimeout,
          'the cache service',
        );
        if (found === undefined) return undefined;
        return withTimeout(
          cache.restoreCache([...paths], key, [...restoreKeys], { segmentTimeoutInMs: SEGMENT_TIMEOUT_MS }),
          restoreTimeout,
          'the cache download',
        );
      });
    },
    async save(paths, key) {
      return demotingErrors(async () => {
        const id = await withTimeout(cache.saveCache([...paths], key), saveTimeout, 'the cache upload');
        return id !== -1;
      });
    },
  };
}
