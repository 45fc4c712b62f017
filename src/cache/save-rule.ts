import type { CacheName, HitKind } from './keys.js';

/**
 * Whether a cache is saved after the run: only after a build that succeeded, only when its content
 * changed since the restore, never over the exact key it came from (entries are immutable), never a
 * tools tree mkosi did not finish, and never with keys or the project inside. The rule does no I/O:
 * the caller looks at the cache (the change check, the secrets found), and only when the build
 * succeeded, and does the saving.
 */

export interface SaveFacts {
  name: CacheName;
  /** The content is what the restore put there (the change check's digest is the restore-time one). */
  unchanged: boolean;
  /** Regular files in the cache now. */
  files: number;
  hit: HitKind;
  /** For the tools tree: mkosi wrote its manifest, which it does last. */
  toolsTreeComplete: boolean;
  /** Secret files (keys, the project) found inside the cache's directories. */
  secrets: readonly string[];
}

/** The reason given when secrets were found, for the caller's warning that names them. */
export const SECRETS_INSIDE = 'it would contain keys or the project';

export type SaveDecision =
  { save: true } | { save: false; outcome: 'skipped' | 'unchanged' | 'exists'; reason?: string };

export async function saveDecision(
  build: { succeeded: boolean },
  look: () => Promise<SaveFacts>,
): Promise<SaveDecision> {
  if (!build.succeeded) return { save: false, outcome: 'skipped', reason: 'the build failed' };
  const facts = await look();
  if (facts.unchanged) return { save: false, outcome: 'unchanged' };
  if (facts.files === 0) return { save: false, outcome: 'skipped', reason: 'nothing to save' };
  // The next run restores the same key and gets what this run started from.
  if (facts.hit === 'exact') return { save: false, outcome: 'exists', reason: 'the exact key was restored' };
  if (facts.name === 'tools-tree' && !facts.toolsTreeComplete) {
    return { save: false, outcome: 'skipped', reason: 'the tools tree is incomplete (no manifest)' };
  }
  if (facts.secrets.length > 0) {
    return { save: false, outcome: 'skipped', reason: SECRETS_INSIDE };
  }
  return { save: true };
}
