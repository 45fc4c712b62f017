import { createHash } from 'node:crypto';

/**
 * Cache keys, derived in one pure function from the resolved configuration. A key changes exactly when
 * what the cache holds would change: the fields that decide what gets installed, mkosi's version, the
 * user's suffix and (for content that carries installed packages) the time bucket of `cache-max-age`.
 *
 *   mkosi-ci-v2-<cache>-<distribution>-<release>-<architecture>-<suffix>-<scope>-<hash>
 *
 * The readable fields are slugs without '-', so '-' only ever separates fields and every key has the
 * same number of them (the suffix field is empty without a suffix). Slugs lose information ("a-b" and
 * "a_b" are both "a_b"), so `<scope>` hashes the exact cache name, distribution, release, architecture
 * and suffix: a restore prefix (everything up to `<scope>-`) matches only keys of that very scope, never
 * the entries of another suffix.
 */

export const CACHE_NAMES = ['packages', 'incremental', 'tools-tree'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** How a restore went: the exact key, an older entry found by prefix, or nothing. */
export type HitKind = 'exact' | 'partial' | 'miss';

/** The fields of one image (or of the default tools tree) that change what gets installed. */
export interface InstallFields {
  distribution: string;
  release: string;
  architecture: string;
  mirror: string | undefined;
  repositories: readonly string[];
  packages: readonly string[];
  buildPackages: readonly string[];
  /** One entry per package file in PackageDirectories=: "<name> <size>". */
  packageDirectoryFiles: readonly string[];
  /**
   * One entry per package file in PackageDirectories=: "<name> <mtime in ns>". mkosi compares exactly
   * these before it reuses an incremental cache (Config.cache_manifest in mkosi 27), so they are part
   * of the incremental key only: a checkout that gave the files new mtimes misses instead of restoring
   * an image mkosi would throw away. Names only, never paths: the key survives a move.
   */
  packageDirectoryMtimes?: readonly string[];
  /** sha256 of each prepare script's content. */
  prepareScripts: readonly string[];
  profiles: readonly string[];
}

export interface KeyInputs {
  /** Every image, subimages first, the main image last. */
  images: readonly InstallFields[];
  /** The default tools tree mkosi builds, when it builds one. */
  tools: InstallFields | undefined;
  mkosiVersion: string;
  suffix: string;
  /** Days after which the package, incremental and tools-tree keys roll over; 0 never. */
  maxAgeDays: number;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface CacheKey {
  name: CacheName;
  key: string;
  /** Prefixes a restore may fall back to, newest entry first (empty: exact keys only). */
  restoreKeys: string[];
}

export const KEY_VERSION = 'mkosi-ci-v2';

const DAY_MS = 86_400_000;

/** The time bucket: the same number for every run within one `maxAgeDays` window. */
export function timeBucket(now: number, maxAgeDays: number): number {
  return maxAgeDays > 0 ? Math.floor(now / (maxAgeDays * DAY_MS)) : 0;
}

/** Keys allow no commas and are at most 512 characters; keep the readable parts plain. */
function slug(value: string): string {
  return value.replace(/[^A-Za-z0-9._]+/g, '_').slice(0, 40) || '_';
}

/** Order-independent where mkosi is (package lists), order-preserving where order matters. */
function canonical(fields: InstallFields): unknown {
  return {
    distribution: fields.distribution,
    release: fields.release,
    architecture: fields.architecture,
    mirror: fields.mirror ?? null,
    repositories: [...fields.repositories].sort(),
    packages: [...new Set(fields.packages)].sort(),
    buildPackages: [...new Set(fields.buildPackages)].sort(),
    packageDirectoryFiles: [...fields.packageDirectoryFiles].sort(),
    prepareScripts: [...fields.prepareScripts].sort(),
    profiles: [...fields.profiles].sort(),
  };
}

function hash(value: unknown, length = 24): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}

/** Everything of a key but its content hash; also the restore prefix of the package cache. */
export function keyPrefix(name: CacheName, fields: InstallFields, suffix: string): string {
  const scope = hash([name, fields.distribution, fields.release, fields.architecture, suffix], 12);
  const parts = [
    KEY_VERSION,
    name,
    slug(fields.distribution),
    slug(fields.release),
    slug(fields.architecture),
    suffix ? slug(suffix) : '',
    scope,
  ];
  return parts.join('-') + '-';
}

/**
 * The key of each cache that applies (tools-tree only when mkosi builds its default tools tree).
 * Only the package cache falls back by prefix: mkosi throws away an incremental cache whose
 * configuration differs, and an older tools tree with the same configuration would be used as it is,
 * past `cache-max-age`, so those two are exact-only.
 */
export function cacheKeys(inputs: KeyInputs): CacheKey[] {
  const main = inputs.images.at(-1);
  if (!main) throw new Error('cacheKeys: no images');
  const common = {
    mkosi: inputs.mkosiVersion,
    suffix: inputs.suffix,
    bucket: timeBucket(inputs.now, inputs.maxAgeDays),
  };
  const images = inputs.images.map(canonical);
  const packageMtimes = inputs.images.map((i) => [...(i.packageDirectoryMtimes ?? [])].sort());
  const tools = inputs.tools && canonical(inputs.tools);
  const keys: CacheKey[] = [];
  const packages = keyPrefix('packages', main, inputs.suffix);
  // The package cache also holds the tools tree's packages.
  keys.push({
    name: 'packages',
    key: packages + hash({ cache: 'packages', images, tools: tools ?? null, ...common }),
    restoreKeys: [packages],
  });
  keys.push({
    name: 'incremental',
    key:
      keyPrefix('incremental', main, inputs.suffix) +
      hash({
        cache: 'incremental',
        images,
        ...common,
        ...(packageMtimes.some((m) => m.length > 0) ? { packageMtimes } : {}),
      }),
    restoreKeys: [],
  });
  if (inputs.tools) {
    keys.push({
      name: 'tools-tree',
      key:
        keyPrefix('tools-tree', inputs.tools, inputs.suffix) +
        hash({ cache: 'tools-tree', tools, ...common }),
      restoreKeys: [],
    });
  }
  return keys;
}

export function hitKind(key: string, matchedKey: string | undefined): HitKind {
  if (matchedKey === undefined) return 'miss';
  return matchedKey === key ? 'exact' : 'partial';
}
