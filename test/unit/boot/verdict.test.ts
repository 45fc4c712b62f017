import { describe, expect, it } from 'vitest';
import type { CheckMessage } from '../../../src/boot/check-message.js';
import type { FailedUnit, GuestReport } from '../../../src/boot/serial-report.js';
import { globToRegExp, unitAllowed, verdict, type VerdictInput } from '../../../src/boot/verdict.js';

function unit(name: string): FailedUnit {
  const statusLine = 'failed (Result: exit-code)';
  return { name, load: 'loaded', active: 'failed', sub: 'failed', description: name, statusLine, status: [] };
}

function report(overrides: Partial<GuestReport> = {}): GuestReport {
  return {
    state: 'running',
    settled: true,
    watchedSeconds: 0,
    failedUnits: [],
    maskedUnits: [],
    crashes: [],
    jobs: [],
    errors: [],
    exitCode: 0,
    timings: { kernelMs: 5000, userspaceMs: 14000, totalMs: 29000 },
    blame: [],
    journal: [],
    journalExport: '',
    tests: [],
    ...overrides,
  };
}

function message(overrides: Partial<CheckMessage> = {}): CheckMessage {
  return {
    exitCode: 0,
    state: 'running',
    settled: true,
    failed: [],
    masked: [],
    crashed: [],
    errors: 0,
    tests: [],
    ...overrides,
  };
}

function input(overrides: Partial<VerdictInput> = {}): VerdictInput {
  return {
    report: { found: true, report: report() },
    panic: undefined,
    timedOut: false,
    timeoutSeconds: 300,
    qemuExitCode: 0,
    allowFailed: [],
    ...overrides,
  };
}

const found = (overrides: Partial<GuestReport> = {}) => ({ found: true as const, report: report(overrides) });
const lost = { found: false as const, truncated: false };
const cut = { found: false as const, truncated: true };

describe('boot verdict from the report', () => {
  it('passes a settled, running boot without failed units, with its timings', () => {
    const v = verdict(input());
    expect(v).toMatchObject({
      result: 'passed',
      failedUnits: [],
      allowedUnits: [],
      timings: { totalMs: 29000 },
    });
    expect(v.reason).toBe('the system is running');
    expect(v.report?.state).toBe('running');
  });

  it('fails naming each failed unit and its status line', () => {
    const v = verdict(
      input({
        report: found({
          state: 'degraded',
          exitCode: 1,
          failedUnits: [unit('a.service'), { ...unit('b.mount'), statusLine: undefined }],
        }),
      }),
    );
    expect(v.result).toBe('failed-units');
    expect(v.failedUnits.map((u) => u.name)).toEqual(['a.service', 'b.mount']);
    expect(v.reason).toBe('failed units: a.service (failed (Result: exit-code)), b.mount');
  });

  it('passes a boot degraded only by units boot-allow-failed tolerates, and says which', () => {
    const failed = [unit('systemd-pcrlock-x.service'), unit('foo.mount')];
    const v = verdict(
      input({
        report: found({ state: 'degraded', failedUnits: failed }),
        allowFailed: ['systemd-pcrlock-*', 'foo.mount'],
      }),
    );
    expect(v.result).toBe('passed');
    expect(v.allowedUnits.map((u) => u.name)).toEqual(['systemd-pcrlock-x.service', 'foo.mount']);
    expect(v.failedUnits).toEqual([]);
    expect(v.reason).toBe(
      'the system is degraded; tolerated: systemd-pcrlock-x.service (failed (Result: exit-code)), foo.mount (failed (Result: exit-code))',
    );
  });

  it('passes a boot degraded only by masked units, and names them', () => {
    const v = verdict(input({ report: found({ state: 'degraded', maskedUnits: ['off.service'] }) }));
    expect(v).toMatchObject({ result: 'passed', reason: 'the system is degraded; masked: off.service' });
  });

  it('does not pass a degraded system whose failed units it could not name', () => {
    expect(verdict(input({ report: found({ state: 'degraded' }) }))).toMatchObject({
      result: 'inconclusive',
      reason: 'the system is degraded, but the check found no failed unit',
    });
  });

  it.each([
    ['maintenance', 'the system is maintenance (emergency or rescue mode), not running'],
    ['stopping', 'the system is stopping (shutting down), not running'],
    ['offline', 'the system is offline (PID 1 is not systemd), not running'],
    ['starting', 'the system is starting (jobs still queued), not running'],
    ['initializing', 'the system is initializing (jobs still queued), not running'],
    ['bogus', 'the system is bogus, not running'],
  ])('calls a settled boot in state %s not-running, naming the state', (state, reason) => {
    const v = verdict(input({ report: found({ state, exitCode: 1 }) }));
    expect(v).toMatchObject({ result: 'not-running', reason });
  });

  it.each([
    ['unknown', 'the check could not read the system state (unknown)'],
    ['', 'the check could not read the system state (empty)'],
  ])('calls a state of %j inconclusive', (state, reason) => {
    expect(verdict(input({ report: found({ state, exitCode: 1 }) }))).toMatchObject({
      result: 'inconclusive',
      reason,
    });
  });

  it('calls a boot that never settled did-not-boot, naming what it still waited for', () => {
    const v = verdict(
      input({
        report: found({
          settled: false,
          state: 'starting',
          exitCode: 1,
          jobs: ['123 planted-hang.service start running', '  7 multi-user.target start waiting'],
        }),
      }),
    );
    expect(v).toMatchObject({
      result: 'did-not-boot',
      reason:
        'the boot did not settle in time (state starting); still queued: planted-hang.service start, multi-user.target start',
    });
    expect(verdict(input({ report: found({ settled: false, state: '', exitCode: 1 }) })).reason).toBe(
      'the boot did not settle in time (state unknown)',
    );
  });

  it('joins several errors, contradictions, masked units and jobs readably', () => {
    expect(verdict(input({ report: found({ errors: ['a failed', 'b failed'] }) })).reason).toBe(
      'the check failed: a failed; b failed',
    );
    expect(verdict(input({ report: found({ exitCode: undefined }), qemuExitCode: 2 })).reason).toBe(
      'qemu exited with status 2; the report has no exit status',
    );
    expect(
      verdict(input({ report: found({ state: 'degraded', maskedUnits: ['a.service', 'b.mount'] }) })).reason,
    ).toBe('the system is degraded; masked: a.service, b.mount');
    // systemctl list-jobs --plain pads its columns.
    const jobs = ['  42 planted-hang.service    start running', '7 x.target   start waiting'];
    expect(verdict(input({ report: found({ settled: false, state: 'starting', jobs }) })).reason).toBe(
      'the boot did not settle in time (state starting); still queued: planted-hang.service start, x.target start',
    );
  });

  it("reports the check's own errors instead of passing", () => {
    const errors = ['systemctl list-units failed: Failed to connect to bus: No such file or directory'];
    expect(verdict(input({ report: found({ errors, exitCode: 1 }) }))).toMatchObject({
      result: 'inconclusive',
      reason: `the check failed: ${errors[0]}`,
    });
    // A failed unit stays the finding even when another step failed too.
    expect(verdict(input({ report: found({ errors, failedUnits: [unit('x.service')] }) })).result).toBe(
      'failed-units',
    );
  });

  it('does not pass a report without the exit status, or whose check exited non-zero', () => {
    expect(verdict(input({ report: found({ exitCode: undefined }) }))).toMatchObject({
      result: 'inconclusive',
      reason: 'the report has no exit status',
    });
    expect(verdict(input({ report: found({ exitCode: 1 }) }))).toMatchObject({
      result: 'inconclusive',
      reason: 'the check exited 1 where the host finds nothing wrong',
    });
  });

  it('does not pass a boot that reported but did not power off, or after which qemu failed', () => {
    expect(verdict(input({ timedOut: true }))).toMatchObject({
      result: 'inconclusive',
      reason: 'the guest did not power off within the 300 s timeout',
    });
    expect(verdict(input({ qemuExitCode: 1 }))).toMatchObject({
      result: 'inconclusive',
      reason: 'qemu exited with status 1',
    });
  });

  it('calls a crash on the console panicked even after a report', () => {
    expect(verdict(input({ panic: 'systemd[1]: Caught <SEGV>, dumped core as pid 99.' }))).toMatchObject({
      result: 'panicked',
      reason: 'the console shows a crash: systemd[1]: Caught <SEGV>, dumped core as pid 99.',
    });
  });
});

describe('boot verdict without a report', () => {
  it('calls a timeout did-not-boot, a cut report did-not-boot and a crash panicked', () => {
    expect(verdict(input({ report: lost, timedOut: true }))).toEqual({
      result: 'did-not-boot',
      reason: 'the guest did not boot: no report within the 300 s timeout',
      report: undefined,
      failedUnits: [],
      allowedUnits: [],
      crashes: [],
      allowedCrashes: [],
      tests: [],
      failedTests: [],
      timings: {},
    });
    expect(verdict(input({ report: cut })).reason).toBe('the guest did not boot: the report was cut short');
    const v = verdict(input({ report: lost, panic: 'Kernel panic - not syncing: Attempted to kill init!' }));
    expect(v).toMatchObject({
      result: 'panicked',
      reason:
        'the guest crashed: Kernel panic - not syncing: Attempted to kill init! (it powered off or rebooted before the check reported)',
    });
  });

  it('says the guest shut down before the check reported, and what qemu said otherwise', () => {
    expect(verdict(input({ report: lost })).reason).toBe(
      'the guest did not boot: it powered off or rebooted before the check reported',
    );
    expect(verdict(input({ report: lost, qemuExitCode: 1 })).reason).toBe(
      'the guest did not boot: qemu exited with status 1 without a report',
    );
  });

  it('never passes on a bare EXIT_STATUS=0: systemd sends it on every orderly shutdown', () => {
    const v = verdict(input({ report: lost, vsock: { message: undefined, exitStatus: 0 } }));
    expect(v).toMatchObject({
      result: 'did-not-boot',
      reason:
        'the guest did not boot: it powered off or rebooted before the check reported (systemd sent EXIT_STATUS=0 over vsock as it shut down)',
    });
    expect(
      verdict(input({ report: cut, timedOut: true, vsock: { message: undefined, exitStatus: 0 } })).result,
    ).toBe('did-not-boot');
    expect(
      verdict(input({ report: lost, panic: 'Kernel panic', vsock: { message: undefined, exitStatus: 0 } }))
        .result,
    ).toBe('panicked');
  });
});

describe("boot verdict with the check's vsock message", () => {
  it('passes on the message with the nonce when the serial report is lost, and says so', () => {
    const v = verdict(input({ report: lost, vsock: { message: message(), exitStatus: 0 } }));
    expect(v).toMatchObject({
      result: 'passed',
      reason: "the system is running (from the check's vsock message: the serial report was lost)",
    });
  });

  it('judges the message like a report: failed, tolerated and masked units, state, errors, settle', () => {
    const vsock = (m: Partial<CheckMessage>) => ({ message: message(m), exitStatus: 1 });
    const failed = verdict(
      input({ report: lost, vsock: vsock({ state: 'degraded', exitCode: 1, failed: ['a.service'] }) }),
    );
    expect(failed).toMatchObject({ result: 'failed-units', reason: 'failed units: a.service' });
    const tolerated = verdict(
      input({
        report: lost,
        allowFailed: ['a'],
        vsock: {
          message: message({ state: 'degraded', failed: ['a.service'], masked: ['m.service'] }),
          exitStatus: 0,
        },
      }),
    );
    expect(tolerated.result).toBe('passed');
    expect(tolerated.reason).toContain('tolerated: a.service; masked: m.service');
    expect(verdict(input({ report: lost, vsock: vsock({ errors: 2, exitCode: 1 }) })).reason).toBe(
      'the check failed: 2 step(s) of the check failed (their output was in the lost serial report)',
    );
    expect(verdict(input({ report: lost, vsock: vsock({ errors: undefined }) })).result).toBe('inconclusive');
    expect(verdict(input({ report: lost, vsock: vsock({ settled: false, exitCode: 1 }) })).result).toBe(
      'did-not-boot',
    );
    expect(verdict(input({ report: lost, vsock: vsock({ state: 'maintenance', exitCode: 1 }) })).result).toBe(
      'not-running',
    );
  });

  it('does not pass on the message when the serial report was cut short or the guest hung', () => {
    expect(verdict(input({ report: cut, vsock: { message: message(), exitStatus: 0 } }))).toMatchObject({
      result: 'inconclusive',
      reason: 'the serial report was cut short',
    });
    expect(
      verdict(input({ report: lost, timedOut: true, vsock: { message: message(), exitStatus: undefined } }))
        .result,
    ).toBe('inconclusive');
  });

  it('does not pass when the report and the message disagree', () => {
    const v = verdict(input({ vsock: { message: message({ state: 'degraded' }), exitStatus: 0 } }));
    expect(v).toMatchObject({
      result: 'inconclusive',
      reason:
        'the serial report and the vsock message disagree (state: running in the report, degraded over vsock)',
    });
    expect(verdict(input({ vsock: { message: message(), exitStatus: 0 } })).result).toBe('passed');
  });

  it('turns red on an EXIT_STATUS other than the one the check chose, never green', () => {
    expect(verdict(input({ vsock: { message: undefined, exitStatus: 3 } }))).toMatchObject({
      result: 'inconclusive',
      reason: "systemd sent EXIT_STATUS=3 over vsock, not the check's 0",
    });
    // EXIT_STATUS may never arrive (it is sent late in the shutdown): its absence is no failure.
    expect(verdict(input({ vsock: { message: message(), exitStatus: undefined } })).result).toBe('passed');
    // Tolerated units no longer make the guest exit 1, so its EXIT_STATUS agrees with the verdict.
    const tolerated = input({
      report: found({ state: 'degraded', failedUnits: [unit('flaky.service')] }),
      allowFailed: ['flaky'],
      vsock: { message: message({ state: 'degraded', failed: ['flaky.service'] }), exitStatus: 0 },
    });
    expect(verdict(tolerated).result).toBe('passed');
  });
});

describe('unit globs', () => {
  it('matches unit globs like systemctl', () => {
    expect(globToRegExp('systemd-*.service').test('systemd-foo.service')).toBe(true);
    expect(globToRegExp('foo?.service').test('foo1.service')).toBe(true);
    expect(globToRegExp('foo?.service').test('foo.service')).toBe(false);
    expect(globToRegExp('foo[0-9].service').test('foo7.service')).toBe(true);
    expect(globToRegExp('foo[0-9].service').test('fooa.service')).toBe(false);
    expect(globToRegExp('foo[!0-9].service').test('foo7.service')).toBe(false);
    expect(globToRegExp('foo[!0-9].service').test('fooa.service')).toBe(true);
    expect(globToRegExp('foo[.service').test('foo[.service')).toBe(true);
    expect(globToRegExp('a.service').test('aXservice')).toBe(false);
    expect(globToRegExp('a.service').test('xa.service')).toBe(false);
    expect(globToRegExp('a.service').test('a.servicex')).toBe(false);
    expect(globToRegExp('dev-disk-by\\x2duuid.device').test('dev-disk-by\\x2duuid.device')).toBe(true);
    expect(unitAllowed('foo.service', ['foo'])).toBe(true);
    expect(unitAllowed('foo.service', [' foo '])).toBe(true);
    expect(unitAllowed('foo.mount', ['foo'])).toBe(false);
    expect(unitAllowed('foo.service', ['', 'bar*'])).toBe(false);
    expect(unitAllowed('foo.service', ['fo*'])).toBe(true);
  });

  it('reads brackets as fnmatch does: a class, ! negates only first, a leading ] is literal', () => {
    expect(globToRegExp('a]b[c').test('a]b[c')).toBe(true);
    expect(globToRegExp('x[]y]').test('x]')).toBe(true);
    expect(globToRegExp('x[]y]').test('xy')).toBe(true);
    expect(globToRegExp('x[!]y]').test('xa')).toBe(true);
    expect(globToRegExp('x[!]y]').test('x]')).toBe(false);
    expect(globToRegExp('x[!]y]').test('xy')).toBe(false);
    expect(globToRegExp('x[^a]').test('xb')).toBe(true);
    expect(globToRegExp('x[^a]').test('xa')).toBe(false);
    expect(globToRegExp('x[a^]').test('x^')).toBe(true);
    expect(globToRegExp('x[a!]').test('x!')).toBe(true);
    expect(globToRegExp('x[a!]').test('x^')).toBe(false);
    expect(globToRegExp('x[!]').test('x!')).toBe(false);
    expect(globToRegExp('x[!]').test('x[!]')).toBe(true);
    expect(globToRegExp('x[\\y]').test('x\\')).toBe(true);
    expect(globToRegExp('x[\\y]').test('xy')).toBe(true);
  });
});
