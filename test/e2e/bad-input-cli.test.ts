import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_INPUTS,
  cliFlags,
  DEBIAN_MINIMAL,
  expectOneEarlyError,
  inputsWithoutCase,
  runCliArgs,
  runCliCase,
  type BadInputCase,
} from '../support/bad-input.js';
import { HOST_PATH, parseCases, resolvedCases } from '../support/bad-input-cases.js';
import { generateKey } from '../support/gpg-keys.js';
import { serveFiles, type LocalServer } from '../support/http-server.js';
import { makeMkosiTarball } from '../support/mkosi-tarball.js';
import { recordingMkosi } from '../support/recording-mkosi.js';

/**
 * The same bad inputs through the CLI bundle (`node dist/cli/index.js build --<input>=…`), and the
 * CLI's own flags: one `error:` line naming the flag, input or file and what is valid, exit status 1,
 * no stack trace, and never a `mkosi build`.
 */

const mkosi = recordingMkosi();
const protectedKey = generateKey(`bad input ${Date.now()} passphrase`);
const tarball = makeMkosiTarball('27.1');
let server: LocalServer;
const files = { url: () => server.url };

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bad-input-cli-files-'));
const aFile = path.join(scratch, 'a-file');
writeFileSync(aFile, 'not a directory\n');

/** The base inputs as flags, for the cases that write their own command line. */
const base = (): string[] => cliFlags(BASE_INPUTS, mkdtempSync(path.join(scratch, 'flags-')));

/** Cases of the CLI's own: its flags and commands, and what a run outside GitHub Actions cannot do. */
interface CliCase extends Omit<BadInputCase, 'inputs'> {
  /** The command line after `mkosi-ci`. */
  args: () => string[];
}

const CLI_CASES: readonly CliCase[] = [
  {
    name: '--sign-key= on the command line',
    args: () => ['build', ...base(), '--sign-key=-----BEGIN PGP PRIVATE KEY BLOCK-----'],
    error:
      /Flag --sign-key is not taken on the command line, where other users can read it: give the key in a file with --sign-key-file=FILE/,
  },
  {
    name: '--sign-passphrase= on the command line',
    args: () => ['build', ...base(), '--sign-passphrase=hunter2'],
    error:
      /Flag --sign-passphrase is not taken on the command line, .*: give the passphrase in a file with --sign-passphrase-file=FILE/,
  },
  {
    name: '--github-token= on the command line',
    args: () => ['build', ...base(), '--github-token=ghp_0123456789'],
    error:
      /Flag --github-token is not taken on the command line, .*: releases are published by the GitHub Action only/,
  },
  {
    name: '--release-events= on the command line',
    args: () => ['build', ...base(), '--release-events=schedule'],
    error: /Flag --release-events is for the GitHub Action only: the CLI publishes no release/,
  },
  {
    name: '--work-dir that is a file',
    args: () => ['build', ...base(), `--work-dir=${aFile}`],
    error: /--work-dir: .*a-file is not a directory; give a directory \(it is made if missing\)/,
  },
  {
    name: '--work-dir given twice',
    args: () => ['build', ...base(), `--work-dir=${scratch}/w1`, `--work-dir=${scratch}/w2`],
    error: /Flag --work-dir was given twice; it takes one value/,
  },
  {
    name: '--cache-dir that is a file',
    args: () => ['build', ...base(), `--cache-dir=${aFile}`],
    error: /--cache-dir: .*a-file is not a directory; give a directory \(it is made if missing\)/,
  },
  {
    name: '--sign-key-file that does not exist',
    args: () => ['build', ...base(), '--sign-key-file=/nonexistent/key.asc'],
    error: /--sign-key-file: cannot read \/nonexistent\/key\.asc \(ENOENT\)/,
  },
  {
    name: '--sign-passphrase-file that does not exist',
    args: () => [
      'build',
      ...base(),
      `--sign-key-file=${protectedKey.keyFile}`,
      '--sign-passphrase-file=/nonexistent/passphrase',
    ],
    error: /--sign-passphrase-file: cannot read \/nonexistent\/passphrase \(ENOENT\)/,
  },
  {
    name: '--output-dir for build, which is publish’s flag',
    args: () => ['build', ...base(), `--output-dir=${scratch}/out`],
    error:
      /Flag --output-dir is for publish; for build, the outputs are where the project's OutputDirectory= says, or --args=--output-directory=DIR/,
  },
  {
    name: 'an unknown flag',
    args: () => ['build', ...base(), '--no-such-flag=1'],
    error: /Unknown flag --no-such-flag; see mkosi-ci --help for the flags/,
  },
  {
    name: 'an unknown command',
    args: () => ['bild', ...base()],
    error: /Unknown command 'bild'; valid: build, boot, diff, repro, publish/,
  },
  {
    name: 'a single-value flag given twice',
    args: () => ['build', ...base(), '--boot=true', '--boot=false'],
    error: /Flag --boot was given twice; it takes one value/,
  },
  {
    name: 'a flag without its value',
    args: () => ['build', ...base(), '--boot'],
    error: /Flag --boot needs a value/,
  },
  {
    name: 'an operand to build',
    args: () => ['build', ...base(), DEBIAN_MINIMAL],
    error: /Unexpected argument '.*debian-minimal'; flags look like --name=value/,
  },
  {
    name: 'diff with one operand',
    args: () => ['diff', DEBIAN_MINIMAL],
    error: /diff compares two outputs: mkosi-ci diff A B \(got 1 operands\)/,
  },
  {
    name: 'publish without --output-dir',
    args: () => ['publish', `--sign-key-file=${protectedKey.keyFile}`],
    error: /publish writes SHA256SUMS for a directory: mkosi-ci publish --output-dir=DIR/,
  },
  {
    name: 'upload: true, with no artifact service outside GitHub Actions',
    args: () => ['build', ...base(), '--upload=true'],
    error: /Input upload: true, but there is no artifact service here/,
    resolves: true,
  },
  {
    name: 'release: v1, with no GitHub API outside GitHub Actions',
    args: () => ['build', ...base(), '--release=v1'],
    error:
      /Input release: releases need GitHub Actions \(GITHUB_REPOSITORY, GITHUB_API_URL\) and github-token/,
    resolves: true,
  },
  {
    name: 'mkosi-ci boot of a Format=directory image',
    args: () => ['boot', ...base()],
    error:
      /Input boot: Format=directory images cannot be booted by mkosi-ci; bootable formats are disk, esp, uki/,
    resolves: true,
  },
  {
    name: 'mkosi-ci repro with diffoscope: yes and no diffoscope anywhere',
    args: () => ['repro', ...base(), '--diffoscope=yes'],
    env: { PATH: HOST_PATH },
    error: /Input diffoscope: yes, but diffoscope is neither in the tools tree nor on PATH/,
    resolves: true,
    skip: existsSync('/usr/bin/diffoscope') ? 'diffoscope is in /usr/bin' : undefined,
  },
  {
    name: 'release tarball whose checksum is not the pinned one',
    args: () =>
      ['build', ...base(), '--mkosi-source=release', `--mkosi-release-url=${server.url}/{ref}.tar.gz`].filter(
        (a) => a !== '--mkosi-source=system',
      ),
    error:
      /Input mkosi-version: the tarball from http:\/\/127\.0\.0\.1:\d+\/refs\/tags\/v27\.1\.tar\.gz has sha256 [0-9a-f]{64}, expected 33520d66[0-9a-f]{56}; refusing to run it/,
  },
];

beforeAll(async () => {
  server = await serveFiles({ '/refs/tags/v27.1.tar.gz': tarball.file });
});
afterAll(() => server?.close());

describe.concurrent('bad input through the CLI bundle', () => {
  for (const c of [...parseCases(files), ...resolvedCases({ protectedKey })]) {
    it(c.name, { fails: c.hole !== undefined, skip: c.skip !== undefined }, async () => {
      expectOneEarlyError(await runCliCase(mkosi, c), c.error, c.resolves);
    });
  }
  for (const c of CLI_CASES) {
    it(c.name, { fails: c.hole !== undefined, skip: c.skip !== undefined }, async () => {
      expectOneEarlyError(await runCliArgs(mkosi, c.args(), c), c.error, c.resolves);
    });
  }
});

describe('the suite itself', () => {
  it('gives every input a bad value as a flag (github-token, release-events: refused as flags)', () => {
    expect(inputsWithoutCase([...parseCases(files), ...resolvedCases({ protectedKey })])).toEqual([
      'github-token',
      'release-events',
    ]);
    expect(CLI_CASES.some((c) => c.args().some((a) => a.startsWith('--release-events=')))).toBe(true);
    expect(CLI_CASES.some((c) => c.args().some((a) => a.startsWith('--github-token=')))).toBe(true);
  });

  it('left no mkosi run unrecorded', () => {
    expect(existsSync(mkosi.unlabelled)).toBe(false);
  });
});
