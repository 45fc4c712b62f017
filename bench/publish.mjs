#!/usr/bin/env node
// bench/publish: what signed checksums cost. `mkosi-ci publish` (hash every file, write SHA256SUMS, import
// the key into a throwaway keyring, sign, export the public key, check the signature with gpgv, remove the
// keyring) against the two commands a hand-written workflow runs (`sha256sum * > SHA256SUMS` and
// `gpg --detach-sign` with a key already in a keyring), on the same output directory, alternated round by
// round. Prints each round and the ratio of the medians.
//
//   node bench/publish.mjs [--outputs DIR] [--rounds 5]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    outputs: { type: 'string', default: '/var/cache/mkosi-ci-test/out/debian-bootable' },
    rounds: { type: 'string', default: '5' },
  },
});
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-publish-'));
const outputs = path.join(scratch, 'out');
// The regular files only: links are aliases (sha256sum would hash them twice), directories are not compared.
cpSync(values.outputs, outputs, { recursive: true });
for (const name of readdirSync(outputs)) {
  const file = path.join(outputs, name);
  if (!lstatSync(file).isFile()) rmSync(file, { recursive: true });
}
const files = readdirSync(outputs).sort();
const bytes = files.reduce((sum, f) => sum + statSync(path.join(outputs, f)).size, 0);

const home = path.join(scratch, 'gnupg');
execFileSync('mkdir', ['-m', '700', home]);
const gpg = (...args) =>
  execFileSync(
    'gpg',
    ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
gpg('--quick-gen-key', 'bench <bench@example.org>', 'ed25519', 'sign', 'never');
const keyFile = path.join(scratch, 'key.asc');
writeFileSync(keyFile, gpg('--armor', '--export-secret-keys'));

function timed(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    ...options,
  });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.slice(-2000)}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function plain() {
  const started = process.hrtime.bigint();
  const sums = spawnSync('sha256sum', ['--binary', ...files], { cwd: outputs, encoding: 'utf8' });
  writeFileSync(path.join(outputs, 'SHA256SUMS'), sums.stdout);
  const hashed = Number(process.hrtime.bigint() - started) / 1e9;
  return (
    hashed +
    timed('gpg', [
      '--homedir',
      home,
      '--batch',
      '--yes',
      '--detach-sign',
      '--output',
      path.join(outputs, 'SHA256SUMS.gpg'),
      path.join(outputs, 'SHA256SUMS'),
    ])
  );
}

function mkosiCi() {
  return timed(process.execPath, [
    path.join(repo, 'dist/cli/index.js'),
    'publish',
    `--output-dir=${outputs}`,
    `--sign-key-file=${keyFile}`,
    `--work-dir=${path.join(scratch, 'work')}`,
  ]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rounds = Number(values.rounds);
const a = [];
const b = [];
console.log(`${files.length} files, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${values.outputs}`);
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first, so the page cache favours neither.
  if (i % 2 === 0) {
    a.push(plain());
    b.push(mkosiCi());
  } else {
    b.push(mkosiCi());
    a.push(plain());
  }
  console.log(
    `round ${i + 1}: sha256sum + gpg ${a.at(-1).toFixed(2)} s, mkosi-ci publish ${b.at(-1).toFixed(2)} s`,
  );
}
console.log(
  `medians: sha256sum + gpg ${median(a).toFixed(2)} s, mkosi-ci publish ${median(b).toFixed(2)} s, ratio ${(median(b) / median(a)).toFixed(3)}`,
);
execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
rmSync(scratch, { recursive: true, force: true });
