import { open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Log, Runner } from '../ports.js';
import { claimDirectory } from '../process/owned-directory.js';
import { bootImage, type BootImageResult } from './boot-image.js';
import type { BootOptions } from './options.js';
import { loadBootTests } from './boot-tests.js';
import type { Verdict } from './verdict.js';
import { serveDirectory } from './update-server.js';
import { runningVersions, updateTest, UPDATE_TEST_NAME } from './update-test.js';

/**
 * The A/B update round trip: a writable copy of the old version's disk is booted with a test that runs
 * `systemd-sysupdate update VERSION` against the new release (its files with SHA256SUMS and
 * SHA256SUMS.gpg, served from the host), then booted again; the round trip passes only when the second
 * boot runs VERSION. Both boots are full boot checks (no failed unit, each with its own nonce); the
 * disk's writes persist from one to the next, and the old image file is never written.
 *
 * - `update-failed`: the first boot ran, but the update did not install (sysupdate's own words in
 *   `reason`: a signature that does not verify, a file that does not match SHA256SUMS, …).
 * - `not-updated`: the update installed, but the second boot ran another version.
 * - `boot-failed`: a boot check failed for another reason (its own verdict in `reason`).
 */
export type UpdateResult = 'passed' | 'update-failed' | 'not-updated' | 'boot-failed';

export interface UpdateRoundTrip {
  result: UpdateResult;
  reason: string;
  /** The versions the test saw running, one per boot that got as far as the test. */
  versions: string[];
  boots: BootImageResult[];
  /** What the guest asked the server for, `METHOD /path STATUS`. */
  requests: string[];
  durationMs: number;
}

export interface UpdateRoundTripInput {
  /** The old version's disk image: copied, never written. */
  fromDisk: string;
  /** The new release's directory: its split artifacts, SHA256SUMS and SHA256SUMS.gpg. */
  releaseDir: string;
  toVersion: string;
}

/** Whether a file starts like a GPT disk: the header's signature in the second 512-byte sector. */
async function hasGpt(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(8), 0, 8, 512);
    return bytesRead === 8 && buffer.toString('latin1') === 'EFI PART';
  } finally {
    await handle.close();
  }
}

/**
 * The disk image `update-from` names: the file itself, or the one `.raw` file with a partition table in
 * the directory (an earlier release's outputs also hold split partitions, which have none).
 */
export async function findOldDisk(given: string): Promise<string> {
  const info = await stat(given).catch(() => undefined);
  if (info?.isFile()) return given;
  if (!info?.isDirectory()) {
    throw new ConfigurationError(
      `Input ${Input.UpdateFrom}: ${given} does not exist; give a disk image or a directory holding one.`,
      {
        file: given,
      },
    );
  }
  const disks: string[] = [];
  for (const name of (await readdir(given)).sort()) {
    const file = path.join(given, name);
    if (name.endsWith('.raw') && (await stat(file)).isFile() && (await hasGpt(file))) disks.push(name);
  }
  if (disks.length !== 1) {
    const found =
      disks.length === 0
        ? 'no uncompressed .raw disk image'
        : `${disks.length} disk images (${disks.join(', ')})`;
    throw new ConfigurationError(
      `Input ${Input.UpdateFrom}: ${given} holds ${found}; give the disk image's path.`,
      {
        file: given,
      },
    );
  }
  return path.join(given, disks[0]!);
}

/** The last lines a failed update test printed: systemd-sysupdate says there why it refused. */
function tailOfTest(verdict: Verdict, lines = 6): string {
  const test = verdict.tests.find((t) => t.name === UPDATE_TEST_NAME);
  return (test?.output ?? []).slice(-lines).join(' | ');
}

function versionsOf(verdict: Verdict): string[] {
  const test = verdict.tests.find((t) => t.name === UPDATE_TEST_NAME);
  return runningVersions(test?.output ?? []);
}

/** The verdict of the first boot, or undefined when it installed the update. */
export function judgeFirstBoot(
  verdict: Verdict,
  to: string,
): Pick<UpdateRoundTrip, 'result' | 'reason'> | undefined {
  const [version] = versionsOf(verdict);
  if (verdict.result === 'test-failed' && verdict.failedTests.every((t) => t.name === UPDATE_TEST_NAME)) {
    return { result: 'update-failed', reason: `the update to ${to} failed: ${tailOfTest(verdict)}` };
  }
  if (verdict.result !== 'passed') {
    return { result: 'boot-failed', reason: `the first boot: ${verdict.result}: ${verdict.reason}` };
  }
  if (version === undefined || version === to) {
    return {
      result: 'boot-failed',
      reason: `the first boot did not run the old version (it saw ${version ?? 'none'})`,
    };
  }
  return undefined;
}

export function judgeSecondBoot(
  verdict: Verdict,
  from: string,
  to: string,
): Pick<UpdateRoundTrip, 'result' | 'reason'> {
  const [version] = versionsOf(verdict);
  if (verdict.result === 'passed' && version === to) {
    return { result: 'passed', reason: `updated from ${from} to ${to}, and the second boot runs ${to}` };
  }
  if (version !== undefined && version !== to) {
    return { result: 'not-updated', reason: `${to} was installed, but the second boot ran ${version}` };
  }
  return { result: 'boot-failed', reason: `the second boot: ${verdict.result}: ${verdict.reason}` };
}

export async function updateRoundTrip(
  ctx: { runner: Runner; log: Log; workDir: string },
  options: BootOptions,
  config: MkosiConfig,
  input: UpdateRoundTripInput,
): Promise<UpdateRoundTrip> {
  const started = Date.now();
  const info = await stat(input.fromDisk).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ConfigurationError(`The old version's disk image ${input.fromDisk} is not a file.`, {
      file: input.fromDisk,
    });
  }
  const dir = await claimDirectory(path.join(ctx.workDir, 'update'));
  const disk = path.join(dir, path.basename(input.fromDisk));
  // Under logs/, so the logs artifact carries both boots.
  const logs = await claimDirectory(path.join(ctx.workDir, 'logs', 'update'));
  // Sparse: the disk's empty slot is most of it.
  const copy = await ctx.runner.run('cp', ['--sparse=always', '--reflink=auto', '--', input.fromDisk, disk], {
    stream: false,
  });
  if (copy.exitCode !== 0) throw new Error(`copying ${input.fromDisk} failed: ${copy.stderr}`);
  const image = { name: path.basename(disk), path: disk, image: config.main.output, kind: 'image' as const };
  const artifact = { ...image, type: 'file' as const, size: info.size, sha256: null };
  const server = await serveDirectory(input.releaseDir);
  const boots: BootImageResult[] = [];
  try {
    // The user's boot tests run in both boots, before the update: the old version and the new one each
    // pass them.
    const tests = [
      ...(await loadBootTests(options.test)),
      updateTest({ url: server.guestUrl, toVersion: input.toVersion }),
    ];
    const boot = async (n: number): Promise<BootImageResult> => {
      const result = await bootImage(ctx, options, config, artifact, {
        writable: true,
        tests,
        logsDir: path.join(logs, `boot-${n}`),
      });
      boots.push(result);
      return result;
    };
    const first = judgeFirstBoot((await boot(1)).check.verdict, input.toVersion);
    const versions = (): string[] => boots.flatMap((b) => versionsOf(b.check.verdict));
    const verdict =
      first ?? judgeSecondBoot((await boot(2)).check.verdict, versions()[0] ?? '?', input.toVersion);
    return {
      ...verdict,
      versions: versions(),
      boots,
      requests: server.requests,
      durationMs: Date.now() - started,
    };
  } finally {
    await server.close();
    // The updated copy is gigabytes; the logs say what happened to it.
    await rm(disk, { force: true });
  }
}
