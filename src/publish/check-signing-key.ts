import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Log, Runner } from '../ports.js';
import { secretLines, ThrowawayKeyring } from './gpg.js';
import type { PublishOptions } from './options.js';

/** Masks the key and the passphrase in everything logged from now on. */
export function maskSigningSecrets(
  log: Log,
  options: Pick<PublishOptions, 'signKey' | 'signPassphrase'>,
): void {
  if (options.signKey) {
    for (const line of secretLines(options.signKey)) log.mask(line);
    log.mask(options.signKey);
  }
  if (options.signPassphrase) log.mask(options.signPassphrase);
}

/**
 * Proves before the build that the key can sign: imported into a throwaway keyring and used once on a
 * scratch file with the passphrase given, so a key that is no private key or a wrong passphrase is
 * said in seconds, not after a build of many minutes. Throws the ConfigurationError gpg's answer gives.
 */
export async function checkSigningKey(
  ctx: { runner: Runner; log: Log },
  options: Pick<PublishOptions, 'signKey' | 'signPassphrase'>,
): Promise<string | undefined> {
  if (!options.signKey) return undefined;
  maskSigningSecrets(ctx.log, options);
  const keyring = await ThrowawayKeyring.create(ctx.runner);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-sign-check-'));
  try {
    const key = await keyring.importSigningKey(options.signKey);
    const probe = path.join(scratch, 'probe');
    await writeFile(probe, 'mkosi-ci: can this key sign?\n');
    await keyring.sign(probe, `${probe}.sig`, key, options.signPassphrase);
    return key.fingerprint;
  } finally {
    await keyring.remove();
    await rm(scratch, { recursive: true, force: true });
  }
}
