import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Artifact } from '../mkosi/outputs.js';
import type { Log, Runner } from '../ports.js';
import { claimDirectory } from '../process/owned-directory.js';
import { chooseAccel, type Accel } from './accelerator.js';
import type { Credential } from './check-unit.js';
import { findEmulator, noEmulatorError } from './emulator.js';
import type { Firmware } from './firmware.js';
import type { BootOptions } from './options.js';
import type { BootDisk } from './qemu-args.js';
import { loadBootTests, type BootTest } from './boot-tests.js';
import { describeMachineSize } from './machine-size.js';
import { runtimeSetup, type MachineSettings } from './runtime-settings.js';
import { describeFailure, tailOf } from './test-results.js';
import { bootCheck, DEFAULT_KERNEL_CMDLINE_EXTRA, type BootCheckResult } from './run-boot.js';
import { settleBySeconds } from './bounds.js';
import { defaultTimeoutSeconds } from './timeouts.js';
import { chooseTransport, type Transport } from './transport.js';
import { ukiEspDirectory } from './uki-esp.js';

export interface BootImageResult {
  accel: Accel;
  /** Why KVM was or was not used (and why the CPU model is not the default, when it is not). */
  accelReason: string;
  /** qemu's `-cpu`. */
  cpuModel: string;
  transport: Transport;
  firmware: Firmware['kind'];
  emulator: string;
  timeoutSeconds: number;
  /** Every machine setting (size, firmware, TPM, credentials, qemu arguments) and where it came from. */
  machine: MachineSettings;
  /** boot-test-timeout, for describing a test that ran out of it. */
  testTimeoutSeconds: number;
  logsDir: string;
  check: BootCheckResult;
}

/**
 * What qemu's disk is: none for a direct kernel boot, an ESP holding the UKI for a UKI booted through
 * UEFI (firmware does not start a bare PE file from a disk), else the image itself.
 */
async function bootDisk(
  firmware: Firmware,
  format: string,
  image: string,
  workDir: string,
): Promise<BootDisk | undefined> {
  if (firmware.kind === 'linux') return undefined;
  if (format === 'uki' && firmware.kind === 'uefi') {
    return { path: await ukiEspDirectory(workDir, image), format: 'vvfat' };
  }
  return { path: image, format: 'raw' };
}

/** What one boot does differently from the boot check of a build (the update round trip boots twice). */
export interface BootRun {
  /** Planted faults in tests, without touching the image. */
  extraCredentials?: readonly Credential[];
  /** The guest's writes stay in the image file: only for a copy made for this run. */
  writable?: boolean;
  /** Instead of the boot-test input's. */
  tests?: readonly BootTest[];
  /** Instead of `<work dir>/logs/boot`. */
  logsDir?: string;
}

/** Boots the built image in qemu with the check injected through credentials, and returns the verdict. */
export async function bootImage(
  ctx: { runner: Runner; log: Log; workDir: string },
  options: BootOptions,
  config: MkosiConfig,
  image: Artifact | undefined,
  run: BootRun = {},
): Promise<BootImageResult> {
  if (!image || image.type !== 'file') {
    throw new ConfigurationError(
      `Input ${Input.Boot}: there is no image file of ${config.main.output} to boot.`,
    );
  }
  const emulator = await findEmulator(config.main.toolsTree, (c) => ctx.runner.which(c));
  if (!emulator) throw noEmulatorError();
  const runtime = await runtimeSetup(ctx.runner, options, config.main, emulator, image.path);
  const firmware = runtime.firmware;
  const { accel, reason, cpu } = await chooseAccel(ctx, options.kvm, emulator, firmware, ctx.workDir);
  const { transport, daemon } = await chooseTransport(ctx.runner, options.transport);
  const tests = run.tests ?? (await loadBootTests(options.test));
  // The tests' worst case: auto's timeout grows by it, a timeout in seconds must leave room for it.
  const testSeconds = tests.length * options.testTimeoutSeconds;
  const timeoutSeconds = options.timeoutSeconds ?? defaultTimeoutSeconds(accel) + testSeconds;
  const logsDir = await claimDirectory(run.logsDir ?? path.join(ctx.workDir, 'logs', 'boot'));
  const size = runtime.settings.size;
  ctx.log.info(
    `Booting ${image.name} with ${emulator.origin}: ${accel.toUpperCase()}, ${firmware.kind}, ${describeMachineSize(size)}, TPM ${runtime.settings.tpm}, report over ${transport}, timeout ${timeoutSeconds} s`,
  );
  const check = await bootCheck(ctx, {
    qemu: emulator.qemu,
    image: await bootDisk(firmware, config.main.format, image.path, ctx.workDir),
    imageWrites: run.writable ? 'none' : 'snapshot',
    firmware,
    accel,
    cpuModel: cpu.model,
    memoryMiB: size.memoryMiB,
    cpus: size.cpus,
    timeoutSeconds,
    settleBySeconds: settleBySeconds(timeoutSeconds, options.watchSeconds, testSeconds),
    watchSeconds: options.watchSeconds,
    journal: 'on-failure',
    channel: { kind: 'serial' },
    allowFailed: options.allowFailed,
    kernelCmdlineExtra: [...DEFAULT_KERNEL_CMDLINE_EXTRA, ...config.main.kernelCommandLineExtra],
    extraCredentials: run.extraCredentials ?? [],
    configCredentials: runtime.credentials,
    qemuArgs: runtime.qemuArgs,
    swtpm: runtime.swtpm,
    tests,
    testTimeoutSeconds: options.testTimeoutSeconds,
    logsDir,
    vsockDaemon: daemon,
  });
  for (const unit of check.verdict.failedUnits) {
    ctx.log.error(`${unit.name} failed${unit.statusLine ? `: ${unit.statusLine}` : ''}`, {
      title: 'Boot check: failed unit',
    });
  }
  for (const test of check.verdict.failedTests) {
    const tail = tailOf(test).join('\n');
    ctx.log.error(`${describeFailure(test, options.testTimeoutSeconds)}${tail ? `\n${tail}` : ''}`, {
      title: `Boot test failed: ${test.name}`,
    });
  }
  return {
    accel,
    accelReason: cpu.reason ? `${reason}; ${cpu.reason}` : reason,
    cpuModel: cpu.model,
    transport,
    firmware: firmware.kind,
    emulator: emulator.origin,
    timeoutSeconds,
    machine: runtime.settings,
    testTimeoutSeconds: options.testTimeoutSeconds,
    logsDir,
    check,
  };
}
