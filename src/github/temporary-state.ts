import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { runCleanup, type RunCleanup } from '../process/cleanup.js';
import { isTemporaryGnupgHome, removeGnupgHome } from '../publish/gpg.js';
import { State } from './constants.js';

/**
 * Keeps the keyrings and temporary copies main has open in the step's state, written the moment they
 * change: when main is killed outright (SIGKILL, a runner gone away) post still knows what to remove.
 */
export function keepTemporaryPathsInState(cleanup: RunCleanup = runCleanup): () => void {
  return cleanup.onPathsChanged((paths) => core.saveState(State.Temporary, JSON.stringify(paths)));
}

/** The recorded paths that are GnuPG homes mkosi-ci makes; anything else in the state is ignored. */
export function recordedGnupgHomes(state: string): string[] {
  let paths: unknown;
  try {
    paths = JSON.parse(state || '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(paths)) return [];
  return paths.filter((p): p is string => typeof p === 'string' && isTemporaryGnupgHome(p));
}

/** Post: removes what main recorded and did not remove (it died first); the paths it removed. */
export async function removeLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  for (const home of recordedGnupgHomes(core.getState(State.Temporary))) {
    if (!existsSync(home)) continue;
    await removeGnupgHome(home);
    removed.push(home);
  }
  return removed;
}
