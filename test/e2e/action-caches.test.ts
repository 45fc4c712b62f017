import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotations, runAction, type ActionRun } from '../support/action-harness.js';
import { debianMirror, REPO, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';
import { startResultsServer, type FaultSpec, type ResultsServer } from '../support/results-server.js';

/**
 * The caches through the bundled action and the real @actions/cache against the local results server:
 * a cold run of debian-minimal saves, a second run restores and mkosi reuses what it restored, a broken
 * cache service or archive gives a warning and a cold build, and a failed build saves nothing.
 *
 * Every run uses the same HOME (mkosi-ci's package and incremental caches live under it), wiped before
 * each run, so whatever a run finds there came from the cache service. The warm run is of a copy of the
 * project at another path with another HOME: the caches survive a move (no key or entry names a path).
 */

let server: ResultsServer;
let scratch: string;
let home: string;
let movedHome: string;
let cold: ActionRun;
let warm: ActionRun;

const MINIMAL = path.join(TEST_PROJECTS, 'debian-minimal');
const FAILING_BUILD = path.join(REPO, 'test/fixtures/projects/failing-build');

/** The server routes the blob host through HTTP_PROXY; apt inside mkosi must reach the mirror directly. */
function serverEnv(extra: Record<string, string> = {}, homeDir = home): Record<string, string> {
  const mirrorHost = new URL(debianMirror()).hostname;
  const noProxy = `127.0.0.1,localhost,${mirrorHost}`;
  return {
    ...server.env(),
    HOME: homeDir,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    MKOSI_CI_CACHE_LOOKUP_TIMEOUT: '5',
    ...extra,
  };
}

async function run(
  directory = MINIMAL,
  env: Record<string, string> = {},
  args: string[] = [],
  homeDir = home,
): Promise<ActionRun> {
  rmSync(homeDir, { recursive: true, force: true });
  const out = path.join(scratch, 'out');
  rmSync(out, { recursive: true, force: true });
  return runAction({
    inputs: {
      directory,
      mirror: debianMirror(),
      'tools-tree': TOOLS_TREE,
      args: [`--output-directory=${out}`, ...args].join('\n'),
    },
    env: serverEnv(env, homeDir),
  });
}

function cacheKeysOnServer(): string[] {
  return server
    .cacheEntries()
    .filter((e) => e.finalized)
    .map((e) => e.key);
}

/** "built in 1m 2s" / "built in 41.3s" from the job summary, in seconds. */
function buildSeconds(summary: string): number {
  const m = /built in (?:(\d+)m )?([\d.]+)s/.exec(summary);
  if (!m) throw new Error(`no build time in the summary:\n${summary}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

beforeAll(async () => {
  server = await startResultsServer();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'caches-'));
  home = path.join(scratch, 'home');
  cold = await run();
  const moved = path.join(scratch, 'moved', path.basename(MINIMAL));
  cpSync(MINIMAL, moved, { recursive: true });
  movedHome = path.join(scratch, 'moved', 'home');
  warm = await run(moved, {}, [], movedHome);
});

afterAll(async () => {
  await server?.close();
});

describe('a cold run, then a warm run of debian-minimal', () => {
  it('the cold run misses, builds and saves the package and incremental caches in post', () => {
    expect(cold.main.exitCode, cold.main.log.slice(-4000)).toBe(0);
    expect(cold.post.exitCode, cold.post.log.slice(-4000)).toBe(0);
    expect(annotations(cold.main.log + cold.post.log, 'error')).toEqual([]);
    expect(annotations(cold.main.log + cold.post.log, 'warning')).toEqual([]);
    expect(cold.outputs['cache-hit-packages']).toBe('miss');
    expect(cold.outputs['cache-hit-incremental']).toBe('miss');
    expect(cold.outputs['cache-hit-tools-tree']).toBe('miss');
    // Incremental= was turned on, with a cache directory of mkosi-ci's.
    expect(cold.main.log).toContain(
      `mkosi options for the caches: --package-cache-directory=${home}/.cache/mkosi/mkosi-ci/packages --incremental=yes --cache-directory=${home}/.cache/mkosi/mkosi-ci/incremental`,
    );
    expect(cold.post.log).toMatch(
      /Cache packages: saved in [\d.]+ s; key mkosi-ci-v2-packages-debian-trixie-x86_64-/,
    );
    expect(cold.post.log).toMatch(
      /Cache incremental: saved in [\d.]+ s; key mkosi-ci-v2-incremental-debian-trixie-x86_64-/,
    );
    const keys = cacheKeysOnServer();
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mkosi-ci-v2-packages-debian-trixie-x86_64--[0-9a-f]{12}-[0-9a-f]{24}$/),
        expect.stringMatching(/^mkosi-ci-v2-incremental-debian-trixie-x86_64--[0-9a-f]{12}-[0-9a-f]{24}$/),
      ]),
    );
  });

  it('shows each cache in the job summary: key, hit, size, restore and save', () => {
    for (const key of cacheKeysOnServer()) expect(cold.summary).toContain(`\`${key}\``);
    expect(cold.summary).toContain('| Cache | Key | Hit | Size | Restore | Save |');
    expect(cold.summary).toMatch(
      /\| packages \| `[^`]+` \| miss \| [\d.]+ [KMG]iB \| [\d.]+s \| saved in [\d.]+s \|/,
    );
    expect(warm.summary).toMatch(
      /\| incremental \| `[^`]+` \| exact \| [\d.]+ [KMG]iB \| [\d.]+s \| unchanged \|/,
    );
  });

  it('the warm run, moved to another path and HOME, restores both exactly and mkosi reuses the incremental cache', () => {
    expect(warm.main.exitCode, warm.main.log.slice(-4000)).toBe(0);
    expect(warm.main.log).toContain(
      `mkosi options for the caches: --package-cache-directory=${movedHome}/.cache/mkosi/mkosi-ci/packages --incremental=yes --cache-directory=${movedHome}/.cache/mkosi/mkosi-ci/incremental`,
    );
    expect(warm.outputs['cache-hit-packages']).toBe('exact');
    expect(warm.outputs['cache-hit-incremental']).toBe('exact');
    expect(warm.main.log).toContain('Cache hit for: mkosi-ci-v2-incremental-');
    // mkosi's own word that the restored cache is current and used.
    expect(warm.main.log).toContain(
      'Skipping package manager metadata sync: all incremental image caches are up to date',
    );
    expect(cold.main.log).not.toContain('Skipping package manager metadata sync');
    expect(buildSeconds(warm.summary)).toBeLessThan(buildSeconds(cold.summary));
  });

  it('the warm run saves nothing: the content did not change', () => {
    expect(warm.post.exitCode).toBe(0);
    expect(warm.post.log).toMatch(/Cache packages: unchanged; key /);
    expect(warm.post.log).toMatch(/Cache incremental: unchanged; key /);
    expect(server.log('CreateCacheEntry')).toHaveLength(2);
  });
});

describe('a changed package list', () => {
  it(
    'restores the older package cache by prefix (partial), misses the incremental cache, saves both',
    { timeout: 10 * 60_000 },
    async () => {
      const before = cacheKeysOnServer();
      const changed = await run(MINIMAL, {}, ['--package=less']);
      expect(changed.main.exitCode, changed.main.log.slice(-4000)).toBe(0);
      expect(changed.outputs['cache-hit-packages']).toBe('partial');
      expect(changed.outputs['cache-hit-incremental']).toBe('miss');
      expect(changed.main.log).toContain(
        'Cache hit for restore-key: mkosi-ci-v2-packages-debian-trixie-x86_64-',
      );
      expect(changed.post.log).toMatch(/Cache packages: saved in/);
      expect(changed.post.log).toMatch(/Cache incremental: saved in/);
      const added = cacheKeysOnServer().filter((k) => !before.includes(k));
      expect(added).toHaveLength(2);
      expect(changed.summary).toMatch(/\| packages \| `[^`]+` \| partial: `mkosi-ci-v2-packages-[^`]+` \|/);
    },
  );
});

describe('faults of the cache service give a warning and a cold build, never a failed job', () => {
  const faults: [string, FaultSpec, RegExp, Record<string, string>?][] = [
    [
      '500 on every lookup',
      {
        endpoint: 'GetCacheEntryDownloadURL',
        kind: '500',
        times: Infinity,
      },
      /Failed to restore: Failed to GetCacheEntryDownloadURL: Failed to make request after 5 attempts/,
      // Five attempts with backoff per cache (about 30 s each): let the library give up before
      // mkosi-ci's lookup timeout does.
      { MKOSI_CI_CACHE_LOOKUP_TIMEOUT: '120' },
    ],
    [
      '429 on every lookup',
      { endpoint: 'GetCacheEntryDownloadURL', kind: '429', retryAfterSeconds: 30, times: Infinity },
      /Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited/,
    ],
    [
      'a lookup that never answers',
      { endpoint: 'GetCacheEntryDownloadURL', kind: 'hang', times: Infinity },
      /Cache (packages|incremental): restore failed, building without it: the cache service did not answer within 5 s/,
    ],
    [
      'a corrupt archive',
      { endpoint: 'blob:get', kind: 'corrupt', times: Infinity },
      // mkosi-ci extracts the archive itself (the library only hands it over): its check or zstd fails.
      /Cache (packages|incremental): (restore failed, building without it: zstd|the entry \S+ was refused)/,
    ],
  ];

  it.each(faults)('%s', { timeout: 10 * 60_000 }, async (_, fault, warning, env) => {
    server.clearFaults();
    const injected = server.fault(fault);
    let faulty: ActionRun;
    try {
      faulty = await run(MINIMAL, env);
    } finally {
      server.clearFaults();
    }
    expect(injected.hits).toBeGreaterThan(0);
    expect(faulty.main.exitCode, faulty.main.log.slice(-4000)).toBe(0);
    expect(faulty.post.exitCode).toBe(0);
    expect(annotations(faulty.main.log, 'error')).toEqual([]);
    expect(annotations(faulty.main.log, 'warning').join('\n')).toMatch(warning);
    expect(faulty.outputs['cache-hit-incremental']).toBe('miss');
    // A cold build: mkosi found no incremental cache to reuse.
    expect(faulty.main.log).not.toContain('Skipping package manager metadata sync');
    expect(faulty.summary).toContain('✅ mkosi-ci: image built');
  });
});

describe('a failed build', () => {
  let failed: ActionRun;
  let createsBefore: number;
  beforeAll(async () => {
    createsBefore = server.log('CreateCacheEntry').length;
    failed = await run(FAILING_BUILD);
  });

  it('fails the job in main, not in post', () => {
    expect(failed.main.exitCode).toBe(1);
    expect(failed.post.exitCode).toBe(0);
  });

  it('saves nothing, although mkosi left content in the caches', () => {
    expect(failed.post.log).toContain('the build failed, so no cache is saved');
    expect(failed.post.log).toMatch(/Cache incremental: skipped \(the build failed\)/);
    expect(server.log('CreateCacheEntry')).toHaveLength(createsBefore);
    expect(failed.summary).toMatch(
      /\| incremental \| `[^`]+` \| miss \| .* \| skipped \(the build failed\) \|/,
    );
    const incremental = path.join(home, '.cache/mkosi/mkosi-ci/incremental');
    expect(existsSync(incremental) && readdirSync(incremental).length > 0).toBe(true);
  });
});
