#!/usr/bin/env node
// bench/cache-restore: where the time of saving and restoring one big cache goes (by default the shared
// tools tree of the e2e tests), phase by phase, with mkosi-ci's own code (src/, through tsx):
//
//   save:    tar + zstd on one thread (what `tar --zstd` did), zstd -T0 (the CLI store now) and
//            zstd -T0 --long=30 (as @actions/cache), time and size;
//   restore: zstd alone, zstd + the tar guard, zstd | tar without the guard, extractArchive (zstd +
//            guard + tar, what a restore does), the manifest of the restored tree (every file hashed,
//            or only the mark of an exact hit),
//            the change check after the build (cacheManifest with the restore-time manifest: stat only;
//            after an exact hit, the ctimes against the mark),
//            and restoreEntry end to end through the CLI's directory store.
//
//   node --import tsx bench/cache-restore.mjs [--tree /var/cache/mkosi-ci-test/tools] [--rounds 3]
//
// The page cache is warm (the archive was just written): a download from GitHub's cache service comes on
// top of these figures and is not measured here. Medians of the rounds.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractArchive } from '../src/cache/extract.ts';
import { cacheManifest } from '../src/cache/manifest.ts';
import { changedSinceMark, markRestore } from '../src/cache/restore-mark.ts';
import { restoreEntry } from '../src/cache/restore.ts';
import { tarGuardStream } from '../src/cache/tar-guard.ts';
import { directoryCacheStore } from '../src/cli/cache-store.ts';
import { ProcessRunner } from '../src/process/runner.ts';

const { values } = parseArgs({
  options: {
    tree: { type: 'string', default: '/var/cache/mkosi-ci-test/tools' },
    rounds: { type: 'string', default: '3' },
    scratch: { type: 'string', default: os.tmpdir() },
  },
});
const tree = path.resolve(values.tree);
const rounds = Number(values.rounds);
const root = path.dirname(tree);
const member = path.basename(tree);
const scratch = mkdtempSync(path.join(values.scratch, 'bench-cache-restore-'));
const runner = new ProcessRunner(() => {}, process.env);
const silent = { info() {}, warning: (m) => console.error(`warning: ${m}`), error() {}, debug() {} };
const policy = { members: new Set([member]), osTree: true, maxBytes: 64 * 1024 ** 3 };

/** Bytes of content under `dir` (du --bytes). */
function execSize(dir) {
  return execFileSync('du', ['--summarize', '--bytes', dir], { encoding: 'utf8' }).split('\t')[0];
}

/** Runs a pipeline of argument arrays (no shell), stdout of each into stdin of the next; the last to /dev/null. */
function pipe(...commands) {
  return new Promise((resolve, reject) => {
    const children = commands.map(([cmd, ...args], i) =>
      spawn(cmd, args, {
        stdio: [i === 0 ? 'ignore' : 'pipe', i === commands.length - 1 ? 'ignore' : 'pipe', 'inherit'],
      }),
    );
    for (let i = 1; i < children.length; i++) children[i - 1].stdout.pipe(children[i].stdin);
    let left = children.length;
    for (const child of children) {
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`${child.spawnargs.join(' ')} exited ${code}`));
        else if (--left === 0) resolve();
      });
    }
  });
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Times `fn` over the rounds, `before` (untimed) ahead of each; returns the first round's value. */
async function measure(label, fn, before) {
  const times = [];
  let first;
  for (let i = 0; i < rounds; i++) {
    if (before) await before();
    const { seconds, value } = await timed(fn);
    times.push(seconds);
    // The first round's value: the manifest taken right after an extraction, as a restore takes it.
    if (i === 0) first = value;
  }
  console.log(
    `${label.padEnd(60)} ${median(times).toFixed(2)} s  (rounds: ${times.map((t) => t.toFixed(2)).join(', ')})`,
  );
  return first;
}

const out = path.join(scratch, 'out');
/** An empty directory to extract into; the last extraction is removed and synced outside the timings. */
async function emptyOut() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  await pipe(['sync']);
}

console.log(
  `bench/cache-restore on ${tree} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}), ${rounds} rounds`,
);
const archives = {
  'one thread (tar --zstd)': { file: path.join(scratch, 'one.tar.zst'), args: ['--zstd'] },
  '-T0 (the CLI store)': {
    file: path.join(scratch, 't0.tar.zst'),
    args: ['--use-compress-program=zstd -T0'],
  },
  '-T0 --long=30 (as @actions/cache)': {
    file: path.join(scratch, 'long.tar.zst'),
    args: ['--use-compress-program=zstd -T0 --long=30'],
  },
};
for (const [name, { file, args }] of Object.entries(archives)) {
  await measure(`save: tar | zstd ${name}`, () =>
    runner.run('tar', ['--create', ...args, `--file=${file}`, `--directory=${root}`, '--', member], {
      stream: false,
    }),
  );
}
const mib = (file) => (statSync(file).size / 1048576).toFixed(1);
console.log(
  `  archives: ${Object.entries(archives)
    .map(([name, { file }]) => `${mib(file)} MiB (${name})`)
    .join(', ')}; tree ${(Number(execSize(tree)) / 1048576).toFixed(1)} MiB`,
);
const archive = archives['-T0 --long=30 (as @actions/cache)'].file;

await measure('restore: zstd -d alone', () => pipe(['zstd', '-d', '-c', '--long=30', '--', archive]));
await measure('restore: zstd -d + tar guard (no tar)', async () => {
  const decompress = spawn('zstd', ['-d', '-c', '--long=30', '--', archive], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(decompress.stdout, tarGuardStream(policy), sink);
});
await measure(
  'restore: zstd -d | tar -x (no guard)',
  () =>
    pipe(
      ['zstd', '-d', '-c', '--long=30', '--', archive],
      ['tar', '--extract', '--file=-', `--directory=${out}`],
    ),
  emptyOut,
);
await measure(
  'restore: extractArchive (zstd + guard + tar, as restored)',
  () => extractArchive(runner, archive, out, policy),
  emptyOut,
);
await measure('restore: sync (writing the extracted tree back)', () => pipe(['sync']));
const restored = [path.join(out, member)];
const manifest = await measure('restore: manifest, every file hashed', () => cacheManifest(restored));
const racy = Object.values(manifest.hashes).filter(([sig]) => sig === 'racy').length;
console.log(`  ${manifest.files} entries, ${racy} racy at the first look (always read by the check)`);
const mark = await measure('restore: the mark of an exact hit (no listing)', () => markRestore(restored));
const check = await measure('post: change check with the restore-time manifest', () =>
  cacheManifest(restored, manifest.hashes),
);
console.log(`  files read by the check: ${check.hashed}`);
const since = await measure('post: change check of an exact hit, against its mark', () =>
  changedSinceMark(restored, mark),
);
console.log(`  entries looked at: ${since.entries}, touched: ${since.touched ?? 'none'}`);

const store = path.join(scratch, 'store');
const entryRoot = path.join(scratch, 'restored');
const entryStore = directoryCacheStore(store, runner);
mkdirSync(entryRoot);
await entryStore.save({ root, members: [member] }, 'bench-key');
await measure(
  'restore: restoreEntry end to end (directory store)',
  () =>
    restoreEntry(
      { store: entryStore, runner, log: silent },
      { name: 'tools-tree', key: 'bench-key', restoreKeys: [], paths: [path.join(entryRoot, member)] },
    ),
  async () => {
    rmSync(path.join(entryRoot, member), { recursive: true, force: true });
    await pipe(['sync']);
  },
);
rmSync(scratch, { recursive: true, force: true });
