#!/usr/bin/env node
// bench/build: the time of `mkosi-ci build` against the plain `mkosi build` it wraps, on the same project
// with the same settings and a warm package cache, alternated round by round so that the noise of these
// machines falls on both sides alike. Prints each round and the ratio of the medians.
//
//   node bench/build.mjs [--project debian-minimal] [--rounds 3] [--tools-tree PATH] [--mirror URL]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'debian-minimal' },
    rounds: { type: 'string', default: '3' },
    'tools-tree': { type: 'string', default: '/var/cache/mkosi-ci-test/tools/mkosi.tools' },
    'package-cache': { type: 'string', default: '/var/cache/mkosi-ci-test/packages' },
    mirror: { type: 'string' },
  },
});
const mirror =
  values.mirror ??
  execFileSync(path.join(repo, '../shared/tools/debian-mirror'), { encoding: 'utf8' }).trim();
const project = path.join(repo, 'test-projects', values.project);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-build-'));
const workDir = path.join(scratch, 'work');

function timed(label, command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    process.stderr.write(result.stderr.slice(-4000));
    throw new Error(`${label} failed with exit status ${result.status}`);
  }
  return seconds;
}

const ciArgs = [
  path.join(repo, 'dist/cli/index.js'),
  'build',
  `--directory=${project}`,
  `--mirror=${mirror}`,
  `--tools-tree=${values['tools-tree']}`,
  '--mkosi-source=system',
  `--work-dir=${workDir}`,
  `--args=--output-directory=${path.join(scratch, 'out-ci')}`,
  `--args=--package-cache-directory=${values['package-cache']}`,
];

// A first mkosi-ci run warms the package cache and leaves the sandbox trees plain mkosi needs too.
console.log(`warm-up: mkosi-ci build of ${values.project}`);
timed('warm-up', process.execPath, ciArgs);
const summary = JSON.parse(readFileSync(path.join(workDir, 'mkosi-summary.json'), 'utf8'));
const main = summary.Images.at(-1);
const tools = summary.Tools;
const mkosiArgs = [
  `--directory=${project}`,
  `--mirror=${main.Mirror}`,
  `--tools-tree=${values['tools-tree']}`,
  ...main.SandboxTrees.map((t) => `--sandbox-tree=${t.Source}`),
  ...(tools?.SandboxTrees ?? []).map((t) => `--tools-tree-sandbox-tree=${t.Source}`),
  `--output-directory=${path.join(scratch, 'out-mkosi')}`,
  `--package-cache-directory=${values['package-cache']}`,
  '-f',
  'build',
];

const rounds = Number(values.rounds);
const plain = [];
const ci = [];
for (let round = 1; round <= rounds; round++) {
  // Alternate which side goes first, so a slow spell does not always hit the same one.
  const order = round % 2 ? ['mkosi', 'ci'] : ['ci', 'mkosi'];
  for (const side of order) {
    const seconds =
      side === 'mkosi'
        ? timed('mkosi build', 'mkosi', mkosiArgs)
        : timed('mkosi-ci build', process.execPath, ciArgs);
    (side === 'mkosi' ? plain : ci).push(seconds);
    console.log(
      `round ${round}: ${side === 'mkosi' ? 'mkosi build   ' : 'mkosi-ci build'} ${seconds.toFixed(1)} s`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `\n${values.project}, ${rounds} rounds: mkosi build median ${median(plain).toFixed(1)} s, ` +
    `mkosi-ci build median ${median(ci).toFixed(1)} s, ratio ${(median(ci) / median(plain)).toFixed(3)} (target <= 1.05)`,
);
