import type { BootTimings } from '../boot/serial-report.js';
import type { Verdict } from '../boot/verdict.js';
import type { BootImageResult } from '../boot/boot-image.js';
import { describeMachineSize } from '../boot/machine-size.js';
import { testsMarkdown, testsText } from './boot-tests-summary.js';
import { machineSettingsMarkdown, machineSettingsText } from './machine-settings.js';
import { cell, formatDuration } from './format.js';

const VERDICT_ICONS: Readonly<Record<string, string>> = {
  passed: '✅',
  'failed-units': '❌',
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
  return `${boot.accel.toUpperCase()}, ${boot.firmware}, report over ${boot.transport}${message}, ${formatDuration(boot.check.durationMs)} from qemu's start to its exit`;
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
  lines.push(...testsMarkdown(verdict.tests, boot.logsDir, boot.testTimeoutSeconds));
  if (verdict.result !== 'passed')
    lines.push(`Serial console, journal and unit status are kept in \`${boot.logsDir}\`.`);
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
  const timing = timingLine(verdict.timings);
  if (timing) lines.push(`  boot time: ${timing}`);
  for (const unit of verdict.failedUnits)
    lines.push(`  failed: ${unit.name}${unit.statusLine ? `: ${unit.statusLine}` : ''}`);
  for (const unit of verdict.allowedUnits) lines.push(`  tolerated: ${unit.name}`);
  lines.push(...testsText(verdict.tests, boot.testTimeoutSeconds));
  if (verdict.result !== 'passed') lines.push(`  logs: ${boot.logsDir}`);
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
