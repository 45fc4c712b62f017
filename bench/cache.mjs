#!/usr/bin/env node
// bench/cache: what the caches buy on debian-bootable: a cold `mkosi-ci build` (empty cache store: the
// default tools tree, the packages and the incremental cache are built and saved), then a warm one (a
// fresh copy of the project and an empty XDG_CACHE_HOME, everything restored from the store), through the
// CLI's directory store (--cache-dir), which takes the same keys and the same restore/save code as the
// action. Each round is a cold and a warm build side by side with their own store; prints both builds,
// the restore and save time of each cache, the ratio per round and the median over the rounds.
//
//   node bench/cache.mjs [--rounds 5] [--project debian-bootable] [--mirror URL] [--keep]
//
// Every build gets its own copy of the project (mkosi builds the default tools tree into it, as
// mkosi.tools), cache home, output and work directories, and nothing is deleted until the end: on this
// machine's disk (ext4 with `discard`) creating files in the minute after a tree of the same size was
// deleted is several times slower, and a runner's disk is fresh (see bench/pr-check.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    project: { type: 'string', default: 'debian-bootable' },
    mirror: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const mirror =
  values.mirror ??
  execFileSync(path.join(repo, '../shared/tools/debian-mirror'), { encoding: 'utf8' }).trim();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-cache-'));
const source = path.join(repo, 'test-projects', values.project);

/** Directories no earlier build touched: what a fresh runner has (the store aside). */
function freshRunner(label) {
  const root = path.join(scratch, label.replace(/\W+/g, '-'));
  const runner = {
    project: path.join(root, 'project'),
    xdg: path.join(root, 'xdg'),
    out: path.join(root, 'out'),
    work: path.join(root, 'work'),
  };
  cpSync(source, runner.project, { recursive: true });
  return runner;
}

function build(label, store) {
  const { project, xdg, out, work } = freshRunner(label);
  const args = [
    path.join(repo, 'dist/cli/index.js'),
    'build',
    `--directory=${project}`,
    `--mirror=${mirror}`,
    '--tools-tree=default',
    '--mkosi-source=system',
    '--boot=false',
    `--cache-dir=${store}`,
    `--work-dir=${work}`,
    `--args=--output-directory=${out}`,
    // The default tools tree without the profiles this build does not use (qemu for every architecture).
    '--args=--tools-tree-distribution=debian',
    '--args=--tools-tree-release=trixie',
    '--args=--tools-tree-profile=misc',
  ];
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: xdg },
    maxBuffer: 1 << 30,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    process.stderr.write(result.stderr.slice(-4000) + result.stdout.slice(-4000));
    throw new Error(`${label} failed with exit status ${result.status}`);
  }
  const said = result.stdout;
  const built = /built in (?:(\d+)m )?([\d.]+)s/.exec(said);
  const caches = [
    ...said.matchAll(
      /^ {2}(\S+)\s+(exact|partial|miss)\s+([\d.]+ \S+)\s+restore ([^,]+), save (.*?)\s{2}(\S+)$/gm,
    ),
  ].map((m) => ({ name: m[1], hit: m[2], size: m[3], restore: m[4], save: m[5] }));
  const buildSeconds = built ? Number(built[1] ?? 0) * 60 + Number(built[2]) : NaN;
  console.log(`${label}: ${seconds.toFixed(1)} s in all, mkosi build ${buildSeconds.toFixed(1)} s`);
  for (const c of caches)
    console.log(
      `  ${c.name.padEnd(12)} ${c.hit.padEnd(7)} ${c.size.padStart(10)}  restore ${c.restore}, save ${c.save}`,
    );
  return { seconds, buildSeconds, caches };
}

const toSeconds = (text) => {
  const m = /(?:(\d+)m )?([\d.]+)s/.exec(text);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : 0;
};

const rounds = Number(values.rounds);
console.log(`bench/cache on ${values.project}, ${rounds} rounds (scratch ${scratch})`);
const results = [];
for (let round = 1; round <= rounds; round++) {
  const store = path.join(scratch, `store-${round}`);
  const cold = build(`round ${round} cold (empty store)`, store);
  const warm = build(`round ${round} warm (all caches restored)`, store);
  // The caches are restored at the same time: the wall time is about the longest one, not the sum.
  const restore = Math.max(0, ...warm.caches.map((c) => toSeconds(c.restore)));
  const restoreSum = warm.caches.reduce((s, c) => s + toSeconds(c.restore), 0);
  // Saved at the same time too (each time is the archive and store part, after its change check).
  const save = Math.max(0, ...cold.caches.map((c) => toSeconds(/in ([^ ]+)/.exec(c.save)?.[1] ?? '0s')));
  const warmSaves = warm.caches.map((c) => `${c.name} ${c.save}`).join(', ');
  const ratio = warm.seconds / cold.seconds;
  results.push({ cold, warm, ratio, warmSavedAny: warm.caches.some((c) => /^saved/.test(c.save)) });
  console.log(
    [
      `round ${round}: cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s: warm/cold ${ratio.toFixed(3)}`,
      `  restore of all caches (warm, at once) ${restore.toFixed(1)} s (longest; sum ${restoreSum.toFixed(1)} s) = ${(restore / cold.seconds).toFixed(3)} of cold`,
      `  save of all caches (cold, at once) ${save.toFixed(1)} s (longest) = ${(save / cold.seconds).toFixed(3)} of cold`,
      `  warm run saves: ${warmSaves} (target: skipped when unchanged)`,
    ].join('\n'),
  );
}
console.log(
  [
    '',
    `warm/cold per round: ${results.map((r) => r.ratio.toFixed(3)).join(', ')}`,
    `median warm/cold ${median(results.map((r) => r.ratio)).toFixed(3)} (target <= 0.30); median cold ${median(results.map((r) => r.cold.seconds)).toFixed(1)} s, median warm ${median(results.map((r) => r.warm.seconds)).toFixed(1)} s`,
    `warm runs that saved a cache: ${results.filter((r) => r.warmSavedAny).length} of ${results.length}`,
  ].join('\n'),
);
if (!values.keep) rmSync(scratch, { recursive: true, force: true });
