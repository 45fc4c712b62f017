import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/action-harness.js';
import { expectNoStackTrace } from '../support/assertions.js';
import { generateKey, gpgv, leakedSecrets, secretsOf, type TestKey } from '../support/gpg-keys.js';

/**
 * `mkosi-ci publish` with the real gpg and sha256sum: SHA256SUMS over a directory, signed with a key made
 * in the test, checked the way someone who downloads the files checks them. No mkosi build is needed:
 * the build's own publish stage is covered by action-bootable.
 */

const throwawayKeyrings = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('mkosi-ci-gnupg-'));

describe('mkosi-ci publish', () => {
  let key: TestKey;
  let unprotected: TestKey;
  const runs: CliRun[] = [];
  const publish = async (dir: string, ...flags: string[]): Promise<CliRun> => {
    const run = await runCli([
      'publish',
      `--output-dir=${dir}`,
      `--work-dir=${path.join(dir, '..', 'work')}`,
      ...flags,
    ]);
    runs.push(run);
    return run;
  };
  const outputs = (): string => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'publish-')), 'out');
    mkdirSync(path.join(dir, 'image/usr/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'image.raw'), randomBytes(3 * 1024 * 1024));
    writeFileSync(path.join(dir, 'image.manifest'), '{"packages": []}\n');
    writeFileSync(path.join(dir, 'image/usr/lib/os-release'), 'ID=debian\n');
    symlinkSync('image.raw', path.join(dir, 'image'.concat('.link')));
    return dir;
  };

  beforeAll(() => {
    key = generateKey(`pass ${randomBytes(6).toString('hex')} word`);
    unprotected = generateKey('');
  });

  it('writes SHA256SUMS over every file (directories file by file) that sha256sum -c accepts', async () => {
    const dir = outputs();
    const run = await publish(dir);
    expect(run.status, run.stderr).toBe(0);
    const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
    expect(
      sums
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(65)),
    ).toEqual(['*SHA256SUMS.mtree', '*image.manifest', '*image.raw', '*image/usr/lib/os-release']);
    expect(
      execFileSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' }),
    ).toBe('SHA256SUMS.mtree: OK\nimage.manifest: OK\nimage.raw: OK\nimage/usr/lib/os-release: OK\n');
    expect(run.stdout).toContain('SHA256SUMS: 3 files');
    // The directory holds a symlink and a subdirectory: the tree listing says what sha256sum cannot.
    expect(execFileSync('mtree', ['-f', 'SHA256SUMS.mtree', '-p', '.'], { cwd: dir, encoding: 'utf8' })).toBe(
      '',
    );
    expect(readFileSync(path.join(dir, 'SHA256SUMS.mtree'), 'utf8')).toContain(
      './image.link type=link uid=0 gid=0 link=image.raw',
    );
    expect(readdirSync(dir)).not.toContain('SHA256SUMS.gpg');
  });

  it('signs it with a passphrase-protected key: gpgv accepts it with the exported public key alone', async () => {
    const before = throwawayKeyrings();
    const dir = outputs();
    const run = await publish(
      dir,
      `--sign-key-file=${key.keyFile}`,
      `--sign-passphrase-file=${key.passphraseFile}`,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `SHA256SUMS.gpg: signed by ${key.fingerprint} (mkosi-ci test signer <signer@example.org>), verified`,
    );
    const publicKey = readFileSync(path.join(dir, 'signing-key.asc'), 'utf8');
    expect(publicKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    expect(publicKey).not.toContain('PRIVATE');
    const check = gpgv(publicKey, path.join(dir, 'SHA256SUMS.gpg'), path.join(dir, 'SHA256SUMS'));
    expect(check.ok, check.output).toBe(true);
    expect(check.output).toContain('Good signature from "mkosi-ci test signer <signer@example.org>"');
    // The throwaway keyring and its agent are gone.
    expect(throwawayKeyrings()).toEqual(before);
    expect(spawnSync('pgrep', ['-f', 'mkosi-ci-gnupg-']).status).toBe(1);
  });

  it('signs with a key without a passphrase, writing through none of the links planted in its place', async () => {
    const dir = outputs();
    const canary = path.join(dir, '..', 'canary');
    writeFileSync(canary, 'precious');
    for (const name of ['SHA256SUMS', 'SHA256SUMS.gpg', 'signing-key.asc', 'SHA256SUMS.mtree']) {
      symlinkSync(canary, path.join(dir, name));
    }
    const run = await publish(dir, `--sign-key-file=${unprotected.keyFile}`);
    expect(readFileSync(canary, 'utf8')).toBe('precious');
    expect(run.status, run.stderr).toBe(0);
    const check = gpgv(
      unprotected.armoredPublic,
      path.join(dir, 'SHA256SUMS.gpg'),
      path.join(dir, 'SHA256SUMS'),
    );
    expect(check.ok, check.output).toBe(true);
  });

  it('makes tampering show: a changed file fails sha256sum -c, a changed SHA256SUMS fails the signature', async () => {
    const dir = outputs();
    expect((await publish(dir, `--sign-key-file=${unprotected.keyFile}`)).status).toBe(0);
    writeFileSync(path.join(dir, 'image.manifest'), '{"packages": ["evil"]}\n');
    const sums = spawnSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(sums.status).toBe(1);
    expect(sums.stdout).toContain('image.manifest: FAILED');
    // Someone fixes up SHA256SUMS to match: now the signature no longer does.
    const fixed = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8').replace(
      /^[0-9a-f]{64}(?= \*image\.manifest$)/m,
      execFileSync('sha256sum', [path.join(dir, 'image.manifest')], { encoding: 'utf8' }).slice(0, 64),
    );
    writeFileSync(path.join(dir, 'SHA256SUMS'), fixed);
    expect(spawnSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dir }).status).toBe(0);
    const check = gpgv(
      unprotected.armoredPublic,
      path.join(dir, 'SHA256SUMS.gpg'),
      path.join(dir, 'SHA256SUMS'),
    );
    expect(check.ok).toBe(false);
    expect(check.output).toContain('BAD signature');
  });

  it.each([
    [
      'a wrong passphrase',
      () => ['--sign-passphrase-file=' + writeTemp('not the passphrase\n')],
      /Input sign-passphrase: wrong passphrase for the signing key [0-9A-F]{40} \(gpg: Bad passphrase\)\./,
    ],
    [
      'no passphrase for a protected key',
      () => [],
      /Input sign-passphrase: the signing key is protected by a passphrase; give it in sign-passphrase/,
    ],
  ])('refuses %s with one error naming sign-passphrase', async (_, flags, message) => {
    const before = throwawayKeyrings();
    const dir = outputs();
    const run = await publish(dir, `--sign-key-file=${key.keyFile}`, ...flags());
    expect(run.status).toBe(1);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors, run.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expectNoStackTrace(run.stdout + run.stderr);
    expect(readdirSync(dir)).not.toContain('SHA256SUMS.gpg');
    expect(throwawayKeyrings()).toEqual(before);
  });

  it.each([
    ['a public key', () => writeTemp(key.armoredPublic), /Input sign-key: this is a public key/],
    [
      'text that is no key',
      () => writeTemp('my-secret-key-text'),
      /Input sign-key: not an ASCII-armored OpenPGP private key/,
    ],
    [
      'a damaged private key',
      () => writeTemp(key.armored.replace(/^([A-Za-z0-9+/]{40})/m, 'A'.repeat(40))),
      /Input sign-key: gpg could not import the key/,
    ],
  ])('refuses %s with one error naming sign-key', async (_, file, message) => {
    const run = await publish(
      outputs(),
      `--sign-key-file=${file()}`,
      `--sign-passphrase-file=${key.passphraseFile}`,
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('my-secret-key-text');
    expectNoStackTrace(run.stdout + run.stderr);
  });

  it('refuses a directory that does not exist, naming it', async () => {
    const run = await runCli(['publish', '--output-dir=/nonexistent/out']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Cannot read the output directory /nonexistent/out: ENOENT');
  });

  it('never shows the key or the passphrase in any of these runs', () => {
    expect(runs.length).toBeGreaterThan(5);
    for (const run of runs) {
      expect(
        leakedSecrets(run.stdout + run.stderr, [...secretsOf(key), ...secretsOf(unprotected).slice(1)]),
      ).toEqual([]);
    }
  });
});

function writeTemp(content: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'secret-')), 'file');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}
