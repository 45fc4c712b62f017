import type { BootTimings, FailedUnit, GuestReport, ReportResult } from './serial-report.js';

/**
 * The verdict of a boot check. qemu exits 0 whatever happens in the guest, so the verdict comes from the
 * guest's report; without one, the console log tells a crash (`panicked`) from a guest that never got
 * far enough (`did-not-boot`).
 */
export type BootResult = 'passed' | 'failed-units' | 'did-not-boot' | 'panicked';

export interface Verdict {
  result: BootResult;
  /** Failed units that are not tolerated by `boot-allow-failed`. */
  failedUnits: FailedUnit[];
  /** Failed units that `boot-allow-failed` tolerated. */
  allowedUnits: FailedUnit[];
  timings: BootTimings;
  /** One line saying why, for the log and the summary. */
  reason: string;
  report: GuestReport | undefined;
}

export interface VerdictInput {
  report: ReportResult;
  /** The line of the console log that shows a crash (see `findPanic`). */
  panic: string | undefined;
  /** qemu was killed by the boot timeout. */
  timedOut: boolean;
  timeoutSeconds: number;
  /** qemu's own exit status (not the guest's). */
  qemuExitCode: number;
  /** `boot-allow-failed`: unit name globs whose failure is tolerated. */
  allowFailed: readonly string[];
  /** The guest's EXIT_STATUS= over vsock (the check's `systemctl exit`), when the vsock transport ran. */
  exitStatus?: number;
}

/**
 * A unit glob as systemctl understands them (fnmatch: `*`, `?`, `[…]`), anchored. A pattern without a
 * unit type suffix also matches `.service` units, as systemctl does with plain names.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function unitAllowed(unit: string, patterns: readonly string[]): boolean {
  return patterns
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .some((p) => globToRegExp(p).test(unit) || (!p.includes('.') && globToRegExp(`${p}.service`).test(unit)));
}

function describe(units: readonly FailedUnit[]): string {
  return units.map((u) => (u.statusLine ? `${u.name} (${u.statusLine})` : u.name)).join(', ');
}

export function verdict(input: VerdictInput): Verdict {
  const base = { failedUnits: [], allowedUnits: [], timings: {}, report: undefined };
  if (!input.report.found && input.exitStatus !== undefined) {
    // Over vsock the exit status is the verdict; only the details went missing with the report.
    return input.exitStatus === 0
      ? {
          ...base,
          result: 'passed',
          reason: 'the guest reported EXIT_STATUS=0 over vsock (its serial report was lost)',
        }
      : {
          ...base,
          result: 'failed-units',
          reason: `the guest reported EXIT_STATUS=${input.exitStatus} over vsock (its serial report with the unit names was lost)`,
        };
  }
  if (!input.report.found) {
    const why = input.timedOut
      ? `no report within the ${input.timeoutSeconds} s timeout`
      : input.report.truncated
        ? 'the report was cut short'
        : `qemu exited (status ${input.qemuExitCode}) without a report`;
    if (input.panic)
      return { ...base, result: 'panicked', reason: `the guest crashed: ${input.panic} (${why})` };
    return { ...base, result: 'did-not-boot', reason: `the guest did not boot: ${why}` };
  }
  const report = input.report.report;
  const allowedUnits = report.failedUnits.filter((u) => unitAllowed(u.name, input.allowFailed));
  const failedUnits = report.failedUnits.filter((u) => !allowedUnits.includes(u));
  const common = { allowedUnits, failedUnits, timings: report.timings, report };
  if (failedUnits.length > 0) {
    return { ...common, result: 'failed-units', reason: `failed units: ${describe(failedUnits)}` };
  }
  if (!report.settled) {
    // Nothing failed but jobs were still queued when the check gave up waiting: a hanging unit.
    return {
      ...common,
      result: 'did-not-boot',
      reason: `the boot did not finish within the settle bound (state ${report.state})`,
    };
  }
  if (input.exitStatus !== undefined && input.exitStatus !== 0 && report.failedUnits.length === 0) {
    // The two channels disagree: trust the failure, never a pass that only one of them claims.
    return {
      ...common,
      result: 'failed-units',
      reason: `the guest reported EXIT_STATUS=${input.exitStatus} over vsock although its report names no failed unit`,
    };
  }
  const tolerated = allowedUnits.length > 0 ? ` (tolerated: ${describe(allowedUnits)})` : '';
  return { ...common, result: 'passed', reason: `the system is ${report.state}${tolerated}` };
}
