import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cacheKeys,
  hitKind,
  timeBucket,
  type InstallFields,
  type KeyInputs,
} from '../../../src/cache/keys.js';
import { parseSummary, secretFilesOf, type ImageConfig } from '../../../src/mkosi/config.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8');
}

function fields(image: ImageConfig): InstallFields {
  return { ...image, packageDirectoryFiles: [], prepareScripts: [] };
}

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 22, 12);

function inputs(overrides: Partial<KeyInputs> = {}): KeyInputs {
  const config = parseSummary(fixture('tools-tree-default'));
  return {
    images: config.images.map(fields),
    tools: config.tools && fields(config.tools),
    mkosiVersion: '27.1',
    suffix: '',
    maxAgeDays: 7,
    now: NOW,
    ...overrides,
  };
}

describe('cacheKeys', () => {
  it('names each cache mkosi-ci-v2-<cache>-<distro>-<release>-<arch>-<suffix>-<scope>-<hash>', () => {
    const keys = cacheKeys(inputs());
    expect(keys.map((k) => k.name)).toEqual(['packages', 'incremental', 'tools-tree']);
    expect(keys[0]!.key).toMatch(/^mkosi-ci-v2-packages-debian-bookworm-x86_64--[0-9a-f]{12}-[0-9a-f]{24}$/);
    expect(keys[1]!.key).toMatch(
      /^mkosi-ci-v2-incremental-debian-bookworm-x86_64--[0-9a-f]{12}-[0-9a-f]{24}$/,
    );
    // The tools tree is named by its own distribution and release.
    expect(keys[2]!.key).toMatch(/^mkosi-ci-v2-tools-tree-debian-trixie-x86_64--[0-9a-f]{12}-[0-9a-f]{24}$/);
    expect(cacheKeys(inputs({ suffix: 'nightly' }))[0]!.key).toMatch(
      /^mkosi-ci-v2-packages-debian-bookworm-x86_64-nightly-[0-9a-f]{12}-[0-9a-f]{24}$/,
    );
  });

  it('is stable: the same configuration in the same window gives the same keys', () => {
    expect(cacheKeys(inputs())).toEqual(cacheKeys(inputs({ now: NOW + 1000 })));
    // Package order does not matter to mkosi, so not to the key either.
    const shuffled = inputs();
    shuffled.images = shuffled.images.map((i) => ({ ...i, packages: [...i.packages].reverse() }));
    expect(cacheKeys(shuffled)).toEqual(cacheKeys(inputs()));
  });

  it('only the package cache falls back by prefix', () => {
    const keys = cacheKeys(inputs());
    expect(keys[0]!.restoreKeys).toEqual([keys[0]!.key.slice(0, -24)]);
    expect(keys[0]!.restoreKeys[0]).toMatch(/^mkosi-ci-v2-packages-debian-bookworm-x86_64--[0-9a-f]{12}-$/);
    expect(keys[0]!.key.startsWith(keys[0]!.restoreKeys[0]!)).toBe(true);
    expect(keys[1]!.restoreKeys).toEqual([]);
    expect(keys[2]!.restoreKeys).toEqual([]);
  });

  it.each<[string, (i: KeyInputs) => KeyInputs, string[]]>([
    [
      'a package',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, packages: [...m.packages, 'vim'] })) }),
      ['packages', 'incremental'],
    ],
    [
      'the mirror',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, mirror: 'http://other' })) }),
      ['packages', 'incremental'],
    ],
    [
      'a repository',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, repositories: ['contrib'] })) }),
      ['packages', 'incremental'],
    ],
    [
      'a build package',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, buildPackages: ['gcc'] })) }),
      ['packages', 'incremental'],
    ],
    [
      'a prepare script',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, prepareScripts: ['ab12'] })) }),
      ['packages', 'incremental'],
    ],
    [
      'a package directory file',
      (i) => ({ ...i, images: i.images.map((m) => ({ ...m, packageDirectoryFiles: ['x.deb 10'] })) }),
      ['packages', 'incremental'],
    ],
    [
      'the mtime of a package directory file (mkosi compares it before reusing its incremental cache)',
      (i) => ({
        ...i,
        images: i.images.map((m) => ({ ...m, packageDirectoryMtimes: ['x.deb 1700000000000000000'] })),
      }),
      ['incremental'],
    ],
    [
      'a tools tree package',
      (i) => ({ ...i, tools: { ...i.tools!, packages: [...i.tools!.packages, 'vim'] } }),
      ['packages', 'tools-tree'],
    ],
    ['the mkosi version', (i) => ({ ...i, mkosiVersion: '26' }), ['packages', 'incremental', 'tools-tree']],
    ['the suffix', (i) => ({ ...i, suffix: 'nightly' }), ['packages', 'incremental', 'tools-tree']],
    ['the week', (i) => ({ ...i, now: NOW + 7 * DAY }), ['packages', 'incremental', 'tools-tree']],
  ])('changing %s changes exactly the keys of the caches it affects', (_, change, changed) => {
    const before = cacheKeys(inputs());
    const after = cacheKeys(change(inputs()));
    for (const key of before) {
      const other = after.find((k) => k.name === key.name)!;
      expect(other.key !== key.key, key.name).toBe(changed.includes(key.name));
    }
  });

  it('puts the suffix in the prefix too, so a fallback never crosses partitions', () => {
    const keys = cacheKeys(inputs({ suffix: 'release/1.x' }));
    expect(keys[0]!.restoreKeys[0]).toMatch(
      /^mkosi-ci-v2-packages-debian-bookworm-x86_64-release_1.x-[0-9a-f]{12}-$/,
    );
  });

  it('no restore prefix matches the key of another suffix, not even one that slugs alike', () => {
    // The scope hash of the suffix-less keys, offered as a suffix: an attempt to forge their prefix.
    const scope = cacheKeys(inputs())[0]!.key.split('-').at(-2)!;
    const suffixes = ['', 'nightly', 'nightly-x', 'a-b', 'a_b', '_', '-', scope, `${scope}-x`];
    const keysOf = (suffix: string): string[] =>
      [0, 30, 365].map((days) => cacheKeys(inputs({ suffix, now: NOW + days * DAY }))[0]!.key);
    for (const mine of suffixes) {
      const [prefix] = cacheKeys(inputs({ suffix: mine }))[0]!.restoreKeys;
      for (const key of keysOf(mine)) expect(key.startsWith(prefix!), `${mine}: own key`).toBe(true);
      for (const other of suffixes.filter((s) => s !== mine)) {
        for (const key of keysOf(other)) expect(key.startsWith(prefix!), `${mine} -> ${other}`).toBe(false);
      }
    }
  });

  it('no restore prefix matches another distribution, release or architecture that slugs alike', () => {
    const variant = (release: string): KeyInputs =>
      inputs({ images: inputs().images.map((m) => ({ ...m, release })) });
    const [prefix] = cacheKeys(variant('24.04-lts'))[0]!.restoreKeys;
    expect(cacheKeys(variant('24.04_lts'))[0]!.key.startsWith(prefix!)).toBe(false);
    expect(cacheKeys(variant('24.04-lts'))[0]!.key.startsWith(prefix!)).toBe(true);
  });

  it('has no tools-tree key when mkosi builds no tools tree', () => {
    const config = parseSummary(fixture('debian-minimal'));
    const keys = cacheKeys(inputs({ images: config.images.map(fields), tools: undefined }));
    expect(keys.map((k) => k.name)).toEqual(['packages', 'incremental']);
  });
});

describe('timeBucket and hitKind', () => {
  it('rolls every maxAgeDays, never with 0', () => {
    expect(timeBucket(14 * DAY - 1, 7)).toBe(1);
    expect(timeBucket(14 * DAY, 7)).toBe(2);
    expect(timeBucket(NOW, 0)).toBe(0);
    expect(timeBucket(NOW + 1000 * DAY, 0)).toBe(0);
  });

  it('tells exact, partial and miss apart', () => {
    expect(hitKind('k-1', 'k-1')).toBe('exact');
    expect(hitKind('k-1', 'k-0')).toBe('partial');
    expect(hitKind('k-1', undefined)).toBe('miss');
  });
});

describe('summary fields for the keys', () => {
  it('reads packages, build packages, profiles and files from real summaries', () => {
    const config = parseSummary(fixture('debian-bootable'));
    expect(config.main.packages).toEqual([
      'dbus',
      'linux-image-cloud-amd64',
      'systemd',
      'systemd-boot',
      'systemd-boot-efi',
      'udev',
    ]);
    expect(config.main.buildPackages).toEqual([]);
    expect(config.main.prepareScripts).toEqual([]);
    expect(config.main.files).toEqual(['/work/main/test-projects/debian-bootable/mkosi.conf']);
    expect(config.main.packageCacheDirectory).toBe('/var/cache/mkosi-ci-test/packages');
    expect(config.main.cacheDirectory).toBeUndefined();
    expect(config.main.incremental).toBe('no');
    const tools = parseSummary(fixture('tools-tree-default')).tools!;
    expect(tools.profiles).toEqual(['misc']);
    expect(tools.packages).toContain('qemu-system-x86');
    expect(secretFilesOf(config)).toEqual([]);
  });

  it('collects the key files the configuration names', () => {
    const raw = JSON.parse(fixture('debian-minimal')) as { Images: Record<string, unknown>[] };
    raw.Images.at(-1)!.SecureBootKey = '/work/project/mkosi.key';
    raw.Images.at(-1)!.Passphrase = '/work/project/mkosi.passphrase';
    expect(secretFilesOf(parseSummary(JSON.stringify(raw)))).toEqual([
      '/work/project/mkosi.key',
      '/work/project/mkosi.passphrase',
    ]);
  });
});
