import type { BootTimings } from '../boot/serial-report.js';
import type { Verdict } from '../boot/verdict.js';
import type { BootImageResult } from '../boot/boot-image.js';
import { describeMachineSize } from '../boot/machine-size.js';
import { describeCrash } from '../boot/crash-scan.js';
import { testsMarkdown, testsText } from './boot-tests-summary.js';
import { machineSettingsMarkdown, machineSettingsText } from './machine-settings.js';
import { cell, formatDuration } from './format.js';

const VERDICT_ICONS: Readonly<Record<string, string>> = {
  passed: '✅',
  'failed-units': '❌',
  crashed: '❌',
  'test-failed': '❌',
  'did-not-boot': '❌',
  'not-running': '❌',
  inconclusive: '❌',
  panicked: '💥',
};

/** "kernel 5.6s + initrd 9.8s + userspace 13.9s = 29.3s", from the guest's own timestamps. */
export function timingLine(timings: BootTimings): string | undefined {
  const parts = (
    [
      ['firmware', timings.firmwareMs],
      ['loader', timings.loaderMs],
      ['kernel', timings.kernelMs],
      ['initrd', timings.initrdMs],
      ['userspace', timings.userspaceMs],
    ] as const
  )
    .filter(([, ms]) => ms !== undefined && ms > 0)
    .map(([name, ms]) => `${name} ${formatDuration(ms!)}`);
  if (parts.length === 0) return undefined;
  return timings.totalMs ? `${parts.join(' + ')} = ${formatDuration(timings.totalMs)}` : parts.join(' + ');
}

function how(boot: BootImageResult): string {
  const message = boot.check.vsockMessage ? ` (check message ${boot.check.vsockMessage})` : '';
  // The accelerator's own default CPU model goes without saying; another one was chosen for a reason.
  const cpu = ['host', 'max'].includes(boot.cpuModel) ? '' : ` (-cpu ${boot.cpuModel})`;
  return `${boot.accel.toUpperCase()}${cpu}, ${boot.firmware}, report over ${boot.transport}${message}, ${formatDuration(boot.check.durationMs)} from qemu's start to its exit`;
}

/** Said when the first qemu died on the host's side and the verdict is the second run's. */
function retriedLine(boot: BootImageResult): string | undefined {
  const why = boot.check.retried;
  return (
    why &&
    `qemu died on the host's side (${why}); the check started it once more: this verdict is the second run's.`
  );
}

/**
 * How to read the journal kept in export format: journalctl reads journal files, not the export stream,
 * so systemd-journal-remote (Debian's package of that name) turns it into one first.
 */
export function journalExportReading(file: string): string {
  return `/usr/lib/systemd/systemd-journal-remote --output=boot.journal ${file} && journalctl --file=boot.journal`;
}

/** The boot check's part of the job summary. */
export function bootMarkdown(boot: BootImageResult): string[] {
  const verdict = boot.check.verdict;
  const lines = [
    `### ${VERDICT_ICONS[verdict.result] ?? ''} Boot check: ${verdict.result}`,
    '',
    `${cell(verdict.reason)} (${how(boot)})`,
    '',
    ...machineSettingsMarkdown(boot.machine),
  ];
  const retried = retriedLine(boot);
  if (retried) lines.push(`⚠️ ${cell(retried)}`, '');
  const timing = timingLine(verdict.timings);
  if (timing) lines.push(`Boot time: ${timing}`, '');
  const units = [
    ...verdict.failedUnits.map((u) => ({ ...u, tolerated: false })),
    ...verdict.allowedUnits.map((u) => ({ ...u, tolerated: true })),
  ];
  if (units.length > 0) {
    lines.push('| Unit | Status | Tolerated |', '| --- | --- | --- |');
    for (const unit of units) {
      lines.push(
        `| \`${cell(unit.name)}\` | ${cell(unit.statusLine ?? `${unit.active} ${unit.sub}`)} | ${unit.tolerated ? 'yes' : 'no'} |`,
      );
    }
    lines.push('');
  }
  const crashes = [
    ...verdict.crashes.map((c) => `- 💥 ${cell(describeCrash(c))}`),
    ...verdict.allowedCrashes.map((c) => `- ${cell(describeCrash(c))} (tolerated)`),
  ];
  if (crashes.length > 0) lines.push('Crashed processes:', '', ...crashes, '');
  lines.push(...testsMarkdown(verdict.tests, boot.logsDir, boot.testTimeoutSeconds));
  if (verdict.result !== 'passed')
    lines.push(`Serial console, journal and unit status are kept in \`${boot.logsDir}\`.`);
  const exported = boot.check.logs.journalExport;
  if (exported) {
    lines.push(
      '',
      `The journal in export format is \`${exported}\`; to read it: \`${journalExportReading(exported)}\``,
    );
  }
  return lines;
}

export function bootText(boot: BootImageResult): string[] {
  const verdict = boot.check.verdict;
  const lines = [
    `boot check: ${verdict.result}: ${verdict.reason}`,
    `  ${how(boot)}`,
    `  guest: ${describeMachineSize(boot.machine.size)}`,
    ...machineSettingsText(boot.machine),
  ];
  const retried = retriedLine(boot);
  if (retried) lines.push(`  retried: ${retried}`);
  const timing = timingLine(verdict.timings);
  if (timing) lines.push(`  boot time: ${timing}`);
  for (const unit of verdict.failedUnits)
    lines.push(`  failed: ${unit.name}${unit.statusLine ? `: ${unit.statusLine}` : ''}`);
  for (const unit of verdict.allowedUnits) lines.push(`  tolerated: ${unit.name}`);
  for (const crash of verdict.crashes) lines.push(`  crashed: ${describeCrash(crash)}`);
  for (const crash of verdict.allowedCrashes) lines.push(`  tolerated crash: ${describeCrash(crash)}`);
  lines.push(...testsText(verdict.tests, boot.testTimeoutSeconds));
  if (verdict.result !== 'passed') lines.push(`  logs: ${boot.logsDir}`);
  const exported = boot.check.logs.journalExport;
  if (exported)
    lines.push(`  journal (export format): ${exported}; read it with: ${journalExportReading(exported)}`);
  return lines;
}

/**
 * The `boot-result` output: the verdict; `error` when the boot stage failed before it had one (the job
 * is red, so the output must not say the check was skipped); `skipped` when nothing was booted.
 */
export function bootResultOutput(verdict: Verdict | undefined, failedStage: string | undefined): string {
  if (verdict) return verdict.result;
  return failedStage === 'boot' ? 'error' : 'skipped';
}

/** The `failed-units` output: the units that failed the check, with their status line. */
export function failedUnitRecords(verdict: Verdict | undefined): { unit: string; status: string | null }[] {
  return (verdict?.failedUnits ?? []).map((u) => ({ unit: u.name, status: u.statusLine ?? null }));
}
