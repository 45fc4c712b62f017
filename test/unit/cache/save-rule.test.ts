import { describe, expect, it } from 'vitest';
import { saveDecision, SECRETS_INSIDE, type SaveFacts } from '../../../src/cache/save-rule.js';

/** A cache whose content changed since a partial restore, with nothing in the way of saving it. */
const changed: SaveFacts = {
  name: 'packages',
  unchanged: false,
  files: 12,
  hit: 'partial',
  toolsTreeComplete: true,
  secrets: [],
};

/** The decision, and whether the rule looked at the cache at all. */
async function decide(succeeded: boolean, facts: Partial<SaveFacts> = {}) {
  let looked = false;
  const decision = await saveDecision({ succeeded }, () => {
    looked = true;
    return Promise.resolve({ ...changed, ...facts });
  });
  return { decision, looked };
}

describe('the cache save rule', () => {
  it('saves a cache that changed after a build that succeeded, from a miss or a partial hit', async () => {
    expect(await decide(true)).toEqual({ decision: { save: true }, looked: true });
    expect((await decide(true, { hit: 'miss' })).decision).toEqual({ save: true });
    expect((await decide(true, { name: 'tools-tree', toolsTreeComplete: true })).decision).toEqual({
      save: true,
    });
    // A tools tree's completeness says nothing about the other caches.
    expect((await decide(true, { name: 'incremental', toolsTreeComplete: false })).decision).toEqual({
      save: true,
    });
  });

  it('saves nothing after a failed build, without even looking at the cache', async () => {
    expect(await decide(false)).toEqual({
      decision: { save: false, outcome: 'skipped', reason: 'the build failed' },
      looked: false,
    });
  });

  it('does not save what the restore put there', async () => {
    expect((await decide(true, { unchanged: true })).decision).toEqual({ save: false, outcome: 'unchanged' });
    // Unchanged wins over the other reasons: it is the common case of a warm run.
    expect((await decide(true, { unchanged: true, files: 0, hit: 'exact' })).decision).toEqual({
      save: false,
      outcome: 'unchanged',
    });
  });

  it('does not save an empty cache', async () => {
    expect((await decide(true, { files: 0 })).decision).toEqual({
      save: false,
      outcome: 'skipped',
      reason: 'nothing to save',
    });
  });

  it('never saves over the exact key it was restored from', async () => {
    expect((await decide(true, { hit: 'exact' })).decision).toEqual({
      save: false,
      outcome: 'exists',
      reason: 'the exact key was restored',
    });
  });

  it('does not save a tools tree mkosi did not finish', async () => {
    expect((await decide(true, { name: 'tools-tree', toolsTreeComplete: false })).decision).toEqual({
      save: false,
      outcome: 'skipped',
      reason: 'the tools tree is incomplete (no manifest)',
    });
  });

  it('does not save keys or the project', async () => {
    expect((await decide(true, { secrets: ['mkosi.key'] })).decision).toEqual({
      save: false,
      outcome: 'skipped',
      reason: SECRETS_INSIDE,
    });
    expect(SECRETS_INSIDE).toBe('it would contain keys or the project');
  });
});
