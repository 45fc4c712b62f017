import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import { findOldDisk, updateRoundTrip } from '../boot/update-round-trip.js';
import { bootOptions } from './boot.js';
import type { Stage } from './stage.js';

/** What systemd-sysupdate fetches before any file: the manifest and its signature. */
const RELEASE_FILES = ['SHA256SUMS', 'SHA256SUMS.gpg'];

/**
 * The update round trip (`update-from`): after the outputs are signed, an earlier version's disk is
 * updated from them in the guest and booted again. It runs after SHA256SUMS.gpg is written and before
 * anything is uploaded (for `mkosi-ci boot`, an earlier build with a sign-key left them in the output
 * directory).
 */
export const updateStage: Stage = {
  name: 'update',
  title: 'update round trip',
  runs: (state) => state.options.boot.updateFrom !== undefined && state.result.build?.image !== undefined,
  async run(state) {
    const { ctx, result } = state;
    const build = result.build!;
    const toVersion = build.config.main.imageVersion;
    if (!toVersion) {
      throw new ConfigurationError(
        `Input ${Input.UpdateFrom}: the image has no ImageVersion=; the update installs a version, so set one (--image-version=).`,
      );
    }
    for (const name of RELEASE_FILES) {
      await access(path.join(build.outputDirectory, name)).catch(() => {
        throw new ConfigurationError(
          `Input ${Input.UpdateFrom}: ${name} is missing in ${build.outputDirectory}; systemd-sysupdate verifies the signed SHA256SUMS, so give ${Input.SignKey}.`,
        );
      });
    }
    const fromDisk = await findOldDisk(state.options.boot.updateFrom!);
    result.update = await ctx.log.group(`Update round trip: ${path.basename(fromDisk)} to ${toVersion}`, () =>
      updateRoundTrip(ctx, bootOptions(state), build.config, {
        fromDisk,
        releaseDir: build.outputDirectory,
        toVersion,
      }),
    );
    const update = result.update;
    ctx.log.info(
      `update round trip: ${update.result}: ${update.reason} (${Math.round(update.durationMs / 1000)} s)`,
    );
    if (update.result === 'passed') return;
    return { verdict: `Update round trip to ${toVersion}: ${update.result}: ${update.reason}` };
  },
};
