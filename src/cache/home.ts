import path from 'node:path';

/**
 * Where mkosi-ci keeps mkosi's package and incremental caches when the project names none: under
 * mkosi's own `<cache>/mkosi` (XDG_CACHE_HOME, else ~/.cache), so that creating them also creates the
 * workspace directory mkosi expects there. The same path on every run: an entry restores where it was
 * saved.
 */
export function mkosiCacheHome(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || home, '.cache'), 'mkosi', 'mkosi-ci');
}
