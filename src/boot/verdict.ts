import { disagreement, reportFromMessage, type CheckMessage } from './check-message.js';
import { describeCrash, distinctCrashes, type Crash } from './crash-scan.js';
import type { BootTimings, FailedUnit, GuestReport, ReportResult } from './serial-report.js';
import { failing, testProblem, testsPassedNote, type TestResult } from './test-results.js';

/**
 * The verdict of a boot check. qemu exits 0 whatever happens in the guest, so a boot passes only on
 * positive evidence that carries this run's nonce: the guest's report, or the check's own message over
 * vsock. Without either, the console log tells a crash (`panicked`) from a guest that never got far
 * enough or shut down before the check ran (`did-not-boot`). systemd's bare `EXIT_STATUS=` can only
 * turn a verdict red: PID 1 sends it on every orderly shutdown, 0 unless told otherwise.
 *
 * - `failed-units`: units failed that `boot-allow-failed` does not tolerate (masked ones never count).
 * - `crashed`: no unit failed, but a process dumped core or was killed by a fault signal during the boot
 *   (a unit that restarted fine hides it from `systemctl --failed`). A crash in a unit that
 *   `boot-allow-failed` tolerates is tolerated too: that unit may fail, and crashing is one way to fail.
 * - `test-failed`: the system was fine, but a `boot-test` failed or timed out (exit 77 skips).
 * - `did-not-boot`: no report, or the boot never settled within its bound (the jobs it waited for named).
 * - `not-running`: the boot settled, but the system is neither running nor degraded by tolerated units.
 * - `panicked`: the console shows a kernel panic or a crash of PID 1.
 * - `inconclusive`: the check reported its own errors, could not read the state, or the evidence
 *   contradicts itself (a cut report, two channels that disagree, a guest that did not power off).
 */
export type BootResult =
  | 'passed'
  | 'failed-units'
  | 'crashed'
  | 'test-failed'
  | 'did-not-boot'
  | 'not-running'
  | 'panicked'
  | 'inconclusive';

export interface Verdict {
  result: BootResult;
  /** Failed units that are not tolerated by `boot-allow-failed`. */
  failedUnits: FailedUnit[];
  /** Failed units that `boot-allow-failed` tolerated. */
  allowedUnits: FailedUnit[];
  /** Crashed processes (one per unit and signal), and those in units `boot-allow-failed` tolerates. */
  crashes: Crash[];
  allowedCrashes: Crash[];
  /** The boot tests that reported, in order, and those of them that failed or timed out. */
  tests: TestResult[];
  failedTests: TestResult[];
  timings: BootTimings;
  /** One line saying why, for the log and the summary. */
  reason: string;
  report: GuestReport | undefined;
}

export interface VerdictInput {
  /** The report framed by this run's nonce, from the report channel. */
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
  /** The boot tests the guest was given: each must report a result for the boot to pass. */
  expectedTests?: readonly string[];
  /** boot-test-timeout, to say what a test that timed out ran out of. */
  testTimeoutSeconds?: number;
  /** What arrived over vsock, when the vsock transport ran. */
  vsock?: {
    /** The check's message with this run's nonce. */
    message: CheckMessage | undefined;
    /** systemd's `EXIT_STATUS=` at shutdown: no proof of anything, only a reason to fail. */
    exitStatus: number | undefined;
  };
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
      const bracket = bracketExpression(glob, i);
      if (bracket) {
        source += bracket.source;
        i = bracket.end;
      } else source += '\\[';
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * The bracket expression opening at `open`, as fnmatch reads it: `!` or `^` first negates, a `]` first
 * (after the negation) is a member, not the end. Undefined when it never closes (the `[` is literal).
 */
function bracketExpression(glob: string, open: number): { source: string; end: number } | undefined {
  const negate = glob[open + 1] === '!' || glob[open + 1] === '^';
  const first = negate ? open + 2 : open + 1;
  const close = glob.indexOf(']', first + 1);
  if (close < 0) return undefined;
  // In a JavaScript class only \, ] and a leading ^ are special: escape them all.
  const members = glob.slice(first, close).replace(/[\\\]^]/g, '\\$&');
  return { source: `[${negate ? '^' : ''}${members}]`, end: close };
}

export function unitAllowed(unit: string, patterns: readonly string[]): boolean {
  // A blank pattern matches no unit name: nothing to filter out.
  return patterns
    .map((p) => p.trim())
    .some((p) => globToRegExp(p).test(unit) || (!p.includes('.') && globToRegExp(`${p}.service`).test(unit)));
}

function describe(units: readonly FailedUnit[]): string {
  return units.map((u) => (u.statusLine ? `${u.name} (${u.statusLine})` : u.name)).join(', ');
}

const NONE = {
  failedUnits: [],
  allowedUnits: [],
  crashes: [],
  allowedCrashes: [],
  tests: [],
  failedTests: [],
  timings: {},
  report: undefined,
};

/** No evidence with the nonce: a crash, a timeout, or a guest that shut down before the check ran. */
function withoutReport(input: VerdictInput, truncated: boolean): Verdict {
  const why = input.timedOut
    ? `no report within the ${input.timeoutSeconds} s timeout`
    : truncated
      ? 'the report was cut short'
      : input.qemuExitCode === 0
        ? 'it powered off or rebooted before the check reported'
        : `qemu exited with status ${input.qemuExitCode} without a report`;
  const exit = input.vsock?.exitStatus;
  const shutdown = exit === undefined ? '' : ` (systemd sent EXIT_STATUS=${exit} over vsock as it shut down)`;
  if (input.panic) {
    return { ...NONE, result: 'panicked', reason: `the guest crashed: ${input.panic} (${why})` };
  }
  return { ...NONE, result: 'did-not-boot', reason: `the guest did not boot: ${why}${shutdown}` };
}

/** What the states the check can report mean, for the reason. */
const STATE_MEANINGS: Readonly<Record<string, string>> = {
  maintenance: 'emergency or rescue mode',
  stopping: 'shutting down',
  offline: 'PID 1 is not systemd',
  starting: 'jobs still queued',
  initializing: 'jobs still queued',
};

/** Red findings about the run rather than the system: each alone makes the evidence unreliable. */
function contradictions(input: VerdictInput, report: GuestReport): string[] {
  const found: string[] = [];
  const message = input.vsock?.message;
  if (input.report.found === false && input.report.truncated) {
    found.push('the serial report was cut short');
  }
  const differ = input.report.found && message ? disagreement(report, message) : undefined;
  if (differ) found.push(`the serial report and the vsock message disagree (${differ})`);
  if (input.timedOut) found.push(`the guest did not power off within the ${input.timeoutSeconds} s timeout`);
  else if (input.qemuExitCode !== 0) found.push(`qemu exited with status ${input.qemuExitCode}`);
  if (report.exitCode === undefined) found.push('the report has no exit status');
  const exit = input.vsock?.exitStatus;
  if (exit !== undefined && exit !== report.exitCode) {
    found.push(`systemd sent EXIT_STATUS=${exit} over vsock, not the check's ${String(report.exitCode)}`);
  }
  return found;
}

/** Why the system's state fails a boot in which nothing failed, if it does. */
function stateProblem(
  report: GuestReport,
  allowedUnits: readonly FailedUnit[],
): { result: BootResult; reason: string } | undefined {
  const state = report.state;
  if (state === 'running') return undefined;
  if (state === 'degraded') {
    if (allowedUnits.length + report.maskedUnits.length > 0) return undefined;
    return { result: 'inconclusive', reason: 'the system is degraded, but the check found no failed unit' };
  }
  if (state === '' || state === 'unknown') {
    return {
      result: 'inconclusive',
      reason: `the check could not read the system state (${state || 'empty'})`,
    };
  }
  const meaning = STATE_MEANINGS[state];
  return {
    result: 'not-running',
    reason: `the system is ${state}${meaning ? ` (${meaning})` : ''}, not running`,
  };
}

/** `123 planted-hang.service start running` → `planted-hang.service start`. */
function describeJobs(jobs: readonly string[]): string {
  return jobs.map((j) => j.trim().split(/\s+/).slice(1, 3).join(' ')).join(', ');
}

export function verdict(input: VerdictInput): Verdict {
  const message = input.vsock?.message;
  if (!input.report.found && !message) return withoutReport(input, input.report.truncated);
  const fromSerial = input.report.found;
  const report = input.report.found ? input.report.report : reportFromMessage(message!);
  const allowedUnits = report.failedUnits.filter((u) => unitAllowed(u.name, input.allowFailed));
  const failedUnits = report.failedUnits.filter((u) => !allowedUnits.includes(u));
  const allCrashes = distinctCrashes(report.crashes);
  // A crash outside any unit (`-`) is never tolerated, as in the guest.
  const allowedCrashes = allCrashes.filter((c) => c.unit !== '-' && unitAllowed(c.unit, input.allowFailed));
  const crashes = allCrashes.filter((c) => !allowedCrashes.includes(c));
  const tests = report.tests;
  const common = {
    allowedUnits,
    failedUnits,
    crashes,
    allowedCrashes,
    tests,
    failedTests: failing(tests),
    timings: report.timings,
    report,
  };
  const red = (result: BootResult, reason: string): Verdict => ({ ...common, result, reason });
  if (input.panic) return red('panicked', `the console shows a crash: ${input.panic}`);
  const crashed = crashes.length > 0 ? `crashed: ${crashes.map(describeCrash).join(', ')}` : '';
  if (failedUnits.length > 0) {
    return red('failed-units', `failed units: ${describe(failedUnits)}${crashed && `; ${crashed}`}`);
  }
  if (crashed) return red('crashed', crashed);
  if (report.errors.length > 0) return red('inconclusive', `the check failed: ${report.errors.join('; ')}`);
  if (!report.settled) {
    const queued = report.jobs.length > 0 ? `; still queued: ${describeJobs(report.jobs)}` : '';
    return red(
      'did-not-boot',
      `the boot did not settle in time (state ${report.state || 'unknown'})${queued}`,
    );
  }
  const problem = stateProblem(report, allowedUnits);
  if (problem) return red(problem.result, problem.reason);
  const contradicted = contradictions(input, report);
  if (contradicted.length > 0) return red('inconclusive', contradicted.join('; '));
  const testsFailed = testProblem(input.expectedTests ?? [], tests, input.testTimeoutSeconds);
  if (testsFailed) return red(testsFailed.result, testsFailed.reason);
  if (report.exitCode !== 0) {
    return red('inconclusive', `the check exited ${report.exitCode} where the host finds nothing wrong`);
  }
  const tolerated = allowedUnits.length > 0 ? `; tolerated: ${describe(allowedUnits)}` : '';
  const masked = report.maskedUnits.length > 0 ? `; masked: ${report.maskedUnits.join(', ')}` : '';
  const toleratedCrashes =
    allowedCrashes.length > 0 ? `; tolerated crash: ${allowedCrashes.map(describeCrash).join(', ')}` : '';
  const source = fromSerial ? '' : " (from the check's vsock message: the serial report was lost)";
  return {
    ...common,
    result: 'passed',
    reason: `the system is ${report.state}${tolerated}${toleratedCrashes}${masked}${testsPassedNote(tests)}${source}`,
  };
}
