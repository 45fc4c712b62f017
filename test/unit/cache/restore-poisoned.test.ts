import * as cache from '@actions/cache';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entryName, directoryCacheStore } from '../../../src/cli/cache-store.js';
import { consoleLog } from '../../../src/cli/log.js';
import { actionsCacheStore } from '../../../src/github/cache-store.js';
import { parseSummary, type MkosiConfig } from '../../../src/mkosi/config.js';
import { restoreCaches, saveCaches, type CacheRecord } from '../../../src/cache/caches.js';
import type { Context } from '../../../src/context.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { ProcessRunner } from '../../../src/process/runner.js';
import { fakeContext } from '../../support/fake-context.js';
import type { CacheStore } from '../../../src/ports.js';
import { startResultsServer, type ResultsServer } from '../../support/results-server.js';

/**
 * Poisoned cache entries, made with the real tar, through both stores: the CLI's directory store and
 * the real @actions/cache against the local results server. Whatever an entry holds, nothing outside
 * the cache's own directories changes (a canary tree is hashed before and after, /etc is checked for
 * the planted name), the restore is a miss with a warning, and the run goes on cold.
 */

const PLANTED = `mkosi-ci-planted-${process.pid}`;
const root = process.getuid?.() === 0;

let scratch: string;
let canary: string;
let lines: string[];
let config: MkosiConfig;
/** What the libraries printed to stdout. */
const libraryOutput: string[] = [];

function tar(...args: string[]): void {
  execFileSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Every entry of a tree: path, type, mode, size, and link target or content hash. */
function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (file: string): void => {
    const info = lstatSync(file);
    const rel = path.relative(dir, file);
    if (info.isSymbolicLink()) hash.update(`l ${rel} ${readlinkSync(file)}\n`);
    else if (info.isDirectory()) {
      hash.update(`d ${rel} ${info.mode}\n`);
      for (const name of readdirSync(file).sort()) walk(path.join(file, name));
    } else {
      const content = createHash('sha256').update(readFileSync(file)).digest('hex');
      hash.update(`f ${rel} ${info.mode} ${info.size} ${content}\n`);
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** A fresh source directory with the cache member in it. */
function source(name: string, member: string): string {
  const dir = path.join(scratch, 'make', name);
  mkdirSync(path.join(dir, member), { recursive: true });
  return dir;
}

type Maker = (member: string, out: string) => void;

/** Each makes a plain tar of the cache member `member` (a directory next to the canary). */
const POISONED: Array<[string, Maker]> = [
  [
    'an absolute name into the canary',
    (member, out) => {
      const src = source(`abs-${member}`, member);
      writeFileSync(path.join(src, 'planted'), 'planted');
      tar('-cPf', out, `--transform=s,^.*/planted$,${canary}/planted,`, path.join(src, 'planted'));
    },
  ],
  [
    "a '../' name into the canary",
    (member, out) => {
      const src = source(`dotdot-${member}`, member);
      writeFileSync(path.join(src, 'planted'), 'planted');
      tar('-cPf', out, '-C', src, `--transform=s,^planted$,${member}/../canary/planted,`, 'planted');
    },
  ],
  [
    'a symlink to /etc, then a file through it',
    (member, out) => {
      const first = source(`etc1-${member}`, member);
      symlinkSync('/etc', path.join(first, member, 'etc'));
      tar('-cf', out, '-C', first, member);
      const second = source(`etc2-${member}`, member);
      mkdirSync(path.join(second, member, 'etc'));
      writeFileSync(path.join(second, member, 'etc', PLANTED), 'planted');
      tar('-rf', out, '-C', second, `${member}/etc/${PLANTED}`);
    },
  ],
  [
    'a symlink to the canary, then a file over one of its files',
    (member, out) => {
      const first = source(`link1-${member}`, member);
      symlinkSync(canary, path.join(first, member, 'c'));
      tar('-cf', out, '-C', first, member);
      const second = source(`link2-${member}`, member);
      mkdirSync(path.join(second, member, 'c'));
      writeFileSync(path.join(second, member, 'c', 'file1'), 'overwritten');
      tar('-rf', out, '-C', second, `${member}/c/file1`);
    },
  ],
  ...(root
    ? ([
        [
          'a device node',
          (member, out) => {
            const src = source(`dev-${member}`, member);
            execFileSync('mknod', [path.join(src, member, 'null'), 'c', '1', '3']);
            tar('-cf', out, '-C', src, member);
          },
        ],
      ] as Array<[string, Maker]>)
    : []),
  [
    'a huge sparse file (1 TiB)',
    (member, out) => {
      const src = source(`sparse-${member}`, member);
      writeFileSync(path.join(src, member, 'huge'), '');
      truncateSync(path.join(src, member, 'huge'), 1024 ** 4);
      tar('--sparse', '-cf', out, '-C', src, member);
    },
  ],
];

const CLEAN: Maker = (member, out) => {
  const src = source(`clean-${member}`, member);
  writeFileSync(path.join(src, member, 'file.txt'), 'clean');
  tar('-cf', out, '-C', src, member);
};

/** The archive `make` builds for a cache, compressed as both stores keep it. */
function archiveFor(make: Maker, record: CacheRecord): string {
  const member = path.basename(record.paths[0]!);
  const plain = path.join(scratch, 'make', `${record.name}-${Math.random().toString(36).slice(2)}.tar`);
  mkdirSync(path.dirname(plain), { recursive: true });
  make(member, plain);
  execFileSync('zstd', ['-q', '-f', '--rm', plain, '-o', `${plain}.zst`]);
  return `${plain}.zst`;
}

interface StoreUnderTest {
  store(): CacheStore;
  plant(record: CacheRecord, archive: string): Promise<void>;
}

function directoryStore(): StoreUnderTest {
  const dir = (): string => path.join(scratch, 'store');
  return {
    store: () => directoryCacheStore(dir(), new ProcessRunner(() => {}, process.env)),
    async plant(record, archive) {
      mkdirSync(dir(), { recursive: true });
      const members = record.paths.map((p) => path.basename(p));
      copyFileSync(archive, path.join(dir(), entryName(record.key, members)));
    },
  };
}

/**
 * The real @actions/cache saves the poisoned archive: a stand-in tar on PATH hands it the file instead
 * of archiving the (empty) member it was given.
 */
function actionsStore(server: () => ResultsServer): StoreUnderTest {
  return {
    store: () => actionsCacheStore(process.env),
    async plant(record, archive) {
      const members = record.paths.map((p) => path.basename(p));
      const dir = mkdtempSync(path.join(scratch, 'plant-'));
      for (const member of members) mkdirSync(path.join(dir, member));
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, 'tar'),
        `#!/bin/sh\nif [ "$1" = --posix ]; then exec cp -- '${archive}' "$3"; fi\nexec /usr/bin/tar "$@"\n`,
        { mode: 0o755 },
      );
      const saved = { cwd: process.cwd(), path: process.env.PATH };
      process.chdir(dir);
      process.env.PATH = `${bin}:${saved.path}`;
      try {
        expect(await cache.saveCache(members, record.key)).not.toBe(-1);
      } finally {
        process.chdir(saved.cwd);
        process.env.PATH = saved.path;
      }
      expect(
        server()
          .cacheEntries()
          .some((e) => e.key === record.key && e.finalized),
      ).toBe(true);
    },
  };
}

function context(store: CacheStore): Context {
  return fakeContext({
    runner: new ProcessRunner(() => {}, process.env),
    log: consoleLog(
      () => false,
      (t) => lines.push(t.trimEnd()) > 0,
    ),
    cacheStore: store,
    workDir: path.join(scratch, 'work'),
    host: { cacheHome: path.join(scratch, 'home') },
  });
}

const options = () => parseOptions({ ...defaultInputs(), 'tools-tree': '/opt/tools' }, scratch);

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cache-poisoned-'));
  lines = [];
  canary = path.join(scratch, 'canary');
  mkdirSync(path.join(canary, 'sub'), { recursive: true });
  writeFileSync(path.join(canary, 'file1'), 'canary one');
  writeFileSync(path.join(canary, 'sub/file2'), 'canary two');
  symlinkSync('file1', path.join(canary, 'link'));
  const raw = JSON.parse(
    readFileSync(new URL('../../fixtures/summary/debian-minimal.json', import.meta.url), 'utf8'),
  ) as { Images: Record<string, unknown>[] };
  for (const image of raw.Images) {
    image.PackageCacheDirectory = path.join(scratch, 'packages');
    image.CacheDirectory = path.join(scratch, 'incremental');
    image.Files = [];
  }
  config = parseSummary(JSON.stringify(raw));
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function describeStore(name: string, underTest: () => StoreUnderTest): void {
  describe(name, () => {
    /** Plants the archive `make` builds under each cache's key; the warm restore that follows. */
    async function restorePlanted(make: Maker): Promise<CacheRecord[]> {
      const store = underTest();
      const cold = await restoreCaches(context(store.store()), options(), '27.1', config);
      expect(cold.records.map((r) => r.hit)).toEqual(['miss', 'miss']);
      for (const record of cold.records) await store.plant(record, archiveFor(make, record));
      lines = [];
      libraryOutput.length = 0;
      return (await restoreCaches(context(store.store()), options(), '27.1', config)).records;
    }

    it('restores a clean entry made the same way (the planting itself works)', async () => {
      const records = await restorePlanted(CLEAN);
      expect(records.map((r) => r.hit)).toEqual(['exact', 'exact']);
      expect(readFileSync(path.join(scratch, 'packages/file.txt'), 'utf8')).toBe('clean');
      expect(readFileSync(path.join(scratch, 'incremental/file.txt'), 'utf8')).toBe('clean');
    });

    it.each(POISONED)('refuses %s: nothing outside changes, the run goes on cold', async (_, make) => {
      const before = treeHash(canary);
      const records = await restorePlanted(make);
      expect(records.map((r) => r.hit)).toEqual(['miss', 'miss']);
      for (const cacheName of ['packages', 'incremental']) {
        expect(lines.join('\n')).toMatch(
          new RegExp(`warning: Cache ${cacheName}: the entry mkosi-ci-v2-${cacheName}-\\S+ was refused`),
        );
      }
      expect(treeHash(canary)).toBe(before);
      expect(existsSync(path.join('/etc', PLANTED))).toBe(false);
      // The cache directories are there, empty, for mkosi to fill; no staging directory is left.
      expect(readdirSync(path.join(scratch, 'packages'))).toEqual([]);
      expect(readdirSync(path.join(scratch, 'incremental'))).toEqual([]);
      expect(readdirSync(scratch).filter((n) => n.startsWith('.mkosi-ci-restore-'))).toEqual([]);
      if (name.includes('@actions/cache')) {
        // The library extracted nothing itself: both of its tar calls went to the stand-in.
        const calls = libraryOutput.join('').match(/^\[command\]\S+\/tar -xf .*$/gm) ?? [];
        expect(calls).toHaveLength(2);
        for (const call of calls) expect(call).toMatch(/^\[command\]\S+\/mkosi-ci-tar-\w+\/bin\/tar -xf /);
      }
    });
  });
}

describeStore('the CLI directory store', directoryStore);

describe('with the results server', () => {
  let server: ResultsServer;
  const saved: Record<string, string | undefined> = {};
  const write = process.stdout.write;
  beforeAll(async () => {
    // What @actions/cache prints (its commands, its debug lines) is kept for the assertions, not shown.
    process.stdout.write = ((chunk: unknown) => {
      libraryOutput.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    server = await startResultsServer();
    const env = { ...server.env(), MKOSI_CI_CACHE_LOOKUP_TIMEOUT: '10' };
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    process.stdout.write = write;
    await server?.close();
  });
  beforeEach(() => server.reset());

  describeStore('the action store (real @actions/cache)', () => actionsStore(() => server));

  it('the action store restores what the real library saved, names relative to their root', async () => {
    const ctx = context(actionsCacheStore(process.env));
    const cold = await restoreCaches(ctx, options(), '27.1', config);
    const packages = path.join(scratch, 'packages');
    mkdirSync(path.join(packages, 'sub'), { recursive: true });
    writeFileSync(path.join(packages, 'sub/bash.deb'), 'bash');
    symlinkSync('sub/bash.deb', path.join(packages, 'latest.deb'));
    await saveCaches(ctx, cold.records, { succeeded: true, secretFiles: [], directory: '/work/project' });
    const [entry] = server.cacheEntries().filter((e) => e.key === cold.records[0]!.key);
    const listed = execFileSync('tar', ['--zstd', '-tf', server.blobPath(entry!.blob)!], {
      encoding: 'utf8',
    });
    expect(listed.split('\n').filter(Boolean).sort()).toEqual([
      'packages/',
      'packages/latest.deb',
      'packages/sub/',
      'packages/sub/bash.deb',
    ]);
    rmSync(packages, { recursive: true });
    const warm = await restoreCaches(ctx, options(), '27.1', config);
    expect(warm.records[0]!.hit).toBe('exact');
    expect(readFileSync(path.join(packages, 'latest.deb'), 'utf8')).toBe('bash');
    expect(readlinkSync(path.join(packages, 'latest.deb'))).toBe('sub/bash.deb');
  });
});
