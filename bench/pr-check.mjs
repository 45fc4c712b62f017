#!/usr/bin/env node
// bench/pr-check: the warm pull-request check through the bundled action against the same work written
// by hand, on debian-bootable, in rounds that run each side once, in an order that turns each round,
// because this machine is shared and noisy. Two hand-written sides: the workflow a user writes today on a
// fresh runner (three actions/cache steps, then mkosi build and mkosi vm), and the same mkosi commands on a
// machine whose caches are already on disk (nothing to restore: the lower bound). Medians and the ratios
// (target <= 1.10 against the workflow), the post step's seconds (target <= 2 s) and whether the post step
// saved anything (a warm run must save nothing).
//
//   node --import tsx bench/pr-check.mjs [--rounds 5] [--project debian-bootable] [--boot-watch 0] [--keep]
//
// The action side is a fresh runner every round: dist/main then dist/post run as the runner runs them
// (test/support/action-harness), with the real @actions/cache talking to the local results server
// (test/support/results-server) that holds the warm entries. Each round starts with an empty HOME (the
// package and incremental caches live under it) and a fresh copy of the project (no mkosi.tools), so all
// three caches (tools tree, packages, incremental) are restored from the server, then the incremental
// build (force 1), the boot check and the post step (change check; save only what changed).
//
// Nothing a round wrote is deleted before the end of the bench: on this machine's disk (ext4 mounted with
// `discard`) creating files in the minute after a tree of the same size was deleted is several times
// slower (extracting the 676 MiB tools tree: 18 s of system time right after deleting the last one, 4 s
// 40 s later, 1.9 s beside it; measured by hand with `zstd -d | tar -x`). A runner's disk is fresh, so
// deleting the last round's runner just before restoring into the next measured the disk, not the action.
// Each action round gets its own directories; all are removed at the end (unless --keep).
//
// The manual side is what a user writes instead, on a machine where the same caches are already on
// disk (a self-hosted runner, or a workflow whose own cache steps are not counted: the lower bound):
//
//   mkosi $OPTS -f build          # same mirror, apt sources, default tools tree (kept in the project as
//                                 # mkosi.tools), --package-cache-directory, --incremental=yes, --cache-directory
//   mkosi $OPTS --kvm=no --console=native --tpm=no --credential=ci-credentials/ vm
//
// with two credentials in ci-credentials/ (systemd >= 256 in the guest imports them; nothing is added to
// the image): `systemd.extra-unit.ci-check.service`, a oneshot unit ordered after multi-user.target that
// prints the failed units and their count on the console and powers the machine off, and the drop-in
// `systemd.unit-dropin.multi-user.target~ci-check` that makes multi-user.target want it. The script then
// greps the console for the count. qemu is the tools tree's in both, under TCG, with the project's
// [Runtime] RAM= (mkosi's default 2G) and CPUs=2, and UEFI (OVMF) firmware. `--kvm=no` because the KVM
// here is unusable (FIELD-NOTES); `--tpm=no` because swtpm leaves failed pcrlock units; `Console=native`
// because the other consoles need systemd-pty-forward.
//
// The action's boot-watch (30 s of watching for late failures after the boot settled, by default) is
// work the manual unit does not do: --boot-watch defaults to 0 so both sides do the same work; pass 30 to
// measure the action's default. The warm state (a cold action run that saves the caches, a cold workflow
// run that saves its own entries, a manual build that fills the manual caches) is prepared once and not
// counted.
import { execFileSync, spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAction } from '../test/support/action-harness.ts';
import { median } from './median.mjs';
import { startResultsServer } from '../test/support/results-server.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    project: { type: 'string', default: 'debian-bootable' },
    'boot-watch': { type: 'string', default: '0' },
    mirror: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const mirror = (
  values.mirror ?? execFileSync(path.join(repo, '../shared/tools/debian-mirror'), { encoding: 'utf8' })
)
  .trim()
  .replace(/\/$/, '');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-pr-check-'));
const source = path.join(repo, 'test-projects', values.project);

// The default tools tree without the profiles this check does not use (qemu for every architecture),
// plus what the boot needs: the same on both sides.
const TOOLS_TREE_OPTIONS = [
  '--tools-tree-distribution=debian',
  '--tools-tree-release=trixie',
  '--tools-tree-profile=misc',
  '--tools-tree-package=qemu-system-x86',
  '--tools-tree-package=ovmf',
];

const seconds = (started) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * A fresh runner's directories, each side's own: a copy of the project (no mkosi.tools), an output
 * directory, and `made` (the side's HOME or cache directory), created empty.
 */
function freshRunner(name, made) {
  const root = path.join(scratch, name);
  const dirs = {
    root,
    project: path.join(root, 'project'),
    out: path.join(root, 'out'),
    [made]: path.join(root, made),
  };
  cpSync(source, dirs.project, { recursive: true });
  mkdirSync(dirs[made]);
  return dirs;
}

// ---------------------------------------------------------------------------------------------- action
const server = await startResultsServer();

/** The environment of a step on a runner whose HOME is `home`, with the cache service. */
function actionEnv(home) {
  // The server routes the blob host through HTTP_PROXY; apt inside mkosi must reach the mirror directly.
  const noProxy = `127.0.0.1,localhost,${new URL(mirror).hostname}`;
  return { ...server.env(), HOME: home, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** "1m 2s" / "41.3s" / "41.3 s" in seconds. */
function toSeconds(text) {
  const m = /(?:(\d+)m )?([\d.]+) ?s/.exec(text ?? '');
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : NaN;
}

async function runActionOnce(label) {
  // A fresh runner: its own HOME (no caches), checkout (no tools tree) and output directory.
  const action = freshRunner(`action-${label}`, 'home');
  const createsBefore = server.log('CreateCacheEntry').length;
  const started = process.hrtime.bigint();
  const run = await runAction({
    inputs: {
      directory: action.project,
      mirror,
      'mkosi-source': 'system',
      'boot-watch': values['boot-watch'],
      args: [`--output-directory=${action.out}`, ...TOOLS_TREE_OPTIONS].join('\n'),
    },
    env: actionEnv(action.home),
    runnerDir: mkdtempSync(path.join(scratch, `runner-${label}-`)),
  });
  const total = seconds(started);
  const logs = run.main.log + run.post.log;
  if (run.main.exitCode !== 0 || run.post.exitCode !== 0) {
    process.stderr.write(logs.slice(-6000));
    throw new Error(`action ${label}: main ${run.main.exitCode}, post ${run.post.exitCode}`);
  }
  if (run.outputs['boot-result'] !== 'passed')
    throw new Error(`action ${label}: boot ${run.outputs['boot-result']}`);
  const saved = [...run.post.log.matchAll(/Cache (\S+): saved in/g)].map((m) => m[1]);
  const creates = server.log('CreateCacheEntry').length - createsBefore;
  writeFileSync(path.join(scratch, `action-${label}.summary.md`), run.summary);
  return {
    total,
    main: run.main.seconds,
    post: run.post.seconds,
    saved,
    creates,
    hits: ['tools-tree', 'packages', 'incremental'].map((c) => `${c} ${run.outputs[`cache-hit-${c}`]}`),
    build: toSeconds(/built in ((?:\d+m )?[\d.]+s)/.exec(run.summary)?.[1]),
    cacheRows: [...run.summary.matchAll(/^\| (?:tools-tree|packages|incremental) \|.*$/gm)].map((m) => m[0]),
    // The summary's timeline: "restore caches (0.2s)", "mkosi build (41s)", "boot check (2m 1s)", ...
    phases: [...run.summary.matchAll(/^ {4}(.+? \((?:\d+m )?[\d.]+s\)) :done/gm)].map((m) => m[1]),
    bootTime: /^Boot time: (.*)$/m.exec(run.summary)?.[1],
    postLog: run.post.log,
  };
}

// ---------------------------------------------------------------------------------------------- manual
const manual = {
  project: path.join(scratch, 'manual/project'),
  cache: path.join(scratch, 'manual/cache'),
  out: path.join(scratch, 'manual/out'),
  sandbox: path.join(scratch, 'manual/sandbox'),
  credentials: path.join(scratch, 'manual/ci-credentials'),
};
cpSync(source, manual.project, { recursive: true });
execFileSync(path.join(repo, '.ci/write-apt-sandbox-tree'), [manual.sandbox, 'trixie'], {
  env: { ...process.env, MKOSI_CI_MIRROR: mirror },
});
mkdirSync(manual.credentials, { recursive: true });
const MARKER = 'ci-check: failed units:';
writeFileSync(
  path.join(manual.credentials, 'systemd.extra-unit.ci-check.service'),
  `[Unit]
Description=CI: list failed units, then power off
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'systemctl --failed --no-pager >/dev/console; echo "${MARKER} $(systemctl list-units --state=failed --no-legend --plain | wc -l)" >/dev/console; systemctl poweroff'
`,
);
writeFileSync(
  path.join(manual.credentials, 'systemd.unit-dropin.multi-user.target~ci-check'),
  '[Unit]\nWants=ci-check.service\n',
);

/**
 * The options both mkosi commands take (mkosi calls the tools tree out of date when they differ), for a
 * runner's project, cache and output directories.
 */
const mkosiOptions = (dirs) => [
  `--directory=${dirs.project}`,
  `--mirror=${mirror.replace(/\/debian$/, '')}`,
  `--sandbox-tree=${manual.sandbox}`,
  '--tools-tree=default',
  ...TOOLS_TREE_OPTIONS,
  `--tools-tree-mirror=${mirror.replace(/\/debian$/, '')}`,
  `--tools-tree-sandbox-tree=${manual.sandbox}`,
  `--package-cache-directory=${dirs.cache}/packages`,
  '--incremental=yes',
  `--cache-directory=${dirs.cache}/incremental`,
  `--output-directory=${dirs.out}`,
];

function run(command, args, logFile, { cwd, env = process.env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env });
    const chunks = [];
    const collect = (c) => {
      chunks.push(c);
      writeFileSync(logFile, c, { flag: 'a' });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** `mkosi -f build`, then `mkosi vm` with the check unit: what both hand-written sides run. */
async function buildAndBoot(dirs, label, log) {
  const started = process.hrtime.bigint();
  const built = await run('mkosi', [...mkosiOptions(dirs), '-f', 'build'], log, { cwd: dirs.project });
  const build = seconds(started);
  if (built.code !== 0) {
    process.stderr.write(built.log.slice(-6000));
    throw new Error(`${label}: mkosi build exited ${built.code}`);
  }
  const bootStarted = process.hrtime.bigint();
  const booted = await run(
    'mkosi',
    [
      ...mkosiOptions(dirs),
      '--kvm=no',
      '--console=native',
      '--tpm=no',
      `--credential=${manual.credentials}`,
      'vm',
    ],
    log,
    { cwd: dirs.project },
  );
  const boot = seconds(bootStarted);
  const failed = new RegExp(`${MARKER} (\\d+)`).exec(booted.log)?.[1];
  if (failed !== '0') {
    process.stderr.write(booted.log.slice(-6000));
    throw new Error(`${label}: mkosi vm exited ${booted.code}, failed units: ${failed ?? 'no report'}`);
  }
  return { build, boot };
}

async function runManualOnce(label) {
  const started = process.hrtime.bigint();
  const { build, boot } = await buildAndBoot(
    manual,
    `manual ${label}`,
    path.join(scratch, `manual-${label}.log`),
  );
  return { total: seconds(started), build, boot };
}

// ------------------------------------------------------------------------------------ hand-written workflow
// What the hand-written YAML does on a fresh runner: three actions/cache steps, one after another as a
// job's steps run, for the tools tree in the checkout and mkosi's two cache directories, with keys of the
// user's own; then the same two mkosi commands as the manual side, then the three post steps the
// actions/cache steps add to the job, which save nothing after an exact hit ("Cache hit occurred on the
// primary key, not saving cache"): counted, as the action's own post step is. The paths are relative to
// the runner's workspace, as a workflow writes them, so the entries (whose version covers the paths) are
// found again from each round's fresh directories.
const WORKFLOW_CACHES = [
  {
    name: 'tools-tree',
    key: 'hand-written-tools-tree-v1',
    paths: ['project/mkosi.tools', 'project/mkosi.tools.manifest'],
  },
  { name: 'packages', key: 'hand-written-packages-v1', paths: ['cache/packages'] },
  { name: 'incremental', key: 'hand-written-incremental-v1', paths: ['cache/incremental'] },
];

async function cacheStep(command, cache, dirs, log) {
  const env = {
    ...process.env,
    ...actionEnv(path.join(dirs.root, 'home')),
    GITHUB_WORKSPACE: dirs.root,
  };
  const step = await run(
    process.execPath,
    [path.join(repo, 'bench/actions-cache-step.mjs'), command, cache.key, ...cache.paths],
    log,
    { cwd: dirs.root, env },
  );
  const said = step.log.trim().split('\n').pop();
  // A save that fails only warns in actions/cache: here it would leave every round cold.
  if (step.code !== 0 || said === 'not saved') {
    process.stderr.write(step.log.slice(-3000));
    throw new Error(`actions/cache ${command} of ${cache.name}: exit status ${step.code}, ${said}`);
  }
  return said;
}

async function runWorkflowOnce(label, { save = false } = {}) {
  const dirs = freshRunner(`workflow-${label}`, 'cache');
  const log = path.join(scratch, `workflow-${label}.log`);
  const started = process.hrtime.bigint();
  const hits = [];
  for (const cache of WORKFLOW_CACHES)
    hits.push(`${cache.name} ${await cacheStep('restore', cache, dirs, log)}`);
  const restore = seconds(started);
  const { build, boot } = await buildAndBoot(dirs, `workflow ${label}`, log);
  const saved = [];
  const postStarted = process.hrtime.bigint();
  // Post steps run in the reverse order of their steps.
  for (const cache of [...WORKFLOW_CACHES].reverse()) {
    if (save) saved.push(`${cache.name} ${await cacheStep('save', cache, dirs, log)}`);
    else await cacheStep('post', cache, dirs, log);
  }
  const post = seconds(postStarted);
  // The cold run's saves are preparation, not a warm check's work.
  const total = save ? seconds(started) - post : seconds(started);
  return { total, restore, build, boot, post, hits, saved };
}

// ---------------------------------------------------------------------------------------------- rounds
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '?');
console.log(
  `bench/pr-check on ${values.project}, ${rounds} rounds, boot-watch ${values['boot-watch']} (scratch ${scratch})`,
);
const prepStarted = process.hrtime.bigint();
const coldAction = await runActionOnce('cold');
console.log(
  `prepare: cold action run ${fmt(coldAction.total)} s, saved: ${coldAction.saved.join(', ') || 'nothing'}`,
);
const coldWorkflow = await runWorkflowOnce('cold', { save: true });
console.log(
  `prepare: cold hand-written workflow run ${fmt(coldWorkflow.total)} s (${coldWorkflow.hits.join(', ')}), saved: ${coldWorkflow.saved.join(', ')}`,
);
const coldManual = await runManualOnce('cold');
console.log(
  `prepare: cold manual run ${fmt(coldManual.total)} s (prepared in ${fmt(seconds(prepStarted))} s, not counted)`,
);

// Each round runs the three sides in another order, so that none always follows the same one.
const SIDES = {
  action: runActionOnce,
  workflow: runWorkflowOnce,
  manual: runManualOnce,
};
const ORDER = Object.keys(SIDES);
const results = [];
for (let r = 1; r <= rounds; r++) {
  const order = ORDER.map((_, i) => ORDER[(i + r - 1) % ORDER.length]);
  const round = {};
  for (const side of order) round[side] = await SIDES[side](`round${r}`);
  const { action: a, workflow: w, manual: m } = round;
  results.push({ a, w, m });
  console.log(
    `round ${r} (${order.join(', ')}): action ${fmt(a.total)} s (main ${fmt(a.main)}, mkosi build ${fmt(a.build)}, post ${a.post.toFixed(2)} s, saved: ${a.saved.join(', ') || 'nothing'}, cache entries created ${a.creates}; ${a.hits.join(', ')})` +
      ` | workflow ${fmt(w.total)} s (restore ${fmt(w.restore)}, build ${fmt(w.build)}, boot ${fmt(w.boot)}, post steps ${w.post.toFixed(2)} s; ${w.hits.join(', ')})` +
      ` | manual ${fmt(m.total)} s (build ${fmt(m.build)}, boot ${fmt(m.boot)})` +
      ` | action/workflow ${(a.total / w.total).toFixed(3)}, action/manual ${(a.total / m.total).toFixed(3)}`,
  );
  console.log(`    phases: ${a.phases.join(', ')}; guest ${a.bootTime}`);
  for (const row of a.cacheRows) console.log(`    ${row}`);
  for (const line of a.postLog.match(/Cache \S+: change check.*$/gm) ?? []) console.log(`    post: ${line}`);
}

if (results.length) {
  const of = (side, field) => median(results.map((x) => x[side][field]));
  const ratio = (side) => (of('a', 'total') / of(side, 'total')).toFixed(3);
  const perRound = (side) => median(results.map((x) => x.a.total / x[side].total)).toFixed(3);
  const anySaved = results.some((x) => x.a.saved.length || x.a.creates);
  console.log(
    [
      '',
      `median action ${fmt(of('a', 'total'))} s (main ${fmt(of('a', 'main'))}, mkosi build ${fmt(of('a', 'build'))})`,
      `median hand-written workflow ${fmt(of('w', 'total'))} s (actions/cache restores ${fmt(of('w', 'restore'))}, build ${fmt(of('w', 'build'))}, boot ${fmt(of('w', 'boot'))}, post steps ${of('w', 'post').toFixed(2)} s)`,
      `median manual on caches already on disk ${fmt(of('m', 'total'))} s (build ${fmt(of('m', 'build'))}, boot ${fmt(of('m', 'boot'))})`,
      `warm action / hand-written workflow (both restore): ${ratio('w')} (ratio of medians; median of per-round ratios ${perRound('w')}; target <= 1.10)`,
      `warm action / manual (nothing to restore, the lower bound): ${ratio('m')} (median of per-round ratios ${perRound('m')})`,
      `post step: median ${of('a', 'post').toFixed(2)} s, max ${Math.max(...results.map((x) => x.a.post)).toFixed(2)} s (target <= 2 s)`,
      `caches saved by the warm runs: ${anySaved ? 'YES (a warm run must save nothing)' : 'none'}`,
    ].join('\n'),
  );
}
await server.close();
if (!values.keep) rmSync(scratch, { recursive: true, force: true });
