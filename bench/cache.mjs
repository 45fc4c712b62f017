#!/usr/bin/env node
// bench/cache: what the caches buy on debian-bootable, in one run: a cold `mkosi-ci build` (empty cache
// store: the default tools tree, the packages and the incremental cache are built and saved), then a warm
// one (mkosi's own caches wiped, everything restored from the store), through the CLI's directory store
// (--cache-dir), which takes the same keys and the same restore/save code as the action. Prints both
// builds, the restore and save time of each cache, and the ratios.
//
//   node bench/cache.mjs [--project debian-bootable] [--mirror URL] [--keep]
//
// The project is copied to a scratch directory first, because mkosi builds the default tools tree into
// the project (mkosi.tools).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'debian-bootable' },
    mirror: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const mirror =
  values.mirror ??
  execFileSync(path.join(repo, '../shared/tools/debian-mirror'), { encoding: 'utf8' }).trim();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-cache-'));
const project = path.join(scratch, 'project');
cpSync(path.join(repo, 'test-projects', values.project), project, { recursive: true });
const store = path.join(scratch, 'store');
const xdg = path.join(scratch, 'xdg');

/** mkosi's caches on this machine: what a fresh runner does not have. */
function wipeLocalState() {
  for (const p of [
    xdg,
    path.join(project, 'mkosi.tools'),
    path.join(project, 'mkosi.tools.manifest'),
    path.join(scratch, 'out'),
    path.join(scratch, 'work'),
  ]) {
    rmSync(p, { recursive: true, force: true });
  }
}

function build(label) {
  wipeLocalState();
  const args = [
    path.join(repo, 'dist/cli/index.js'),
    'build',
    `--directory=${project}`,
    `--mirror=${mirror}`,
    '--tools-tree=default',
    '--mkosi-source=system',
    '--boot=false',
    `--cache-dir=${store}`,
    `--work-dir=${path.join(scratch, 'work')}`,
    `--args=--output-directory=${path.join(scratch, 'out')}`,
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
  const out = result.stdout;
  const built = /built in (?:(\d+)m )?([\d.]+)s/.exec(out);
  const caches = [
    ...out.matchAll(
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

console.log(`bench/cache on ${values.project} (scratch ${scratch})`);
const cold = build('cold (empty store)');
const warm = build('warm (all caches restored)');
// The caches are restored at the same time: the wall time is about the longest one, not the sum.
const restore = Math.max(0, ...warm.caches.map((c) => toSeconds(c.restore)));
const restoreSum = warm.caches.reduce((s, c) => s + toSeconds(c.restore), 0);
// Saved at the same time too (each time is the archive and store part, after its change check).
const save = Math.max(0, ...cold.caches.map((c) => toSeconds(/in ([^ ]+)/.exec(c.save)?.[1] ?? '0s')));
const warmSaves = warm.caches.map((c) => `${c.name} ${c.save}`).join(', ');
console.log(
  [
    '',
    `cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s: warm/cold ${(warm.seconds / cold.seconds).toFixed(3)} (target <= 0.30)`,
    `restore of all caches (warm, at once) ${restore.toFixed(1)} s (longest; sum ${restoreSum.toFixed(1)} s) = ${(restore / cold.seconds).toFixed(3)} of cold`,
    `save of all caches (cold, at once) ${save.toFixed(1)} s (longest) = ${(save / cold.seconds).toFixed(3)} of cold`,
    `warm run saves: ${warmSaves} (target: skipped when unchanged)`,
  ].join('\n'),
);
if (!values.keep) rmSync(scratch, { recursive: true, force: true });
