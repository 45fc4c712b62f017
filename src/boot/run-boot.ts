import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Log, RunResult, Runner } from '../ports.js';
import {
  checkCredentials,
  kernelCmdlineExtraArgs,
  smbiosCredentialArgs,
  type CheckOptions,
  type Credential,
  type JournalPolicy,
  type ReportChannel,
} from './check-unit.js';
import type { BootTest } from './boot-tests.js';
import { uefiOf, withUefiVars, type Firmware } from './firmware.js';
import { qemuArgs, type BootDisk, type QemuCommand } from './qemu-args.js';
import { findCheckMessage, type CheckMessage } from './check-message.js';
import { hostSideFailure } from './host-failure.js';
import { findPanic, newNonce, parseReport, type GuestReport, type ReportResult } from './serial-report.js';
import { cutBytes } from './test-results.js';
import { verdict, type Verdict } from './verdict.js';
import { runCleanup } from '../process/cleanup.js';
import { checkSmbiosBudget } from './smbios-budget.js';
import { tpmQemuArgs, withSwtpm, type Swtpm } from './swtpm.js';
import { writeCredentialFiles } from './credential-files.js';
import { socketDirectory } from './socket-dir.js';
import {
  listenForNotifications,
  notifyCredential,
  supervisedQemu,
  type Notifications,
} from './vsock-transport.js';

export interface BootCheckOptions {
  qemu: QemuCommand;
  image: BootDisk | undefined;
  /** `snapshot` (the default): the disk is never written; `none`: a copy made for this run keeps the guest's writes. */
  imageWrites?: 'snapshot' | 'none';
  /** OVMF's variable store is copied for each run; the template is never written to. */
  firmware: Firmware;
  accel: 'kvm' | 'tcg';
  /** `-cpu`, when not the accelerator's default (see cpu-model.ts). */
  cpuModel?: string;
  memoryMiB: number;
  cpus: number;
  /** qemu is killed after this long: the verdict is then `did-not-boot` (or `panicked`). */
  timeoutSeconds: number;
  /** Guest uptime (s) by which the boot must have settled (see bounds.ts); below the timeout. */
  settleBySeconds: number;
  watchSeconds: number;
  journal: JournalPolicy;
  channel: ReportChannel;
  /** `boot-allow-failed` globs. */
  allowFailed: readonly string[];
  /** Added to the kernel command line (UKI: through SMBIOS, `linux`: appended). */
  kernelCmdlineExtra: readonly string[];
  /** More credentials for the guest (planted faults in tests). */
  extraCredentials?: readonly Credential[];
  /** The project's [Runtime] Credentials=, resolved (config-credentials.ts); counted against the SMBIOS budget. */
  configCredentials?: readonly Credential[];
  /** The project's [Runtime] QemuArgs=: appended after every argument of the check's own. */
  qemuArgs?: readonly string[];
  /** A software TPM for the guest (swtpm.ts), started beside qemu and stopped with it. */
  swtpm?: Swtpm;
  /** `boot-test`: run in order once the check found nothing wrong, each for at most `testTimeoutSeconds`. */
  tests?: readonly BootTest[];
  testTimeoutSeconds?: number;
  /** Serial console, report, journal and qemu's own output are kept here. */
  logsDir: string;
  /** vsock transport: path of vhost-device-vsock; the report still travels over `channel`. */
  vsockDaemon?: string;
}

export interface BootCheckResult {
  verdict: Verdict;
  durationMs: number;
  /** Milliseconds from qemu's start until the guest reported READY=1 (vsock only). */
  readyMs?: number;
  /** The guest's `systemctl exit` status (vsock only). */
  exitStatus?: number;
  /** Whether the check's own message with the nonce arrived over vsock (vsock only). */
  vsockMessage?: 'received' | 'missing';
  /** Why the first qemu died on the host's side, when it did and the check ran a second one. */
  retried?: string;
  logs: {
    console: string;
    report: string;
    qemu: string;
    journal?: string;
    /** The journal in export format (journal.export). */
    journalExport?: string;
    failedUnits?: string;
    /** logs/boot/tests: one `<name>.log` per test that reported. */
    tests?: string;
  };
}

/** Default kernel command line extras: no interactive first boot on the console, panics end qemu. */
export const DEFAULT_KERNEL_CMDLINE_EXTRA = ['systemd.firstboot=off', 'panic=-1'] as const;

/** The firmware of this run: its own copy of OVMF's variables, the command line extras of a split kernel. */
function runFirmware(firmware: Firmware, vars: string, extra: readonly string[]): Firmware {
  const copy = withUefiVars(firmware, vars);
  if (copy.kind !== 'linux') return copy;
  return { ...copy, cmdline: [copy.cmdline, ...extra].filter((s) => s !== '').join(' ') };
}

/**
 * Whether kernel command line extras reach the guest through SMBIOS (a UKI's sd-stub reads them there)
 * rather than -append (a split kernel). A UKI given to OVMF with -kernel must not get -append: sd-stub
 * takes a loader's options *instead of* its embedded command line (console=, roothash=, …).
 */
export function extrasViaSmbios(firmware: Firmware): boolean {
  return firmware.kind !== 'linux' || firmware.uefi !== undefined;
}

/** qemu's arguments for one check: the image, firmware, console, report channel and credentials. */
export function checkQemuArgs(
  options: BootCheckOptions,
  files: { console: string; report: string },
  vars: string,
  credentialArgs: readonly string[],
  vsockSocket: string | undefined,
  tpmSocket: string | undefined,
): string[] {
  const cmdlineViaSmbios = extrasViaSmbios(options.firmware);
  return qemuArgs({
    dataDirs: options.qemu.dataDirs,
    accel: options.accel,
    cpuModel: options.cpuModel,
    memoryMiB: options.memoryMiB,
    cpus: options.cpus,
    firmware: runFirmware(options.firmware, vars, cmdlineViaSmbios ? [] : options.kernelCmdlineExtra),
    image: options.image,
    imageWrites: options.imageWrites ?? 'snapshot',
    consoleLog: files.console,
    report:
      options.channel.kind === 'serial'
        ? { kind: 'serial', file: files.report }
        : { kind: 'virtio', file: files.report, name: options.channel.name },
    smbios: [
      ...credentialArgs,
      ...(cmdlineViaSmbios ? kernelCmdlineExtraArgs(options.kernelCmdlineExtra) : []),
    ],
    vhostUserVsock: vsockSocket ? { socket: vsockSocket } : undefined,
    // The project's QemuArgs= come last, as mkosi appends them, so they can add to or override ours.
    extra: [...(tpmSocket ? tpmQemuArgs(tpmSocket) : []), ...(options.qemuArgs ?? [])],
  });
}

function testsOf(options: BootCheckOptions): CheckOptions['tests'] {
  if (!options.tests || options.tests.length === 0) return undefined;
  return { names: options.tests.map((t) => t.name), timeoutSeconds: options.testTimeoutSeconds ?? 300 };
}

/** The journal, the status of each failed unit and each test's output, as files next to the logs, for the artifacts. */
async function keepDetails(
  logs: string,
  report: GuestReport | undefined,
): Promise<Partial<BootCheckResult['logs']>> {
  const kept: Partial<BootCheckResult['logs']> = {};
  if (report && report.journal.length > 0) {
    kept.journal = path.join(logs, 'journal.txt');
    await writeFile(kept.journal, report.journal.join('\n') + '\n');
  }
  if (report && report.journalExport !== '') {
    kept.journalExport = path.join(logs, 'journal.export');
    await writeFile(kept.journalExport, Buffer.from(report.journalExport, 'base64'));
  }
  if (report && report.tests.length > 0) {
    kept.tests = path.join(logs, 'tests');
    await mkdir(kept.tests, { recursive: true });
    for (const test of report.tests) {
      const cut = cutBytes(test) > 0 ? `[the first ${cutBytes(test)} bytes were cut]\n` : '';
      await writeFile(
        path.join(kept.tests, `${test.name}.log`),
        cut + test.output.map((l) => `${l}\n`).join(''),
      );
    }
  }
  if (report && report.failedUnits.length > 0) {
    kept.failedUnits = path.join(logs, 'failed-units.txt');
    await writeFile(kept.failedUnits, report.failedUnits.map((u) => u.status.join('\n')).join('\n\n') + '\n');
  }
  return kept;
}

/** A fresh logs directory for this check, with the firmware's writable variable store copied in. */
async function prepareLogs(options: BootCheckOptions) {
  const logs = path.resolve(options.logsDir);
  await mkdir(logs, { recursive: true });
  const files = {
    console: path.join(logs, 'serial-console.log'),
    report: path.join(logs, 'boot-report.log'),
    qemu: path.join(logs, 'qemu.log'),
  };
  await Promise.all(Object.values(files).map((f) => rm(f, { force: true })));

  const vars = path.join(logs, 'ovmf-vars.fd');
  const template = uefiOf(options.firmware)?.vars;
  if (template) await copyFile(template, vars);
  return { logs, files, vars };
}

/**
 * The socket and a fresh state directory for swtpm, when the guest gets a TPM. swtpm is in qemu's process
 * group, which a stopped run ends; the state is removed with it (nothing of it is evidence).
 */
async function prepareTpm(options: BootCheckOptions, logs: string, socketDir: string) {
  if (!options.swtpm) return undefined;
  const paths = { state: path.join(logs, 'swtpm-state'), socket: path.join(socketDir, 'swtpm.sock') };
  await mkdir(paths.state, { recursive: true });
  const removeState = async (): Promise<void> => {
    await Promise.all([rm(paths.state, { recursive: true, force: true }), rm(paths.socket, { force: true })]);
  };
  const forget = runCleanup.addStep({ what: `TPM state ${paths.state}`, run: removeState });
  return {
    ...paths,
    remove: async (): Promise<void> => {
      await removeState();
      forget();
    },
  };
}

/** The check, its tests and the extra credentials, with the vsock notify address when vsock is on. */
function runCredentials(options: BootCheckOptions, nonce: string, vsock: boolean): Credential[] {
  return checkCredentials(
    {
      nonce,
      channel: options.channel,
      settleBySeconds: options.settleBySeconds,
      watchSeconds: options.watchSeconds,
      journal: options.journal,
      allowFailed: options.allowFailed,
      notifySocket: vsock ? notifyCredential().value : undefined,
      tests: testsOf(options),
    },
    [
      ...(options.configCredentials ?? []),
      ...(vsock ? [notifyCredential()] : []),
      ...(options.extraCredentials ?? []),
    ],
    options.tests,
  );
}

interface QemuAttempt {
  run: RunResult;
  started: number;
  durationMs: number;
  consoleLog: string;
  report: ReportResult;
  panic: string | undefined;
  notifications: Notifications | undefined;
  message: CheckMessage | undefined;
}

/** One run of qemu (under its supervisors), and what the guest left behind. */
async function runQemu(
  ctx: { runner: Runner },
  options: BootCheckOptions,
  invocation: { command: string; args: string[] },
  files: { console: string; report: string; qemu: string },
  vsock: { socket: string; udsPath: string } | undefined,
  nonce: string,
): Promise<QemuAttempt> {
  let listener: { notifications: Notifications; close: () => Promise<void> } | undefined;
  const started = Date.now();
  let run;
  try {
    if (vsock) listener = await listenForNotifications(vsock);
    run = await ctx.runner.run(invocation.command, invocation.args, {
      stream: false,
      logFile: files.qemu,
      timeoutMs: options.timeoutSeconds * 1000,
    });
  } finally {
    await listener?.close();
  }
  const durationMs = Date.now() - started;
  if (vsock) await Promise.all([rm(vsock.socket, { force: true }), rm(vsock.udsPath, { force: true })]);
  const consoleLog = await readFile(files.console, 'utf8').catch(() => '');
  const captured = await readFile(files.report, 'utf8').catch(() => '');
  const notifications = listener?.notifications;
  return {
    run,
    started,
    durationMs,
    consoleLog,
    report: parseReport(captured, nonce),
    panic: findPanic(consoleLog),
    notifications,
    message: notifications && findCheckMessage(notifications.messages, nonce),
  };
}

/**
 * qemu once, and once more when it died on the host's side (see host-failure.ts). The same nonce and
 * credentials: the first qemu never ran the guest far enough to use them.
 */
async function runQemuWithRetry(
  ctx: { runner: Runner; log: Log },
  options: BootCheckOptions,
  invocation: { command: string; args: string[] },
  paths: { logs: string; files: { console: string; report: string; qemu: string } },
  vsock: { socket: string; udsPath: string } | undefined,
  nonce: string,
): Promise<{ attempt: QemuAttempt; retried: string | undefined }> {
  const first = await runQemu(ctx, options, invocation, paths.files, vsock, nonce);
  const retried = hostSideFailure(first.run, {
    consoleLog: first.consoleLog,
    reportSeen: first.report.found || first.report.truncated,
    messageSeen: first.message !== undefined,
    panic: first.panic,
  });
  if (!retried) return { attempt: first, retried };
  ctx.log.warning(`qemu died on the host's side (${retried}); starting it once more.`);
  await rename(paths.files.qemu, path.join(paths.logs, 'qemu-attempt-1.log'));
  await prepareLogs(options);
  return { attempt: await runQemu(ctx, options, invocation, paths.files, vsock, nonce), retried };
}

export async function bootCheck(
  ctx: { runner: Runner; log: Log },
  options: BootCheckOptions,
): Promise<BootCheckResult> {
  if (options.settleBySeconds >= options.timeoutSeconds) {
    throw new ConfigurationError(
      `Input boot-timeout: ${options.timeoutSeconds} s must be longer than the settle deadline (${options.settleBySeconds} s of guest uptime)`,
    );
  }
  const { logs, files, vars } = await prepareLogs(options);

  const nonce = newNonce();
  ctx.log.mask(nonce);
  const credentials = runCredentials(options, nonce, options.vsockDaemon !== undefined);
  checkSmbiosBudget(smbiosCredentialArgs(credentials), smbiosCredentialArgs(options.configCredentials ?? []));
  const sockets = await socketDirectory();
  const vsock = options.vsockDaemon
    ? {
        socket: path.join(sockets.dir, 'vhost-user-vsock.sock'),
        udsPath: path.join(sockets.dir, 'vsock.sock'),
      }
    : undefined;
  const credentialFiles = await writeCredentialFiles(credentials).catch(async (error: unknown) => {
    await sockets.remove();
    throw error;
  });
  const tpm = await prepareTpm(options, logs, sockets.dir).catch(async (error: unknown) => {
    await credentialFiles.remove();
    await sockets.remove();
    throw error;
  });
  const args = checkQemuArgs(options, files, vars, credentialFiles.args, vsock?.socket, tpm?.socket);

  const qemu = { command: options.qemu.command, args: [...options.qemu.prefix, ...args] };
  const supervised = vsock && options.vsockDaemon ? supervisedQemu(options.vsockDaemon, vsock, qemu) : qemu;
  const invocation = options.swtpm && tpm ? withSwtpm(options.swtpm, tpm, supervised) : supervised;
  let ran;
  try {
    ran = await runQemuWithRetry(ctx, options, invocation, { logs, files }, vsock, nonce);
  } finally {
    await tpm?.remove();
    await credentialFiles.remove();
    await sockets.remove();
  }
  const { retried, attempt } = ran;
  const { run, durationMs, notifications, started, report, panic, message } = attempt;
  const result = verdict({
    report,
    panic,
    timedOut: run.timedOut,
    timeoutSeconds: options.timeoutSeconds,
    qemuExitCode: run.exitCode,
    allowFailed: options.allowFailed,
    expectedTests: (options.tests ?? []).map((t) => t.name),
    testTimeoutSeconds: options.testTimeoutSeconds,
    vsock: notifications && { message, exitStatus: notifications.exitStatus },
  });

  const kept = { ...files, ...(await keepDetails(logs, result.report)) };
  if (notifications) {
    // What PID 1 and the check said over vsock, one message per line, for the artifacts.
    const lines = notifications.messages.map((m) => `${m.atMs - started} ms ${m.key}=${m.value}\n`);
    await writeFile(path.join(logs, 'vsock-notifications.log'), lines.join(''));
  }
  return {
    verdict: result,
    durationMs,
    readyMs: notifications?.readyAtMs !== undefined ? notifications.readyAtMs - started : undefined,
    exitStatus: notifications?.exitStatus,
    vsockMessage: notifications && (message ? 'received' : 'missing'),
    retried,
    logs: kept,
  };
}
