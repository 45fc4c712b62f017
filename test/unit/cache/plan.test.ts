import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cacheKeys } from '../../../src/cache/keys.js';
import { choosesIncremental, planCaches, secretsInside, type PlanInputs } from '../../../src/cache/plan.js';
import { parseSummary, type MkosiConfig } from '../../../src/mkosi/config.js';

function config(name: string, edit: (main: Record<string, unknown>) => void = () => {}): MkosiConfig {
  const raw = JSON.parse(
    readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8'),
  ) as { Images: Record<string, unknown>[] };
  for (const image of raw.Images) edit(image);
  return parseSummary(JSON.stringify(raw));
}

function plan(c: MkosiConfig, overrides: Partial<PlanInputs> = {}) {
  const keys = cacheKeys({
    images: c.images.map((i) => ({ ...i, packageDirectoryFiles: [], prepareScripts: [] })),
    tools: c.tools && { ...c.tools, packageDirectoryFiles: [], prepareScripts: [] },
    mkosiVersion: '27.1',
    suffix: '',
    maxAgeDays: 7,
    now: 0,
  });
  return planCaches({
    config: c,
    keys,
    options: {
      enabled: { packages: true, incremental: true, 'tools-tree': true },
      keySuffix: '',
      maxAgeDays: 7,
    },
    defaultToolsTree: true,
    incrementalChosen: false,
    cacheHome: '/home/runner/.cache/mkosi-ci',
    ...overrides,
  });
}

describe('planCaches', () => {
  it('caches the package directory the project names, and turns Incremental= on with a cache directory', () => {
    const p = plan(config('debian-minimal'));
    expect(p.targets.map((t) => [t.name, t.paths])).toEqual([
      ['packages', ['/var/cache/mkosi-ci-test/packages']],
      ['incremental', ['/home/runner/.cache/mkosi-ci/incremental']],
    ]);
    expect(p.args).toEqual([
      '--incremental=yes',
      '--cache-directory=/home/runner/.cache/mkosi-ci/incremental',
    ]);
  });

  it('chooses a package cache directory when the project names none', () => {
    const p = plan(
      config('debian-minimal', (i) => {
        i.PackageCacheDirectory = null;
        i.CacheDirectory = '/srv/cache';
        i.Incremental = 'yes';
      }),
    );
    expect(p.targets.map((t) => t.paths[0])).toEqual(['/home/runner/.cache/mkosi-ci/packages', '/srv/cache']);
    expect(p.args).toEqual(['--package-cache-directory=/home/runner/.cache/mkosi-ci/packages']);
  });

  it('leaves Incremental=no alone when the project chose it', () => {
    const p = plan(config('debian-minimal'), { incrementalChosen: true });
    expect(p.targets.map((t) => t.name)).toEqual(['packages']);
    expect(p.args).toEqual([]);
    expect(p.notes).toEqual([
      'incremental: the project sets Incremental=no, so there is no incremental cache.',
    ]);
  });

  it('caches the default tools tree with its manifest, only when mkosi builds it', () => {
    const c = config('tools-tree-default');
    expect(plan(c).targets.find((t) => t.name === 'tools-tree')?.paths).toEqual([
      '/var/cache/mkosi-ci-test/tools/mkosi.tools',
      '/var/cache/mkosi-ci-test/tools/mkosi.tools.manifest',
    ]);
    expect(plan(c, { defaultToolsTree: false }).targets.map((t) => t.name)).toEqual([
      'packages',
      'incremental',
    ]);
  });

  it('switches each cache off on its own', () => {
    const p = plan(config('tools-tree-default'), {
      options: {
        enabled: { packages: false, incremental: true, 'tools-tree': false },
        keySuffix: '',
        maxAgeDays: 7,
      },
    });
    expect(p.targets.map((t) => t.name)).toEqual(['incremental']);
  });
});

describe('choosesIncremental', () => {
  it('finds Incremental= in configuration text or the args', () => {
    expect(choosesIncremental(['[Output]\nFormat=disk\n'], [])).toBe(false);
    expect(choosesIncremental(['[Build]\n  Incremental=no\n'], [])).toBe(true);
    expect(choosesIncremental([], ['--incremental=no'])).toBe(true);
    expect(choosesIncremental([], ['--image-version=1'])).toBe(false);
  });
});

describe('secretsInside', () => {
  it('names the key files and the project a cache would contain', () => {
    expect(secretsInside(['/srv/cache'], ['/work/p/mkosi.key'], '/work/p')).toEqual([]);
    expect(secretsInside(['/work'], ['/work/p/mkosi.key'], '/work/p')).toEqual([
      '/work/p/mkosi.key',
      '/work/p',
    ]);
    // The tools tree lives inside the project; that is fine.
    expect(secretsInside(['/work/p/mkosi.tools'], ['/work/p/mkosi.key'], '/work/p')).toEqual([]);
  });
});
