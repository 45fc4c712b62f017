import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Runner, RunResult } from '../ports.js';
import { Input } from '../inputs.js';
import {
  endProcessesMentioning,
  runCleanup,
  runCleanupCommand,
  type RunCleanup,
} from '../process/cleanup.js';

export interface SigningKey {
  fingerprint: string;
  /** The first user id, e.g. `Image Builder <images@example.org>`. */
  userId: string | undefined;
}

const PRIVATE_KEY_ARMOR = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
const PUBLIC_KEY_ARMOR = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/**
 * The lines of an armored key worth hiding in logs: its base64 body. The armor lines are the same for
 * every key, and masking them would only blank out harmless text.
 */
export function secretLines(armoredKey: string): string[] {
  return armoredKey
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 8 && !line.startsWith('-----') && !/^[A-Za-z-]+: /.test(line));
}

/** Refuses what is plainly not an armored private key, without ever quoting the value. */
export function assertArmoredPrivateKey(value: string): void {
  if (value.includes(PRIVATE_KEY_ARMOR)) return;
  if (value.includes(PUBLIC_KEY_ARMOR)) {
    throw new ConfigurationError(
      `Input ${Input.SignKey}: this is a public key; signing needs the ASCII-armored private key (${PRIVATE_KEY_ARMOR}), e.g. from \`gpg --armor --export-secret-keys KEYID\`, kept in a secret.`,
    );
  }
  throw new ConfigurationError(
    `Input ${Input.SignKey}: not an ASCII-armored OpenPGP private key; expected the text of \`gpg --armor --export-secret-keys KEYID\` starting with ${PRIVATE_KEY_ARMOR}.`,
  );
}

/** `sec`/`fpr`/`uid` records of `gpg --with-colons --list-secret-keys`: the first key that can sign. */
export function parseSecretKeys(colons: string): SigningKey[] {
  const keys: (SigningKey & { canSign: boolean })[] = [];
  let current: (SigningKey & { canSign: boolean }) | undefined;
  let expectPrimaryFingerprint = false;
  for (const line of colons.split('\n')) {
    const fields = line.split(':');
    switch (fields[0]) {
      case 'sec':
        // Field 12 holds the key's overall capabilities, upper case for the key with its subkeys.
        current = { fingerprint: '', userId: undefined, canSign: (fields[11] ?? '').includes('S') };
        keys.push(current);
        expectPrimaryFingerprint = true;
        break;
      case 'fpr':
        if (current && expectPrimaryFingerprint) current.fingerprint = fields[9] ?? '';
        expectPrimaryFingerprint = false;
        break;
      case 'uid':
        if (current && current.userId === undefined) current.userId = unescapeColons(fields[9] ?? '');
        break;
      case 'ssb':
        expectPrimaryFingerprint = false;
        break;
    }
  }
  return keys
    .filter((k) => k.canSign && k.fingerprint)
    .map(({ fingerprint, userId }) => ({ fingerprint, userId }));
}

function unescapeColons(value: string): string {
  return value.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function gpgFailure(result: RunResult): string {
  const lines = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('gpg:') || l.startsWith('gpgv:'));
  return lines.at(-1) ?? `exit status ${result.exitCode}`;
}

/** The names of the temporary GnuPG homes mkosi-ci makes: a throwaway keyring, an empty gpgv home. */
const KEYRING_PREFIX = 'mkosi-ci-gnupg-';
const GPGV_HOME_PREFIX = 'mkosi-ci-gpgv-';

/** Whether `dir` is a GnuPG home this program made (so a recorded path names nothing else). */
export function isTemporaryGnupgHome(dir: string): boolean {
  const name = path.basename(dir);
  return (
    path.isAbsolute(dir) &&
    path.dirname(dir) === path.resolve(os.tmpdir()) &&
    (name.startsWith(KEYRING_PREFIX) || name.startsWith(GPGV_HOME_PREFIX)) &&
    !name.includes('..')
  );
}

/**
 * Stops the agent of a GnuPG home and removes it with the key inside, outside any runner: while the run
 * is being stopped, or in a later process (the action's post step) after main died.
 */
export async function removeGnupgHome(home: string): Promise<void> {
  await runCleanupCommand('gpgconf', ['--homedir', home, '--kill', 'all']);
  await agentGone(home);
  await rm(home, { recursive: true, force: true });
}

/** gpgconf only asks the agent to go: wait for it, and kill it if it lingers (it holds the key). */
function agentGone(home: string): Promise<void> {
  return endProcessesMentioning(`--homedir ${home} `);
}

/** A temporary GnuPG home, registered so a signal removes it (and its agent) too. */
async function temporaryGnupgHome(
  prefix: string,
  cleanup: RunCleanup,
): Promise<{ home: string; forget: () => void }> {
  // mkdtemp creates the directory 0700, which gpg insists on for its home.
  const home = await mkdtemp(path.join(os.tmpdir(), prefix));
  const forget = cleanup.addStep({
    what: `the GnuPG home ${home}`,
    path: home,
    run: () => removeGnupgHome(home),
  });
  return { home, forget };
}

/**
 * A keyring that exists for one run: created empty in a private temp directory (short, so gpg-agent's
 * socket path fits), holding only the imported signing key, removed with its agent afterwards.
 */
export class ThrowawayKeyring {
  private constructor(
    private readonly runner: Runner,
    readonly home: string,
    private readonly forget: () => void,
  ) {}

  static async create(runner: Runner, cleanup: RunCleanup = runCleanup): Promise<ThrowawayKeyring> {
    if (!(await runner.which('gpg'))) {
      throw new ConfigurationError(
        `Input ${Input.SignKey}: signing needs gpg (GnuPG 2) on PATH; install the gnupg package or leave ${Input.SignKey} empty.`,
      );
    }
    const { home, forget } = await temporaryGnupgHome(KEYRING_PREFIX, cleanup);
    return new ThrowawayKeyring(runner, home, forget);
  }

  private gpg(args: readonly string[], input?: string): Promise<RunResult> {
    return this.runner.run('gpg', ['--homedir', this.home, '--batch', '--no-tty', ...args], {
      stream: false,
      input,
    });
  }

  /** Imports the armored private key and says which key will sign. */
  async importSigningKey(armoredKey: string): Promise<SigningKey> {
    assertArmoredPrivateKey(armoredKey);
    const imported = await this.gpg(['--import'], armoredKey);
    if (imported.exitCode !== 0) {
      throw new ConfigurationError(
        `Input ${Input.SignKey}: gpg could not import the key (${gpgFailure(imported)}); expected the full output of \`gpg --armor --export-secret-keys KEYID\`.`,
      );
    }
    const listed = await this.gpg(['--with-colons', '--list-secret-keys']);
    const keys = parseSecretKeys(listed.stdout);
    if (keys.length === 0) {
      throw new ConfigurationError(
        `Input ${Input.SignKey}: the key holds no secret key that can sign; export the secret key of a signing key (gpg --armor --export-secret-keys KEYID).`,
      );
    }
    return keys[0]!;
  }

  /** Writes a detached binary signature of `file` to `signature`. */
  async sign(
    file: string,
    signature: string,
    key: SigningKey,
    passphrase: string | undefined,
  ): Promise<void> {
    const args = ['--yes', '--pinentry-mode', 'loopback', '--local-user', key.fingerprint];
    if (passphrase !== undefined) args.push('--passphrase-fd', '0');
    const result = await this.gpg([...args, '--detach-sign', '--output', signature, file], passphrase);
    if (result.exitCode === 0) return;
    // gpg may leave an empty or partial signature behind; one that is there must be good.
    await rm(signature, { force: true });
    const reason = gpgFailure(result);
    if (/bad passphrase/i.test(reason)) {
      throw new ConfigurationError(
        passphrase === undefined
          ? `Input ${Input.SignPassphrase}: the signing key is protected by a passphrase; give it in ${Input.SignPassphrase} (from a secret).`
          : `Input ${Input.SignPassphrase}: wrong passphrase for the signing key ${key.fingerprint} (gpg: Bad passphrase).`,
      );
    }
    // Without a passphrase gpg in batch mode cannot ask for one.
    if (/no passphrase given|no pinentry|can't get input/i.test(reason)) {
      throw new ConfigurationError(
        `Input ${Input.SignPassphrase}: the signing key is protected by a passphrase; give it in ${Input.SignPassphrase} (from a secret).`,
      );
    }
    throw new ConfigurationError(`Signing SHA256SUMS with ${key.fingerprint} failed: ${reason}`);
  }

  /** The public half, armored (to publish) and binary (a keyring gpgv can read). */
  async exportPublicKey(key: SigningKey, armoredFile: string, binaryFile: string): Promise<void> {
    for (const [file, armor] of [
      [armoredFile, ['--armor']],
      [binaryFile, []],
    ] as const) {
      const result = await this.gpg([...armor, '--yes', '--output', file, '--export', key.fingerprint]);
      if (result.exitCode !== 0) throw new Error(`gpg --export failed: ${gpgFailure(result)}`);
    }
  }

  /** Removes the keyring, its agent and everything in it; safe to call twice. */
  async remove(): Promise<void> {
    await this.runner
      .run('gpgconf', ['--homedir', this.home, '--kill', 'all'], { stream: false })
      .catch(() => undefined);
    await agentGone(this.home);
    await rm(this.home, { recursive: true, force: true });
    this.forget();
  }
}

export interface SignatureCheck {
  valid: boolean;
  /** gpgv's verdict line, e.g. `gpgv: Good signature from "…"`. */
  message: string;
}

/** Checks a detached signature with gpgv against exactly one public keyring file. */
export async function verifySignature(
  runner: Runner,
  publicKeyring: string,
  signature: string,
  data: string,
): Promise<SignatureCheck> {
  // An empty home keeps gpgv off the user's own trustedkeys.
  const { home, forget } = await temporaryGnupgHome(GPGV_HOME_PREFIX, runCleanup);
  try {
    const result = await runner.run(
      'gpgv',
      ['--homedir', home, '--keyring', path.resolve(publicKeyring), signature, data],
      { stream: false },
    );
    return { valid: result.exitCode === 0, message: gpgFailure(result) };
  } finally {
    await rm(home, { recursive: true, force: true });
    forget();
  }
}
