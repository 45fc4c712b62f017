import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  bootCheck,
  DEFAULT_KERNEL_CMDLINE_EXTRA,
  type BootFirmware,
  type BootCheckResult,
} from '../boot/run-boot.js';
import { bootDecision } from '../boot/bootable.js';
import { settleBySeconds } from '../boot/bounds.js';
import { findEmulator, type Emulator } from '../boot/firmware.js';
import { probeKvm } from '../boot/kvm-probe.js';
import type { Credential } from '../boot/check-unit.js';
import { ConfigurationError } from '../errors.js';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Artifact } from '../mkosi/outputs.js';
import type { Context } from './context.js';
import { Input } from './inputs.js';
import type { BootOptions } from './options.js';

export type Transport = 'vsock' | 'serial';

export interface BootStageResult {
  accel: 'kvm' | 'tcg';
  /** Why KVM was or was not used. */
  accelReason: string;
  transport: Transport;
  firmware: BootFirmware['kind'];
  emulator: string;
  timeoutSeconds: number;
  logsDir: string;
  check: BootCheckResult;
}

/**
 * Whether to boot at all: `boot: auto` boots the formats that can boot when the build made them bootable
 * (see boot/bootable.ts; with `artifacts`, a Bootable=auto disk that came out without a kernel is not).
 */
export function shouldBoot(
  options: BootOptions,
  config: MkosiConfig,
  artifacts?: readonly Artifact[],
): boolean {
  const main = config.main;
  const outputKinds = artifacts
    ?.filter((a) => a.image === main.image || a.image === undefined)
    .map((a) => a.kind);
  return bootDecision(options.enabled, { ...main, outputKinds }).boot;
}

/** Boot timeouts scale with the accelerator: TCG boots take minutes where KVM takes seconds. */
export function defaultTimeoutSeconds(accel: 'kvm' | 'tcg'): number {
  return accel === 'kvm' ? 180 : 600;
}

/** The guest uptime by which the boot must settle, leaving time to watch and report (see boot/bounds.ts). */
export function settleSeconds(timeoutSeconds: number, watchSeconds: number): number {
  return settleBySeconds(timeoutSeconds, watchSeconds);
}

function firmwareFor(
  options: BootOptions,
  format: string,
  image: Artifact,
  emulator: Emulator,
): BootFirmware {
  const choice = options.firmware === 'auto' ? (format === 'uki' ? 'linux' : 'uefi') : options.firmware;
  if (choice === 'bios') return { kind: 'bios' };
  if (!emulator.ovmf) {
    throw new ConfigurationError(
      `Input ${Input.BootFirmware}: ${choice} needs OVMF, and ${emulator.origin} has none; add the ovmf package to the tools tree (ToolsTreePackages=ovmf) or the host, or use bios.`,
    );
  }
  if (choice === 'uefi') return { kind: 'uefi', ...emulator.ovmf };
  if (format !== 'uki') {
    throw new ConfigurationError(
      `Input ${Input.BootFirmware}: linux boots a UKI directly, and Format=${format}; use uefi or bios.`,
    );
  }
  return { kind: 'linux', kernel: image.path, cmdline: '', uefi: emulator.ovmf };
}

async function chooseAccel(
  ctx: Context,
  options: BootOptions,
  emulator: Emulator,
  firmware: BootFirmware,
): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  if (options.kvm === 'no') return { accel: 'tcg', reason: 'kvm: no' };
  if (options.kvm === 'yes') return { accel: 'kvm', reason: 'kvm: yes' };
  const ovmf = firmware.kind === 'uefi' ? firmware : firmware.kind === 'linux' ? firmware.uefi : undefined;
  const vars = path.join(ctx.workDir, 'kvm-probe-vars.fd');
  await mkdir(ctx.workDir, { recursive: true });
  if (ovmf) await copyFile(ovmf.varsTemplate, vars);
  const probe = await probeKvm(ctx, {
    qemu: emulator.qemu,
    firmware: ovmf ? { kind: 'uefi', code: ovmf.code, vars } : { kind: 'bios' },
    workDir: path.join(ctx.workDir, 'kvm-probe'),
  });
  if (probe.usable) return { accel: 'kvm', reason: probe.detail };
  ctx.log.warning(
    `KVM is not usable (${probe.reason}); booting with software emulation (TCG), which is slower.`,
  );
  return { accel: 'tcg', reason: probe.reason };
}

/** vsock where a userspace vhost-user-vsock device is installed, else the serial report. */
async function chooseTransport(
  ctx: Context,
  options: BootOptions,
): Promise<{ transport: Transport; daemon?: string }> {
  if (options.transport === 'serial') return { transport: 'serial' };
  const daemon = await ctx.runner.which('vhost-device-vsock');
  if (daemon) return { transport: 'vsock', daemon };
  if (options.transport === 'vsock') {
    throw new ConfigurationError(
      `Input ${Input.BootTransport}: vsock needs vhost-device-vsock on PATH (Debian and Ubuntu package it); use serial or auto.`,
    );
  }
  return { transport: 'serial' };
}

/**
 * Boots the built image in qemu with the check injected through credentials, and returns the verdict.
 * `extraCredentials` lets tests plant faults without touching the image.
 */
export async function boot(
  ctx: Context,
  options: BootOptions,
  config: MkosiConfig,
  image: Artifact | undefined,
  extraCredentials: readonly Credential[] = [],
): Promise<BootStageResult> {
  if (!image || image.type !== 'file') {
    throw new ConfigurationError(
      `Input ${Input.Boot}: there is no image file of ${config.main.output} to boot.`,
    );
  }
  const emulator = await findEmulator(config.main.toolsTree, (c) => ctx.runner.which(c));
  if (!emulator) {
    throw new ConfigurationError(
      `Input ${Input.Boot}: no qemu-system-x86_64 in the tools tree or on PATH; add qemu-system-x86 to the tools tree (ToolsTreePackages=) or the host, or set boot: false.`,
    );
  }
  const firmware = firmwareFor(options, config.main.format, image, emulator);
  const { accel, reason } = await chooseAccel(ctx, options, emulator, firmware);
  const { transport, daemon } = await chooseTransport(ctx, options);
  const timeoutSeconds = options.timeoutSeconds ?? defaultTimeoutSeconds(accel);
  const logsDir = path.join(ctx.workDir, 'logs', 'boot');
  ctx.log.info(
    `Booting ${image.name} with ${emulator.origin}: ${accel.toUpperCase()}, ${firmware.kind}, report over ${transport}, timeout ${timeoutSeconds} s`,
  );
  const check = await bootCheck(ctx, {
    qemu: emulator.qemu,
    image: firmware.kind === 'linux' ? undefined : { path: image.path, format: 'raw' },
    firmware,
    accel,
    memoryMiB: options.memoryMiB,
    cpus: options.cpus,
    timeoutSeconds,
    settleBySeconds: settleSeconds(timeoutSeconds, options.watchSeconds),
    watchSeconds: options.watchSeconds,
    journal: 'on-failure',
    channel: { kind: 'serial' },
    allowFailed: options.allowFailed,
    kernelCmdlineExtra: [...DEFAULT_KERNEL_CMDLINE_EXTRA, ...config.main.kernelCommandLineExtra],
    extraCredentials,
    logsDir,
    vsockDaemon: daemon,
  });
  for (const unit of check.verdict.failedUnits) {
    ctx.log.error(`${unit.name} failed${unit.statusLine ? `: ${unit.statusLine}` : ''}`, {
      title: 'Boot check: failed unit',
    });
  }
  return {
    accel,
    accelReason: reason,
    transport,
    firmware: firmware.kind,
    emulator: emulator.origin,
    timeoutSeconds,
    logsDir,
    check,
  };
}
