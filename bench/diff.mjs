#!/usr/bin/env node
// bench/diff: `mkosi-ci diff` against diffoscope on two whole GPT disk images of more than 1 GiB that
// differ in a few files, side by side: wall time, peak memory (the sum of the resident memory of the
// whole process tree, polled every 50 ms) and whether every differing file is named. A second baseline
// is what a careful user does once whole-image diffoscope ran out of memory: extract both root
// filesystems (debugfs rdump, no mounting) and run diffoscope on the two trees.
//
//   node bench/diff.mjs [--tree DIR] [--filler-mib 800] [--rounds 2] [--diffoscope-timeout 600]
//                       [--diffoscope-memory-gib 8] [--tools-tree PATH] [--keep]
//
// The images are made without mkosi, from a Debian tree (debian-minimal's output by default) plus
// incompressible filler files: mke2fs -d for the root filesystem (fixed UUID, hash seed and time, so
// the two differ only where their files do), and systemd-repart from the tools tree to put it into a
// GPT next to a second, identical partition. diffoscope is the tools tree's, run on the two images
// with an address-space limit (so it cannot take this shared machine's memory) and a timeout.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.MKOSI_CI_TEST_CACHE ?? '/var/cache/mkosi-ci-test';
const { values } = parseArgs({
  options: {
    tree: { type: 'string', default: path.join(cache, 'out/debian-minimal/debian-minimal') },
    'filler-mib': { type: 'string', default: '800' },
    rounds: { type: 'string', default: '2' },
    'diffoscope-timeout': { type: 'string', default: '600' },
    'diffoscope-memory-gib': { type: 'string', default: '8' },
    'tools-tree': { type: 'string', default: path.join(cache, 'tools/mkosi.tools') },
    keep: { type: 'boolean', default: false },
  },
});
const tools = values['tools-tree'];
const loader = path.join(tools, 'lib64/ld-linux-x86-64.so.2');
const libs = path.dirname(realpathSync(loader));
/** A program of the tools tree, run through the tree's own loader and libraries. */
const fromTree = (program) => [
  loader,
  '--library-path',
  `${libs}:${libs}/systemd`,
  path.join(tools, program),
];

if (!existsSync(path.join(values.tree, 'usr'))) {
  throw new Error(
    `${values.tree} is not an OS tree; build debian-minimal first (.ci/mkosi-test debian-minimal -f build)`,
  );
}
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-diff-'));
const log = (line) => process.stderr.write(`bench/diff: ${line}\n`);

// --- the two images ----------------------------------------------------------------------------------
const treeA = path.join(scratch, 'tree-a');
const treeB = path.join(scratch, 'tree-b');
execFileSync('cp', ['-a', values.tree, treeA]);
const fillerDir = path.join(treeA, 'srv/filler');
mkdirSync(fillerDir, { recursive: true });
const fillerFiles = Math.ceil(Number(values['filler-mib']) / 64);
log(`writing ${fillerFiles} × 64 MiB of random filler`);
for (let i = 0; i < fillerFiles; i++) {
  const file = path.join(fillerDir, `blob-${i}`);
  for (let j = 0; j < 16; j++) appendFileSync(file, randomBytes(4 * 1024 * 1024));
}
execFileSync('cp', ['-a', treeA, treeB]);

// The few differences, each of a different kind; `expected` is what a correct comparison names.
const expected = [];
const inB = (p) => path.join(treeB, p);
appendFileSync(inB('etc/debian_version'), 'planted\n');
expected.push('/etc/debian_version');
const binary = '/usr/bin/ls';
{
  const bytes = readFileSync(inB(binary));
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(inB(binary), bytes);
  expected.push(binary);
}
writeFileSync(inB('etc/planted-added'), 'only in B\n');
expected.push('/etc/planted-added');
const removed = '/usr/share/doc/bash/copyright';
if (existsSync(inB(removed))) {
  rmSync(inB(removed));
  expected.push(removed);
}
chmodSync(inB('usr/bin/cat'), 0o700);
expected.push('/usr/bin/cat');
{
  // One byte in the middle of a 64 MiB file.
  const blob = inB('srv/filler/blob-0');
  const bytes = readFileSync(blob);
  bytes[32 * 1024 * 1024] ^= 0x01;
  writeFileSync(blob, bytes);
  expected.push('/srv/filler/blob-0');
}
// The edits gave the changed files and their directories new mtimes; give them the same times as in A
// except where the edit is the point, so the comparison names exactly the planted files.
execFileSync('touch', ['-r', path.join(treeA, 'etc'), inB('etc')]);
execFileSync('touch', ['-r', path.join(treeA, 'usr/share/doc/bash'), inB('usr/share/doc/bash')]);

const fsMiB = Number(values['filler-mib']) + 400;
const mke2fsEnv = { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' };
function mkfs(tree, image) {
  execFileSync(
    'mke2fs',
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-d',
      tree,
      '-L',
      'root',
      '-U',
      '6d6b6f73-692d-4369-9072-62656e636801',
      '-E',
      'hash_seed=6d6b6f73-692d-4369-9072-62656e636802,lazy_itable_init=1,nodiscard',
      image,
      `${fsMiB}M`,
    ],
    { env: mke2fsEnv },
  );
}
log(`making two ${fsMiB} MiB ext4 root filesystems`);
mkfs(treeA, path.join(scratch, 'root-a.ext4'));
mkfs(treeB, path.join(scratch, 'root-b.ext4'));
const srvTree = path.join(scratch, 'srv-tree');
execFileSync('cp', ['-a', path.join(values.tree, 'usr/share/doc'), srvTree]);
execFileSync(
  'mke2fs',
  [
    '-q',
    '-F',
    '-t',
    'ext4',
    '-d',
    srvTree,
    '-U',
    '6d6b6f73-692d-4369-9072-62656e636803',
    '-E',
    'hash_seed=6d6b6f73-692d-4369-9072-62656e636804',
    path.join(scratch, 'srv.ext4'),
    '128M',
  ],
  { env: mke2fsEnv },
);

function disk(name, rootImage) {
  const defs = path.join(scratch, `defs-${name}`);
  mkdirSync(defs);
  writeFileSync(path.join(defs, '10-root.conf'), `[Partition]\nType=root\nCopyBlocks=${rootImage}\n`);
  writeFileSync(
    path.join(defs, '20-srv.conf'),
    `[Partition]\nType=srv\nCopyBlocks=${path.join(scratch, 'srv.ext4')}\n`,
  );
  // The same name on both sides, as two builds of one image have.
  mkdirSync(path.join(scratch, name));
  const image = path.join(scratch, name, 'image.raw');
  const [cmd, ...args] = fromTree('usr/bin/systemd-repart');
  execFileSync(
    cmd,
    [
      ...args,
      '--empty=create',
      `--size=${fsMiB + 200}M`,
      `--definitions=${defs}`,
      '--seed=6d6b6f73-692d-4369-9072-62656e636805',
      '--dry-run=no',
      image,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return image;
}
const imageA = disk('a', path.join(scratch, 'root-a.ext4'));
const imageB = disk('b', path.join(scratch, 'root-b.ext4'));
rmSync(path.join(scratch, 'srv.ext4'));
rmSync(treeA, { recursive: true });
rmSync(treeB, { recursive: true });
const gib = (bytes) => (bytes / 1024 ** 3).toFixed(2);
log(`images: ${imageA} and ${imageB}, ${gib(statSync(imageA).size)} GiB each`);

// --- measuring -----------------------------------------------------------------------------------------
/** Resident memory of a process and all its descendants, in bytes. */
function treeRss(pid) {
  const children = new Map();
  const rss = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // The process ended while it was read.
    }
  }
  let total = 0;
  const walk = (p) => {
    total += rss.get(p) ?? 0;
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return total;
}

function measure(label, command, args, timeoutSeconds) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, treeRss(child.pid))), 50);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid, 'SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      log(
        `${label}: ${seconds.toFixed(1)} s, peak ${(peak / 2 ** 20).toFixed(0)} MiB, exit ${code ?? signal}${timedOut ? ' (timed out)' : ''}`,
      );
      resolve({ seconds, peakBytes: peak, code, signal, timedOut, stdout: out, stderr: err });
    });
  });
}

const ours = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const work = path.join(scratch, `work-${round}`);
  const run = await measure(
    `mkosi-ci diff, round ${round + 1}`,
    process.execPath,
    [
      path.join(repo, 'dist/cli/index.js'),
      'diff',
      imageA,
      imageB,
      `--tools-tree=${tools}`,
      `--work-dir=${work}`,
    ],
    1800,
  );
  const report = JSON.parse(readFileSync(path.join(work, 'diff/diff-report.json'), 'utf8'));
  run.named = report.differences.map((d) => d.path);
  run.locations = [...new Set(report.differences.map((d) => d.location.join(' › ')))];
  ours.push(run);
}

const memoryLimit = Number(values['diffoscope-memory-gib']) * 1024 ** 3;

// The manual method: both root filesystems extracted, then diffoscope on the trees; one shell so that
// the wall time and the peak memory cover the extraction too.
const manualOut = path.join(scratch, 'diffoscope-trees.txt');
const debugfs = fromTree('usr/sbin/debugfs')
  .map((w) => `'${w}'`)
  .join(' ');
const extract = (side) =>
  `mkdir -p ${scratch}/x-${side} && ${debugfs} -R 'rdump / ${scratch}/x-${side}' ${scratch}/root-${side}.ext4 >/dev/null 2>&1`;
const manual = await measure(
  'extract + diffoscope on the trees',
  'prlimit',
  [
    `--as=${memoryLimit}`,
    '--',
    'sh',
    '-c',
    `${extract('a')} && ${extract('b')} && exec ${fromTree('usr/bin/python3')
      .map((w) => `'${w}'`)
      .join(
        ' ',
      )} '${path.join(tools, 'usr/bin/diffoscope')}' --text '${manualOut}' --no-progress ${scratch}/x-a ${scratch}/x-b`,
  ],
  Number(values['diffoscope-timeout']),
);
const manualText = existsSync(manualOut) ? readFileSync(manualOut, 'utf8') : '';
manual.named = expected.filter((p) => manualText.includes(p));
for (const f of ['root-a.ext4', 'root-b.ext4', 'x-a', 'x-b'])
  rmSync(path.join(scratch, f), { recursive: true, force: true });

const diffoscopeOut = path.join(scratch, 'diffoscope.txt');
const theirs = await measure(
  'diffoscope',
  'prlimit',
  [
    `--as=${memoryLimit}`,
    '--',
    ...fromTree('usr/bin/python3'),
    path.join(tools, 'usr/bin/diffoscope'),
    '--text',
    diffoscopeOut,
    '--no-progress',
    imageA,
    imageB,
  ],
  Number(values['diffoscope-timeout']),
);
const theirText = existsSync(diffoscopeOut) ? readFileSync(diffoscopeOut, 'utf8') : '';
theirs.named = expected.filter((p) => theirText.includes(p));
theirs.reportBytes = theirText.length;

// --- the figures ------------------------------------------------------------------------------------------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const oursSeconds = median(ours.map((r) => r.seconds));
const oursPeak = Math.max(...ours.map((r) => r.peakBytes));
const allNamed = ours.every(
  (r) => expected.every((p) => r.named.includes(p)) && r.named.length === expected.length,
);
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const outcomeOf = (run) =>
  run.timedOut
    ? `killed at the ${values['diffoscope-timeout']} s timeout`
    : run.code === 0 || run.code === 1
      ? `finished (exit ${run.code})`
      : `failed (exit ${run.code ?? run.signal}: ${run.stderr.trim().split('\n').pop() ?? ''})`;
const outcome = outcomeOf(theirs);
const lines = [
  `two GPT disk images of ${gib(statSync(imageA).size)} GiB (ext4 root of ${fsMiB} MiB + identical srv partition), ${expected.length} planted differences`,
  '',
  '| | wall time | peak memory (process tree) | differing files named | outcome |',
  '|---|--:|--:|--:|---|',
  `| mkosi-ci diff (median of ${ours.length}) | ${oursSeconds.toFixed(1)} s | ${mib(oursPeak)} | ${ours[0].named.filter((p) => expected.includes(p)).length}/${expected.length}${allNamed ? '' : ' (mismatch!)'} | ${ours.map((r) => `${r.seconds.toFixed(1)} s`).join(', ')}; named in ${ours[0].locations.join(', ')} |`,
  `| extract the roots + diffoscope on the trees | ${manual.seconds.toFixed(1)} s | ${mib(manual.peakBytes)} | ${manual.named.length}/${expected.length} | ${outcomeOf(manual)} |`,
  `| diffoscope on the whole images | ${theirs.seconds.toFixed(1)} s | ${mib(theirs.peakBytes)} | ${theirs.named.length}/${expected.length} | ${outcome}; ${theirs.reportBytes} bytes of text report; address space limited to ${values['diffoscope-memory-gib']} GiB |`,
  '',
  `speed-up over the extracted trees: ${(manual.seconds / oursSeconds).toFixed(1)}×`,
  `speed-up: ${(theirs.seconds / oursSeconds).toFixed(1)}×${theirs.timedOut || !(theirs.code === 0 || theirs.code === 1) ? ' (at least: diffoscope did not finish)' : ''}`,
  `expected: ${expected.join(', ')}`,
  `mkosi-ci named: ${ours[0].named.join(', ')}`,
];
console.log(lines.join('\n'));
if (!values.keep) rmSync(scratch, { recursive: true, force: true });
else log(`kept ${scratch}`);
