import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestKey {
  fingerprint: string;
  /** The ASCII-armored secret key, as a user keeps it in a secret. */
  armored: string;
  /** The armored public key, for the "this is a public key" case. */
  armoredPublic: string;
  passphrase: string;
  /** Files holding the armored key and the passphrase, for the CLI's --sign-*-file flags. */
  keyFile: string;
  passphraseFile: string;
}

/** A fresh ed25519 signing key made with the real gpg in a keyring of its own, then that keyring removed. */
export function generateKey(
  passphrase: string,
  userId = 'mkosi-ci test signer <signer@example.org>',
): TestKey {
  const home = mkdtempSync(path.join(os.tmpdir(), 'test-gnupg-'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-key-'));
  const gpg = (...args: string[]): string =>
    execFileSync(
      'gpg',
      ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', passphrase, ...args],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  try {
    gpg('--quick-gen-key', userId, 'ed25519', 'sign', 'never');
    const colons = gpg('--with-colons', '--list-secret-keys');
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
    const armored = gpg('--armor', '--export-secret-keys', fingerprint);
    const armoredPublic = gpg('--armor', '--export', fingerprint);
    const keyFile = path.join(dir, 'key.asc');
    const passphraseFile = path.join(dir, 'passphrase');
    writeFileSync(keyFile, armored, { mode: 0o600 });
    writeFileSync(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
    return { fingerprint, armored, armoredPublic, passphrase, keyFile, passphraseFile };
  } finally {
    execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    rmSync(home, { recursive: true, force: true });
  }
}

/** The parts of a key that must never show in a log: the passphrase and every line of the key's body. */
export function secretsOf(key: TestKey): string[] {
  const lines = key.armored
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [key.passphrase, ...lines];
}

/**
 * The secrets found in a log. `::add-mask::` commands are how a step hands a secret to the runner,
 * which never shows them; everything else is what a reader of the log would see.
 */
export function leakedSecrets(log: string, secrets: readonly string[]): string[] {
  const visible = log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  return secrets.filter((secret) => visible.includes(secret));
}

export function gpgv(
  publicKeyArmored: string,
  signature: string,
  data: string,
): { ok: boolean; output: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'test-gpgv-'));
  try {
    const keyring = path.join(home, 'key.gpg');
    execFileSync('gpg', ['--homedir', home, '--batch', '--dearmor', '--output', keyring], {
      input: publicKeyArmored,
    });
    const result = spawnSync('gpgv', ['--homedir', home, '--keyring', keyring, signature, data], {
      encoding: 'utf8',
    });
    return { ok: result.status === 0, output: result.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
