import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { HostFacts } from '../context.js';
import type { ImageConfig, MkosiConfig } from '../mkosi/config.js';
import type { ToolsTree } from '../mkosi/options.js';
import type { CacheStore, Log, Runner } from '../ports.js';
import { cacheKeys, hitKind, type CacheName, type HitKind, type InstallFields } from './keys.js';
import { keepManifest, keptManifest } from './kept-manifest.js';
import { cacheManifest } from './manifest.js';
import type { CacheOptions } from './options.js';
import { choosesIncremental, planCaches, secretsInside, type CacheTarget } from './plan.js';
import { changedSinceMark, markRestore, settleAfterMarks, type RestoreMark } from './restore-mark.js';
import { cacheEntry, restoreEntry } from './restore.js';
import { saveDecision, SECRETS_INSIDE } from './save-rule.js';

/** What restoring and saving caches uses of the world. */
export interface CachePorts {
  runner: Runner;
  log: Log;
  cacheStore: CacheStore;
  host: Pick<HostFacts, 'root' | 'uid' | 'gid' | 'cacheHome'>;
  /** This run's work directory (main and post share it): the restore-time manifests are kept there. */
  workDir: string;
}

/** One cache of this run, from restore (main) to save (post): all post needs, JSON-serializable. */
export interface CacheRecord {
  name: CacheName;
  key: string;
  restoreKeys: string[];
  paths: string[];
  hit: HitKind;
  matchedKey?: string;
  restoreMs: number;
  /** Bytes of file content after the restore. */
  sizeBytes: number;
  /**
   * Manifest digest after the restore: post saves only when the content differs from it. Not taken
   * after an exact hit, which is never saved over: its restoreMark tells whether the build touched it.
   */
  restoredDigest?: string;
  /** The restore-time manifest's file hashes (JSON), so the change check reads only what changed. */
  restoredManifest?: string;
  /** After an exact hit: when the restore ended and what each path was (see RestoreMark). */
  restoreMark?: RestoreMark;
  save?: CacheSave;
}

export type SaveOutcome = 'saved' | 'unchanged' | 'exists' | 'skipped' | 'failed';

export interface CacheSave {
  outcome: SaveOutcome;
  reason?: string;
  ms?: number;
  sizeBytes?: number;
}

export interface CachesResult {
  /** Why no cache was used in this run (no cache service, caches switched off), if so. */
  skipped?: string;
  records: CacheRecord[];
  /** mkosi options that put the caches where they were restored to. */
  args: string[];
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** "<name> <size>" and "<name> <mtime ns>" of the files in PackageDirectories=: names, never paths. */
async function packageDirectoryFiles(
  dirs: readonly string[],
): Promise<{ sizes: string[]; mtimes: string[] }> {
  const sizes: string[] = [];
  const mtimes: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const info = await stat(path.join(dir, entry.name), { bigint: true });
      sizes.push(`${entry.name} ${info.size}`);
      mtimes.push(`${entry.name} ${info.mtimeNs}`);
    }
  }
  return { sizes, mtimes };
}

async function installFields(image: ImageConfig): Promise<InstallFields> {
  const packageFiles = await packageDirectoryFiles(image.packageDirectories);
  return {
    distribution: image.distribution,
    release: image.release,
    architecture: image.architecture,
    mirror: image.mirror,
    repositories: image.repositories,
    packages: image.packages,
    buildPackages: image.buildPackages,
    packageDirectoryFiles: packageFiles.sizes,
    packageDirectoryMtimes: packageFiles.mtimes,
    // mkosi's own scripts (the tools tree's mkosi.prepare) are listed in a temporary directory that is
    // gone once mkosi exits: their content comes with mkosi's version, which is in the key already.
    prepareScripts: await Promise.all(
      image.prepareScripts.map((s) => sha256Of(s).catch(() => `mkosi:${path.basename(s)}`)),
    ),
    profiles: image.profiles,
  };
}

async function configTexts(config: MkosiConfig): Promise<string[]> {
  const files = [...new Set(config.images.flatMap((i) => i.files))];
  return Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * The caches whose exact hits are checked by their restore's mark. Not the package cache: apt rewrites
 * its binary caches (pkgcache.bin) and renames them into place on every run, which the manifest leaves
 * out and a mark would call a change; it is small, and listing it costs little.
 */
const MARKED: ReadonlySet<CacheName> = new Set(['tools-tree', 'incremental']);

async function restoreOne(
  ctx: CachePorts,
  target: { name: CacheName; key: string; restoreKeys: string[]; paths: string[] },
): Promise<CacheRecord> {
  const started = Date.now();
  const restored = await restoreEntry({ store: ctx.cacheStore, runner: ctx.runner, log: ctx.log }, target);
  const matchedKey = restored?.key;
  const hit = hitKind(target.key, matchedKey);
  const say = (bytes: number, restoreMs: number): void =>
    ctx.log.info(
      `Cache ${target.name}: ${hit}${matchedKey ? ` (${matchedKey})` : ''}, ${mib(bytes)}, ${seconds(restoreMs)}; key ${target.key}`,
    );
  if (hit === 'exact' && MARKED.has(target.name)) {
    // Never saved over: the check after the build only has to tell untouched from touched, which the
    // mark does without listing the tree now (see RestoreMark).
    const restoreMs = Date.now() - started;
    const restoreMark = markRestore(target.paths);
    say(restored!.bytes, restoreMs);
    return { ...target, hit, matchedKey: matchedKey!, restoreMs, sizeBytes: restored!.bytes, restoreMark };
  }
  const restoreMs = Date.now() - started;
  // Anything else may be saved after the build, when its content changed: hash it as restored.
  const manifest = await cacheManifest(target.paths);
  const restoredManifest = await keepManifest(ctx.workDir, target.name, manifest.hashes);
  say(manifest.bytes, restoreMs);
  return {
    ...target,
    hit,
    ...(matchedKey ? { matchedKey } : {}),
    restoreMs,
    sizeBytes: manifest.bytes,
    restoredDigest: manifest.digest,
    ...(restoredManifest ? { restoredManifest } : {}),
  };
}

/** The larger a cache usually is, the sooner it starts: the tools tree, the image, the packages. */
const START_ORDER: readonly CacheName[] = ['tools-tree', 'incremental', 'packages'];

/**
 * Restores every cache at the same time, the largest first: a store that downloads one at a time
 * (GitHub's) then downloads the next while the first is being checked and extracted, and the
 * extractions share the cores. The records come back in the plan's order.
 */
async function restoreAtOnce(ctx: CachePorts, targets: readonly CacheTarget[]): Promise<CacheRecord[]> {
  const started = [...targets].sort((a, b) => START_ORDER.indexOf(a.name) - START_ORDER.indexOf(b.name));
  const done = await Promise.all(started.map((target) => restoreOne(ctx, target)));
  return targets.map((target) => done[started.indexOf(target)]!);
}

/**
 * Restores the caches before the build: derives the keys from the resolved configuration, restores
 * each cache that is switched on, and returns the mkosi options that make mkosi use them. Never
 * throws for a cache problem: a cache that cannot be restored means a cold build and a warning.
 */
export async function restoreCaches(
  ctx: CachePorts,
  options: { cache: CacheOptions; toolsTree: ToolsTree; args: readonly string[] },
  mkosiVersion: string,
  config: MkosiConfig,
  now = Date.now(),
): Promise<CachesResult> {
  const enabled = Object.values(options.cache.enabled).some(Boolean);
  if (!enabled) return { skipped: 'caches are switched off', records: [], args: [] };
  const unavailable = ctx.cacheStore.unavailable();
  if (unavailable && !ctx.cacheStore.keepsCachesWhenUnavailable) {
    ctx.log.info(`Caches are not used in this run: ${unavailable}.`);
    return { skipped: unavailable, records: [], args: [] };
  }
  const keys = cacheKeys({
    images: await Promise.all(config.images.map(installFields)),
    tools: config.tools && (await installFields(config.tools)),
    mkosiVersion,
    suffix: options.cache.keySuffix,
    maxAgeDays: options.cache.maxAgeDays,
    now,
  });
  const plan = planCaches({
    config,
    keys,
    options: options.cache,
    defaultToolsTree: options.toolsTree.kind === 'default',
    incrementalChosen: choosesIncremental(await configTexts(config), options.args),
    cacheHome: ctx.host.cacheHome,
  });
  for (const note of plan.notes) ctx.log.info(note);
  if (plan.args.length > 0) ctx.log.info(`mkosi options for the caches: ${plan.args.join(' ')}`);
  if (unavailable) {
    const where = plan.targets.map((t) => t.paths[0]!).join(', ');
    ctx.log.info(
      `No cache store (${unavailable}): the caches are kept on this machine (${where}) and reused as they are; nothing is restored or saved.`,
    );
    await makeCacheDirectories(plan.targets);
    return { skipped: `${unavailable}; kept on this machine only`, records: [], args: plan.args };
  }
  const records = await restoreAtOnce(ctx, plan.targets);
  await makeCacheDirectories(plan.targets);
  await settleAfterMarks(records.flatMap((r) => (r.restoreMark ? [r.restoreMark] : [])));
  return { records, args: plan.args };
}

/**
 * mkosi puts its workspace into <cache>/mkosi when <cache> exists and does not create it: make the
 * directories now, so that mkosi creating ours under <cache> cannot leave it half set up.
 */
async function makeCacheDirectories(targets: readonly { name: CacheName; paths: string[] }[]): Promise<void> {
  for (const target of targets) {
    if (target.name !== 'tools-tree') await mkdir(target.paths[0]!, { recursive: true });
  }
}

/** Makes every file of the cache ours, so that tar can read it and the next run (another uid) can use it. */
async function fixOwnership(ctx: CachePorts, paths: readonly string[]): Promise<void> {
  if (ctx.host.root) return;
  const foreign: string[] = [];
  for (const file of paths) {
    if (!(await exists(file))) continue;
    const found = await ctx.runner.run(
      'find',
      [file, '(', '!', '-user', String(ctx.host.uid), '-o', '!', '-readable', ')', '-print', '-quit'],
      { stream: false },
    );
    if (found.stdout.trim() !== '' || found.exitCode !== 0) foreign.push(file);
  }
  if (foreign.length === 0) return;
  const chown = await ctx.runner.run(
    'sudo',
    ['-n', 'chown', '-R', `${ctx.host.uid}:${ctx.host.gid}`, ...foreign],
    { stream: false },
  );
  if (chown.exitCode !== 0) {
    throw new Error(
      `files in ${foreign.join(', ')} belong to another user and sudo chown failed: ${chown.stderr.trim()}`,
    );
  }
}

/**
 * Whether the cache is as the restore left it. After an exact hit, by the restore's mark (nothing is
 * read); else by the manifest, reading only the files whose stat moved since the restore-time one.
 */
async function changeCheck(
  ctx: CachePorts,
  record: CacheRecord,
): Promise<{ unchanged: boolean; files: { entries: number; bytes: number } }> {
  if (record.restoreMark) {
    const since = await changedSinceMark(record.paths, record.restoreMark);
    ctx.log.info(
      since.touched === undefined
        ? `Cache ${record.name}: change check looked at ${since.entries} entries, none touched since the restore.`
        : `Cache ${record.name}: change check: ${since.touched} was touched after the restore.`,
    );
    return { unchanged: since.touched === undefined, files: since };
  }
  const manifest = await cacheManifest(record.paths, await keptManifest(record.restoredManifest));
  ctx.log.info(
    `Cache ${record.name}: change check read ${manifest.hashed} of ${Object.keys(manifest.hashes).length} files; the others are as they were restored.`,
  );
  return {
    unchanged: manifest.digest === record.restoredDigest,
    files: { entries: manifest.files, bytes: manifest.bytes },
  };
}

async function saveOne(
  ctx: CachePorts,
  record: CacheRecord,
  build: { succeeded: boolean; secretFiles: readonly string[]; directory: string },
): Promise<CacheSave> {
  let bytes: number | undefined;
  let secrets: string[] = [];
  const decision = await saveDecision(build, async () => {
    const { unchanged, files } = await changeCheck(ctx, record);
    bytes = files.bytes;
    secrets = secretsInside(record.paths, build.secretFiles, build.directory);
    return {
      name: record.name,
      unchanged,
      files: files.entries,
      hit: record.hit,
      toolsTreeComplete: record.name !== 'tools-tree' || (await exists(record.paths[1]!)),
      secrets,
    };
  });
  if (!decision.save) {
    if (decision.reason === SECRETS_INSIDE) {
      ctx.log.warning(`Cache ${record.name}: not saved, it would contain ${secrets.join(', ')}.`);
    }
    const { outcome, reason } = decision;
    // A size is shown for what is in the store (unchanged, exists), not for what was refused.
    const size = outcome === 'skipped' || bytes === undefined ? {} : { sizeBytes: bytes };
    return { outcome, ...(reason ? { reason } : {}), ...size };
  }
  const started = Date.now();
  await fixOwnership(ctx, record.paths);
  const saved = await ctx.cacheStore.save(cacheEntry(record.paths), record.key);
  return {
    outcome: saved ? 'saved' : 'exists',
    ms: Date.now() - started,
    sizeBytes: bytes,
    // @actions/cache does not say which: a reservation conflict (logged as info) or a failed upload
    // (logged as a warning just above).
    ...(saved ? {} : { reason: 'not stored: the key exists already or the upload failed' }),
  };
}

/**
 * Saves the caches after the run, only when the build succeeded and only those whose content changed
 * since the restore. Never throws: a cache that cannot be saved is a warning.
 */
export async function saveCaches(
  ctx: CachePorts,
  records: readonly CacheRecord[],
  build: { succeeded: boolean; secretFiles: readonly string[]; directory: string },
): Promise<CacheRecord[]> {
  // All at once: the change checks share the cores; a store that uploads one at a time queues them.
  return Promise.all(records.map((record) => saveAndSay(ctx, record, build)));
}

async function saveAndSay(
  ctx: CachePorts,
  record: CacheRecord,
  build: { succeeded: boolean; secretFiles: readonly string[]; directory: string },
): Promise<CacheRecord> {
  let save: CacheSave;
  try {
    save = await saveOne(ctx, record, build);
  } catch (error) {
    ctx.log.warning(`Cache ${record.name}: save failed: ${errorMessage(error)}`);
    save = { outcome: 'failed', reason: errorMessage(error) };
  }
  ctx.log.info(
    `Cache ${record.name}: ${save.outcome}${save.reason ? ` (${save.reason})` : ''}${save.ms !== undefined ? ` in ${seconds(save.ms)}` : ''}; key ${record.key}`,
  );
  return { ...record, save };
}
