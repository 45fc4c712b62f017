#!/usr/bin/env node
// bench/cache-restore: where the time of saving and restoring one big cache goes (by default the shared
// tools tree of the e2e tests), phase by phase, with mkosi-ci's own code (src/, through tsx):
//
//   save:    tar + zstd on one thread (what `tar --zstd` did) against zstd -T0 --long=30 (now, as
//            @actions/cache does), time and size;
//   restore: zstd alone, zstd + the tar guard, zstd | tar without the guard, extractArchive (zstd +
//            guard + tar, what a restore does), the manifest of the restored tree (every file hashed),
//            the change check after the build (cacheManifest with the restore-time manifest: stat only),
//            and restoreEntry end to end through the CLI's directory store.
//
//   node --import tsx bench/cache-restore.mjs [--tree /var/cache/mkosi-ci-test/tools] [--rounds 3]
//
// The page cache is warm (the archive was just written): a download from GitHub's cache service comes on
// top of these figures and is not measured here. Medians of the rounds.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractArchive } from '../src/cache/extract.ts';
import { cacheManifest } from '../src/cache/manifest.ts';
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

/** Runs a pipeline of argument arrays (no shell), stdout of each into stdin of the next; the last to /dev/null. */
function pipe(...commands) {
  return new Promise((resolve, reject) => {
    const children = commands.map(([cmd, ...args], i) =>
      spawn(cmd, args, { stdio: [i === 0 ? 'ignore' : 'pipe', i === commands.length - 1 ? 'ignore' : 'pipe', 'inherit'] }),
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
const results = new Map();
async function measure(label, fn, after) {
  const times = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    const { seconds, value } = await timed(fn);
    times.push(seconds);
    last = value;
    if (after) await after();
  }
  results.set(label, median(times));
  console.log(`${label.padEnd(58)} ${median(times).toFixed(2)} s  (rounds: ${times.map((t) => t.toFixed(2)).join(', ')})`);
  return last;
}

const fresh = () => {
  const dir = path.join(scratch, 'out');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return dir;
};

console.log(`bench/cache-restore on ${tree} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}), ${rounds} rounds`);
const oneThread = path.join(scratch, 'one-thread.tar.zst');
const allCores = path.join(scratch, 'all-cores.tar.zst');
await measure('save: tar | zstd (one thread, as tar --zstd)', () =>
  runner.run('tar', ['--create', '--zstd', `--file=${oneThread}`, `--directory=${root}`, '--', member], { stream: false }),
);
await measure('save: tar | zstd -T0 --long=30 (now)', () =>
  runner.run('tar', ['--create', '--use-compress-program=zstd -T0 --long=30', `--file=${allCores}`, `--directory=${root}`, '--', member], { stream: false }),
);
const mib = (file) => (statSync(file).size / 1048576).toFixed(1);
console.log(`  archive: ${mib(oneThread)} MiB (one thread), ${mib(allCores)} MiB (-T0 --long=30)`);

await measure('restore: zstd -d alone', () => pipe(['zstd', '-d', '-c', '--long=30', '--', allCores]));
await measure('restore: zstd -d + tar guard (no tar)', async () => {
  const decompress = spawn('zstd', ['-d', '-c', '--long=30', '--', allCores], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(decompress.stdout, tarGuardStream(policy), sink);
});
await measure('restore: zstd -d | tar -x (no guard)', () =>
  pipe(['zstd', '-d', '-c', '--long=30', '--', allCores], ['tar', '--extract', '--file=-', `--directory=${fresh()}`]),
);
await measure('restore: extractArchive (zstd + guard + tar, as restored)', () =>
  extractArchive(runner, allCores, fresh(), policy),
);
const restored = [path.join(scratch, 'out', member)];
const manifest = await measure('restore: manifest, every file hashed', () => cacheManifest(restored));
await measure('post: change check with the restore-time manifest', () => cacheManifest(restored, manifest));

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
  () => rmSync(path.join(entryRoot, member), { recursive: true, force: true }),
);
rmSync(scratch, { recursive: true, force: true });
