import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log, Runner } from '../ports.js';
import { claimDirectory } from '../process/owned-directory.js';
import type { Firmware } from './firmware.js';
import { qemuArgs, type QemuCommand } from './qemu-args.js';

/**
 * Whether KVM really works. An openable `/dev/kvm` is not enough: some nested setups (our own machines'
 * paravirtual KVM among them) run simple guests but fail on real ones with "KVM internal error. Suberror:
 * 1 … emulation failure", in OVMF and in the kernel's decompressor alike, and qemu then does not exit: it
 * stops the guest and waits. So the probe runs the very firmware or kernel the check will boot, under KVM,
 * for a few seconds, and looks at what qemu said.
 *
 * Measured here: OVMF fails under this KVM within 1 s. With a kernel (`linux` firmware, no initrd,
 * `panic=-1`) a working KVM ends the probe by itself within a second or two: the kernel panics for want
 * of a root file system and reboots, which `-no-reboot` turns into qemu's exit.
 */

export interface KvmProbeOptions {
  qemu: QemuCommand;
  /** What to run: OVMF alone, or a kernel (quicker, and it exits by itself when KVM works). */
  firmware: Firmware;
  /** The `-cpu` the check will use under KVM (see cpu-model.ts). */
  cpuModel?: string;
  /** Where the probe's console log is kept (a directory of its own). */
  workDir: string;
  timeoutMs?: number;
  /** The KVM device, for tests. */
  device?: string;
}

export type KvmProbeResult = { usable: true; detail: string } | { usable: false; reason: string };

const DEFAULT_PROBE_TIMEOUT_MS = 8_000;

/**
 * What OVMF prints when it hands over to a boot option: its firmware phases (where this KVM fails) ran.
 * The probe has no disk and the check's network card, so the first option is a network boot (">>Start
 * PXE over IPv4."); without the card it is the EFI shell ("BdsDxe: starting Boot0001"). The probe then
 * ends instead of running to its timeout: with this OVMF under TCG (a stand-in for a KVM that works,
 * which is faster) after 2.3 s instead of 8.1 s. A firmware that prints neither (SeaBIOS, another
 * OVMF) is probed for the whole timeout.
 */
const FIRMWARE_BOOTED = /BdsDxe: starting |>>Start PXE over IPv[46]/;
/** After the firmware got there, how much longer qemu runs, so that a KVM failure just after shows. */
const PROBE_GRACE_MS = 500;
const PROBE_POLL_MS = 100;

/** qemu's messages that mean KVM can't run this guest. */
const KVM_FAILURES = [
  /KVM internal error/,
  /emulation failure/,
  /failed to initialize kvm/i,
  /Could not access KVM kernel module/,
  /KVM is not supported/i,
  /kvm_init_vcpu failed/,
  /KVM: entry failed/,
];

export function probeQemuArgs(options: KvmProbeOptions): string[] {
  const firmware: Firmware =
    options.firmware.kind === 'linux'
      ? // No initrd and no root: the kernel panics at once, and panic=-1 turns that into an exit.
        { ...options.firmware, initrd: undefined, cmdline: 'console=ttyS0 panic=-1 loglevel=4' }
      : options.firmware;
  return qemuArgs({
    dataDirs: options.qemu.dataDirs,
    accel: 'kvm',
    cpuModel: options.cpuModel,
    memoryMiB: 512,
    cpus: 1,
    firmware,
    imageWrites: 'snapshot',
    consoleLog: path.join(options.workDir, 'console.log'),
    report: { kind: 'serial', file: path.join(options.workDir, 'report.log') },
    smbios: [],
  });
}

/**
 * The verdict on one probe run. KVM is usable when qemu reported none of KVM's failures and the guest
 * showed a sign of life on the console (a stopped guest prints nothing).
 */
export function classifyProbe(run: {
  exitCode: number;
  timedOut: boolean;
  stderr: string;
  consoleLog: string;
}): KvmProbeResult {
  const failure = run.stderr.split('\n').find((line) => KVM_FAILURES.some((p) => p.test(line)));
  if (failure) return { usable: false, reason: failure.trim() };
  if (!run.timedOut && run.exitCode !== 0) {
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    return { usable: false, reason: `qemu exited with status ${run.exitCode}${last ? `: ${last}` : ''}` };
  }
  if (run.consoleLog.trim() === '')
    return { usable: false, reason: 'the probe guest printed nothing under KVM' };
  return {
    usable: true,
    detail: run.timedOut ? 'the firmware ran under KVM' : 'the kernel ran under KVM and exited',
  };
}

export async function probeKvm(
  ctx: { runner: Runner; log: Log },
  options: KvmProbeOptions,
): Promise<KvmProbeResult> {
  const device = options.device ?? '/dev/kvm';
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: `${device} is missing or not accessible` };
  }
  await claimDirectory(options.workDir);
  const consoleFile = path.join(options.workDir, 'console.log');
  const seenEnough = new AbortController();
  const running = { done: false };
  const watching = endOnceBooted(consoleFile, seenEnough, running);
  const result = await ctx.runner.run(
    options.qemu.command,
    [...options.qemu.prefix, ...probeQemuArgs(options)],
    {
      stream: false,
      timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      until: seenEnough.signal,
    },
  );
  running.done = true;
  await watching;
  const consoleLog = await readFile(consoleFile, 'utf8').catch(() => '');
  // Ended by the probe after the firmware booted: as good as the timeout, and sooner.
  const verdict = classifyProbe({
    ...result,
    timedOut: result.timedOut || seenEnough.signal.aborted,
    consoleLog,
  });
  ctx.log.debug(`KVM probe: ${verdict.usable ? verdict.detail : verdict.reason}`);
  return verdict;
}

/** Aborts `seenEnough` a grace after the console shows the firmware booted; returns once qemu is done. */
async function endOnceBooted(
  consoleFile: string,
  seenEnough: AbortController,
  running: { done: boolean },
): Promise<void> {
  while (!running.done) {
    await sleep(PROBE_POLL_MS);
    const text = await readFile(consoleFile, 'latin1').catch(() => '');
    if (FIRMWARE_BOOTED.test(text)) {
      await sleep(PROBE_GRACE_MS);
      if (!running.done) seenEnough.abort();
      return;
    }
  }
}
