import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';
import type { BootOptions } from './options.js';
import { findOldDisk } from './update-round-trip.js';

/**
 * `update-from`, judged before the build: the old disk is there (one disk in a directory), the image
 * has a version to update to, and the outputs will be signed (systemd-sysupdate verifies
 * SHA256SUMS.gpg; `mkosi-ci boot` takes the signature an earlier build left, checked at the update).
 */
export async function checkUpdatePrerequisites(
  options: BootOptions,
  config: MkosiConfig,
  signing: { command: 'build' | 'boot' | 'repro'; signKey: string | undefined },
): Promise<void> {
  if (options.updateFrom === undefined) return;
  await findOldDisk(options.updateFrom);
  if (!config.main.imageVersion) {
    throw new ConfigurationError(
      `Input ${Input.UpdateFrom}: ${config.main.output} has no ImageVersion=; the update installs a version, so set one (ImageVersion= or --image-version=).`,
    );
  }
  if (signing.command !== 'boot' && signing.signKey === undefined) {
    throw new ConfigurationError(
      `Input ${Input.UpdateFrom}: needs ${Input.SignKey}: systemd-sysupdate in the guest installs only from a SHA256SUMS whose signature (SHA256SUMS.gpg) its keyring verifies.`,
    );
  }
}
