import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { directoryCacheStore } from '../../../src/cli/cache-store.js';
import { consoleLog } from '../../../src/cli/log.js';
import { cacheManifest } from '../../../src/cache/manifest.js';
import { parseSummary, type MkosiConfig } from '../../../src/mkosi/config.js';
import { restoreCaches, saveCaches } from '../../../src/cache/caches.js';
import type { Context } from '../../../src/context.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { ProcessRunner } from '../../../src/process/runner.js';
import { fakeContext } from '../../support/fake-context.js';

/**
 * The cache stages with the CLI's directory store (real tar and zstd on a temp directory): what is
 * restored, what is saved and when nothing is.
 */

let scratch: string;
let lines: string[];
let ctx: Context;
let config: MkosiConfig;
let packages: string;
let incremental: string;
let store: string;

function context(storeDir: string | undefined): Context {
  const runner = new ProcessRunner(() => {}, process.env);
  return fakeContext({
    runner,
    log: consoleLog(
      () => false,
      (t) => lines.push(t.trimEnd()) > 0,
    ),
    cacheStore: directoryCacheStore(storeDir, runner),
    workDir: path.join(scratch, 'work'),
    host: { cacheHome: path.join(scratch, 'home') },
  });
}

const options = () => parseOptions({ ...defaultInputs(), 'tools-tree': '/opt/tools' }, scratch);
const succeeded = { succeeded: true, secretFiles: [], directory: '/work/project' };

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'caches-stage-'));
  lines = [];
  packages = path.join(scratch, 'packages');
  incremental = path.join(scratch, 'incremental');
  store = path.join(scratch, 'store');
  const raw = JSON.parse(
    readFileSync(new URL('../../fixtures/summary/debian-minimal.json', import.meta.url), 'utf8'),
  ) as { Images: Record<string, unknown>[] };
  for (const image of raw.Images) {
    image.PackageCacheDirectory = packages;
    image.CacheDirectory = incremental;
    image.Files = [];
  }
  config = parseSummary(JSON.stringify(raw));
  ctx = context(store);
});

function fill(dir: string, name: string, content: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), content);
}

describe('restoreCaches and saveCaches', () => {
  it('a cold run misses and saves; the next run restores the exact keys and saves nothing', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    expect(cold.records.map((r) => [r.name, r.hit])).toEqual([
      ['packages', 'miss'],
      ['incremental', 'miss'],
    ]);
    expect(cold.args).toEqual(['--incremental=yes']);
    fill(packages, 'bash.deb', 'bash');
    fill(incremental, 'main.cache', 'tree');
    const saved = await saveCaches(ctx, cold.records, succeeded);
    expect(saved.map((r) => r.save?.outcome)).toEqual(['saved', 'saved']);
    expect(readdirSync(store)).toHaveLength(2);

    rmSync(packages, { recursive: true });
    rmSync(incremental, { recursive: true });
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    expect(warm.records.map((r) => [r.name, r.hit])).toEqual([
      ['packages', 'exact'],
      ['incremental', 'exact'],
    ]);
    expect(readFileSync(path.join(incremental, 'main.cache'), 'utf8')).toBe('tree');
    const again = await saveCaches(ctx, warm.records, succeeded);
    expect(again.map((r) => r.save?.outcome)).toEqual(['unchanged', 'unchanged']);
  });

  it('after an exact hit lists no image cache at the restore, and tells a build that touched it', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(packages, 'bash.deb', 'bash');
    fill(incremental, 'main.cache', 'tree');
    await saveCaches(ctx, cold.records, succeeded);
    rmSync(packages, { recursive: true });
    rmSync(incremental, { recursive: true });
    rmSync(path.join(scratch, 'work', 'cache-manifests'), { recursive: true });

    const warm = await restoreCaches(ctx, options(), '27.1', config);
    const [pkg, image] = warm.records;
    // The package cache, which apt rewrites parts of on every run, is listed; the image cache is not.
    expect(pkg!.restoredManifest).toBe(path.join(scratch, 'work', 'cache-manifests', 'packages.json'));
    expect([image!.restoredDigest, image!.restoredManifest, image!.sizeBytes]).toEqual([
      undefined,
      undefined,
      4,
    ]);
    expect(readdirSync(path.join(scratch, 'work', 'cache-manifests'))).toEqual(['packages.json']);
    // The build rewrites the image cache with the same bytes: touched, but an exact key is never saved over.
    writeFileSync(path.join(incremental, 'main.cache'), 'tree');
    const again = await saveCaches(ctx, warm.records, succeeded);
    expect(again.map((r) => [r.name, r.save])).toEqual([
      ['packages', { outcome: 'unchanged', sizeBytes: 4 }],
      ['incremental', { outcome: 'exists', reason: 'the exact key was restored', sizeBytes: 4 }],
    ]);
    expect(lines).toContain(
      `Cache incremental: change check: ${path.join(incremental, 'main.cache')} was touched after the restore.`,
    );
  });

  it('after an exact hit of the image cache that the build left alone, says unchanged', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(incremental, 'main.cache', 'tree');
    await saveCaches(ctx, cold.records, succeeded);
    rmSync(incremental, { recursive: true });
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    readFileSync(path.join(incremental, 'main.cache'));
    const again = await saveCaches(ctx, warm.records, succeeded);
    expect(again[1]!.save).toEqual({ outcome: 'unchanged', sizeBytes: 4 });
    expect(lines).toContain(
      'Cache incremental: change check looked at 2 entries, none touched since the restore.',
    );
  });

  it('restores and saves the caches at the same time, not one after another', async () => {
    // Each store call waits until every cache has called: one after another would never get there.
    const barrier = (count: number) => {
      let arrived = 0;
      let open!: () => void;
      const all = new Promise<void>((resolve) => (open = resolve));
      return async () => {
        if (++arrived === count) open();
        await Promise.race([
          all,
          new Promise((_, reject) => setTimeout(() => reject(new Error('called one at a time')), 5_000)),
        ]);
      };
    };
    const inner = ctx.cacheStore;
    const fetched = barrier(2);
    const savedTogether = barrier(2);
    const together = fakeContext({
      ...ctx,
      cacheStore: {
        unavailable: () => inner.unavailable(),
        fetch: async (...args) => (await fetched(), inner.fetch(...args)),
        save: async (...args) => (await savedTogether(), inner.save(...args)),
      },
    });
    const cold = await restoreCaches(together, options(), '27.1', config);
    expect(lines.filter((l) => l.includes('restore failed'))).toEqual([]);
    expect(cold.records.map((r) => r.name)).toEqual(['packages', 'incremental']);
    fill(packages, 'bash.deb', 'bash');
    fill(incremental, 'main.cache', 'tree');
    const saved = await saveCaches(together, cold.records, succeeded);
    expect(saved.map((r) => [r.name, r.save?.outcome])).toEqual([
      ['packages', 'saved'],
      ['incremental', 'saved'],
    ]);
  });

  it('keeps the restore-time manifest in the work directory; without a readable one every file is read', async () => {
    fill(packages, 'bash.deb', 'bash');
    const restored = await restoreCaches(ctx, options(), '27.1', config);
    const kept = restored.records[0]!.restoredManifest!;
    expect(path.dirname(kept)).toBe(path.join(scratch, 'work', 'cache-manifests'));
    expect(Object.keys(JSON.parse(readFileSync(kept, 'utf8')) as object)).toEqual(['0/bash.deb']);
    writeFileSync(kept, '{"0/bash.deb": "not a pair"');
    const saved = await saveCaches(ctx, restored.records, succeeded);
    expect(saved[0]!.save?.outcome).toBe('unchanged');
    expect(lines).toContain(
      'Cache packages: change check read 1 of 1 files; the others are as they were restored.',
    );
  });

  it('a failed build saves nothing, even what changed', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(packages, 'bash.deb', 'bash');
    const saved = await saveCaches(ctx, cold.records, { ...succeeded, succeeded: false });
    expect(saved.map((r) => r.save)).toEqual([
      { outcome: 'skipped', reason: 'the build failed' },
      { outcome: 'skipped', reason: 'the build failed' },
    ]);
    expect(existsSync(store)).toBe(false);
  });

  it('falls back to an older package cache by prefix (partial) and saves the new key', async () => {
    const first = await restoreCaches(ctx, options(), '27.1', config, 0);
    fill(packages, 'old.deb', 'old');
    await saveCaches(ctx, first.records, succeeded);
    rmSync(packages, { recursive: true });
    // A week later the keys roll over: the package cache falls back, the incremental cache does not.
    const later = await restoreCaches(ctx, options(), '27.1', config, 8 * 86_400_000);
    expect(later.records.map((r) => [r.name, r.hit])).toEqual([
      ['packages', 'partial'],
      ['incremental', 'miss'],
    ]);
    expect(later.records[0]!.matchedKey).toBe(first.records[0]!.key);
    fill(packages, 'new.deb', 'new');
    const saved = await saveCaches(ctx, later.records, succeeded);
    expect(saved[0]!.save?.outcome).toBe('saved');
  });

  it('a job without a suffix never falls back to the entries of a job with one, nor the reverse', async () => {
    const withSuffix = () =>
      parseOptions({ ...defaultInputs(), 'tools-tree': '/opt/tools', 'cache-key-suffix': 'pr' }, scratch);
    const first = await restoreCaches(ctx, withSuffix(), '27.1', config, 0);
    fill(packages, 'pr.deb', 'from a pull request');
    await saveCaches(ctx, first.records, succeeded);
    rmSync(packages, { recursive: true });
    const plain = await restoreCaches(ctx, options(), '27.1', config, 8 * 86_400_000);
    expect(plain.records[0]!.hit).toBe('miss');
    expect(existsSync(path.join(packages, 'pr.deb'))).toBe(false);
    fill(packages, 'main.deb', 'from main');
    await saveCaches(ctx, plain.records, succeeded);
    rmSync(packages, { recursive: true });
    const later = await restoreCaches(ctx, withSuffix(), '27.1', config, 16 * 86_400_000);
    expect(later.records[0]!.hit).toBe('partial');
    expect(readdirSync(packages)).toEqual(['pr.deb']);
  });

  it('a corrupt archive gives a warning, a miss and no half-restored tree', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    for (let i = 0; i < 50; i++) fill(incremental, `f${i}`, `content ${i}\n`.repeat(1000));
    await saveCaches(ctx, cold.records, succeeded);
    const [archive] = readdirSync(store).filter((n) => n.startsWith('mkosi-ci-v2-incremental'));
    const file = path.join(store, archive!);
    const bytes = readFileSync(file);
    bytes.fill(0x55, Math.floor(bytes.length / 2));
    writeFileSync(file, bytes);
    rmSync(incremental, { recursive: true });
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    expect(warm.records.find((r) => r.name === 'incremental')?.hit).toBe('miss');
    expect(lines.join('\n')).toMatch(
      /warning: Cache incremental: restore failed, building without it: zstd could not decompress the archive: .*Data corruption/,
    );
    // What was extracted before the damage stayed in the staging directory, which is gone; the cache
    // directory is made empty for mkosi.
    expect(readdirSync(incremental)).toEqual([]);
    expect(readdirSync(scratch).filter((n) => n.startsWith('.mkosi-ci-restore-'))).toEqual([]);
  });

  it('adds to a package cache the user filled, never replacing a file of theirs', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(packages, 'bash.deb', 'from the cache');
    fill(path.join(packages, 'sub'), 'zsh.deb', 'from the cache');
    await saveCaches(ctx, cold.records, succeeded);
    rmSync(packages, { recursive: true });
    fill(packages, 'bash.deb', "the user's own");
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    expect(warm.records[0]!.hit).toBe('exact');
    expect(readFileSync(path.join(packages, 'bash.deb'), 'utf8')).toBe("the user's own");
    expect(readFileSync(path.join(packages, 'sub/zsh.deb'), 'utf8')).toBe('from the cache');
    expect(lines).toContain(
      `Cache packages: 1 entries already in ${scratch} were kept as they were; 1 were added from the cache.`,
    );
  });

  it('restores no incremental cache over one that is there, and says so', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(incremental, 'main.cache', 'saved');
    await saveCaches(ctx, cold.records, succeeded);
    fill(incremental, 'main.cache', 'made by the project');
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    expect(warm.records[1]!.hit).toBe('miss');
    expect(readFileSync(path.join(incremental, 'main.cache'), 'utf8')).toBe('made by the project');
    expect(lines.join('\n')).toContain(`Cache incremental: ${incremental} already there`);
  });

  it('without a store on a machine that stays, keeps the caches where they are and restores nothing', async () => {
    const result = await restoreCaches(context(undefined), options(), '27.1', config);
    expect(result).toEqual({
      skipped: 'no --cache-dir given; kept on this machine only',
      records: [],
      args: ['--incremental=yes'],
    });
    expect(lines.at(-1)).toBe(
      `No cache store (no --cache-dir given): the caches are kept on this machine (${packages}, ${incremental}) and reused as they are; nothing is restored or saved.`,
    );
    expect(existsSync(incremental)).toBe(true);
    expect(readdirSync(scratch)).not.toContain('store');
  });

  it('without a store that keeps nothing locally (the action), says why once and uses no cache', async () => {
    const runner = new ProcessRunner(() => {}, process.env);
    const throwaway = fakeContext({
      runner,
      log: consoleLog(
        () => false,
        (t) => lines.push(t.trimEnd()) > 0,
      ),
      cacheStore: { ...directoryCacheStore(undefined, runner), keepsCachesWhenUnavailable: false },
      host: { cacheHome: path.join(scratch, 'home') },
    });
    const result = await restoreCaches(throwaway, options(), '27.1', config);
    expect(result).toEqual({ skipped: 'no --cache-dir given', records: [], args: [] });
    expect(lines).toEqual(['Caches are not used in this run: no --cache-dir given.']);
  });

  it('refuses to save a cache that would contain a key file', async () => {
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    fill(incremental, 'x', 'x');
    const saved = await saveCaches(ctx, cold.records, {
      succeeded: true,
      secretFiles: [path.join(incremental, 'mkosi.key')],
      directory: '/work/project',
    });
    expect(saved[1]!.save).toEqual({ outcome: 'skipped', reason: 'it would contain keys or the project' });
  });
});

describe('keys of a real configuration', () => {
  it('do not change with the temporary directory mkosi lists its own tools-tree scripts in', async () => {
    const keysWith = async (resources: string): Promise<string[]> => {
      const raw = JSON.parse(
        readFileSync(new URL('../../fixtures/summary/tools-tree-default.json', import.meta.url), 'utf8'),
      ) as { Images: Record<string, unknown>[]; Tools: Record<string, unknown> };
      raw.Tools.PrepareScripts = [`${resources}/resources/mkosi-tools/mkosi.prepare`];
      for (const image of [...raw.Images, raw.Tools]) {
        image.PackageCacheDirectory = packages;
        image.Files = [];
      }
      // Never the machine's real tools tree, which the fixture names.
      for (const image of raw.Images) image.ToolsTree = path.join(scratch, 'project/mkosi.tools');
      const result = await restoreCaches(
        ctx,
        parseOptions(defaultInputs(), scratch),
        '27.1',
        parseSummary(JSON.stringify(raw)),
        0,
      );
      return result.records.map((r) => r.key);
    };
    const first = await keysWith('/tmp/tmpjps04377');
    expect(first.map((k) => k.split('-').slice(3, 5).join('-'))).toEqual([
      'packages-debian',
      'incremental-debian',
      'tools-tree',
    ]);
    expect(await keysWith('/tmp/tmpywqb5oio')).toEqual(first);
  });
});

describe('caches that survive a move', () => {
  /** The same project checked out at `checkout`, with mkosi-ci's caches under `cacheHome`. */
  function checkedOutAt(checkout: string): MkosiConfig {
    const raw = JSON.parse(
      readFileSync(new URL('../../fixtures/summary/tools-tree-default.json', import.meta.url), 'utf8'),
    ) as { Images: Record<string, unknown>[]; Tools: Record<string, unknown> };
    for (const image of [...raw.Images, raw.Tools]) {
      image.PackageCacheDirectory = null;
      image.Files = [];
    }
    for (const image of raw.Images) image.ToolsTree = path.join(checkout, 'project/mkosi.tools');
    return parseSummary(JSON.stringify(raw));
  }

  it('an entry saved from one checkout and cache home restores, exact, into another', async () => {
    const runner = new ProcessRunner(() => {}, process.env);
    const at = (where: string) =>
      fakeContext({
        runner,
        log: consoleLog(
          () => false,
          (t) => lines.push(t.trimEnd()) > 0,
        ),
        cacheStore: directoryCacheStore(store, runner),
        workDir: path.join(scratch, where, 'work'),
        host: { cacheHome: path.join(scratch, where, 'home') },
      });
    const first = await restoreCaches(
      at('a'),
      parseOptions(defaultInputs(), scratch),
      '27.1',
      checkedOutAt(path.join(scratch, 'a')),
      0,
    );
    expect(first.records.map((r) => r.hit)).toEqual(['miss', 'miss', 'miss']);
    fill(path.join(scratch, 'a/home/packages'), 'bash.deb', 'bash');
    fill(path.join(scratch, 'a/home/incremental'), 'debian~trixie~x86-64~main.manifest', '{}');
    fill(path.join(scratch, 'a/project/mkosi.tools/usr/bin'), 'qemu', 'qemu');
    writeFileSync(path.join(scratch, 'a/project/mkosi.tools.manifest'), '{}');
    const saved = await saveCaches(at('a'), first.records, succeeded);
    expect(saved.map((r) => r.save?.outcome)).toEqual(['saved', 'saved', 'saved']);

    const moved = await restoreCaches(
      at('b'),
      parseOptions(defaultInputs(), scratch),
      '27.1',
      checkedOutAt(path.join(scratch, 'b')),
      0,
    );
    expect(moved.records.map((r) => [r.name, r.hit])).toEqual([
      ['packages', 'exact'],
      ['incremental', 'exact'],
      ['tools-tree', 'exact'],
    ]);
    expect(moved.records.map((r) => r.key)).toEqual(first.records.map((r) => r.key));
    expect(moved.args).toEqual([
      `--package-cache-directory=${path.join(scratch, 'b/home/packages')}`,
      '--incremental=yes',
      `--cache-directory=${path.join(scratch, 'b/home/incremental')}`,
    ]);
    expect(readFileSync(path.join(scratch, 'b/home/packages/bash.deb'), 'utf8')).toBe('bash');
    expect(existsSync(path.join(scratch, 'b/home/incremental/debian~trixie~x86-64~main.manifest'))).toBe(
      true,
    );
    expect(readFileSync(path.join(scratch, 'b/project/mkosi.tools/usr/bin/qemu'), 'utf8')).toBe('qemu');
    expect(existsSync(path.join(scratch, 'b/project/mkosi.tools.manifest'))).toBe(true);
    // Nothing of the first checkout's paths in any key.
    for (const record of moved.records) expect(record.key).not.toContain(scratch);
  });
});

describe('cacheManifest', () => {
  it('changes with content and mode, not with timestamps', async () => {
    const dir = path.join(scratch, 'tree');
    fill(dir, 'a', 'one');
    const first = await cacheManifest([dir]);
    const { utimesSync, chmodSync } = await import('node:fs');
    utimesSync(path.join(dir, 'a'), new Date(0), new Date(0));
    expect((await cacheManifest([dir])).digest).toBe(first.digest);
    writeFileSync(path.join(dir, 'a'), 'two');
    const second = await cacheManifest([dir]);
    expect(second.digest).not.toBe(first.digest);
    chmodSync(path.join(dir, 'a'), 0o600);
    expect((await cacheManifest([dir])).digest).not.toBe(second.digest);
    expect(await cacheManifest([path.join(scratch, 'missing')])).toMatchObject({ files: 0, bytes: 0 });
    // apt's binary caches are rewritten on every run: not a change of the cache.
    const third = await cacheManifest([dir]);
    fill(path.join(dir, 'cache/apt'), 'pkgcache.bin', String(Math.random()));
    const withApt = await cacheManifest([dir]);
    fill(path.join(dir, 'cache/apt'), 'pkgcache.bin', String(Math.random()));
    expect((await cacheManifest([dir])).digest).toBe(withApt.digest);
    expect(withApt.digest).not.toBe(third.digest);
  });
});
