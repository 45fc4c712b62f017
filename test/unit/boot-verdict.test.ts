import { describe, expect, it } from 'vitest';
import type { FailedUnit, GuestReport } from '../../src/boot/serial-report.js';
import { globToRegExp, unitAllowed, verdict, type VerdictInput } from '../../src/boot/verdict.js';

function unit(name: string): FailedUnit {
  return {
    name,
    load: 'loaded',
    active: 'failed',
    sub: 'failed',
    description: name,
    statusLine: 'failed (Result: exit-code)',
    status: [],
  };
}

function report(overrides: Partial<GuestReport> = {}): GuestReport {
  return {
    state: 'running',
    settled: true,
    watchedSeconds: 0,
    failedUnits: [],
    timings: { kernelMs: 5000, userspaceMs: 14000, totalMs: 29000 },
    blame: [],
    journal: [],
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

describe('boot verdict', () => {
  it('passes a settled boot without failed units, with its timings', () => {
    const v = verdict(input());
    expect(v).toMatchObject({ result: 'passed', failedUnits: [], timings: { totalMs: 29000 } });
    expect(v.reason).toBe('the system is running');
  });

  it('fails naming each failed unit and its status line', () => {
    const v = verdict(
      input({
        report: { found: true, report: report({ state: 'degraded', failedUnits: [unit('a.service')] }) },
      }),
    );
    expect(v.result).toBe('failed-units');
    expect(v.failedUnits.map((u) => u.name)).toEqual(['a.service']);
    expect(v.reason).toBe('failed units: a.service (failed (Result: exit-code))');
  });

  it('tolerates units matching boot-allow-failed and says so', () => {
    const failed = [unit('systemd-pcrlock-x.service'), unit('foo.mount')];
    const v = verdict(
      input({
        report: { found: true, report: report({ state: 'degraded', failedUnits: failed }) },
        allowFailed: ['systemd-pcrlock-*', 'foo.mount'],
      }),
    );
    expect(v.result).toBe('passed');
    expect(v.allowedUnits.map((u) => u.name)).toEqual(['systemd-pcrlock-x.service', 'foo.mount']);
    expect(v.reason).toContain('tolerated');
  });

  it('calls a boot that never settled did-not-boot', () => {
    const v = verdict(
      input({ report: { found: true, report: report({ settled: false, state: 'starting' }) } }),
    );
    expect(v.result).toBe('did-not-boot');
  });

  it('calls a timeout without a report did-not-boot, and a crash panicked', () => {
    const none = { found: false, truncated: false } as const;
    expect(verdict(input({ report: none, timedOut: true })).reason).toBe(
      'the guest did not boot: no report within the 300 s timeout',
    );
    const v = verdict(input({ report: none, panic: 'Kernel panic - not syncing: Attempted to kill init!' }));
    expect(v.result).toBe('panicked');
    expect(v.reason).toContain('Attempted to kill init');
  });

  it('takes the vsock exit status as the verdict when the serial report is lost', () => {
    const lost = { found: false as const, truncated: false };
    expect(verdict(input({ report: lost, exitStatus: 0 })).result).toBe('passed');
    expect(verdict(input({ report: lost, exitStatus: 1 }))).toMatchObject({
      result: 'failed-units',
      reason: expect.stringContaining('EXIT_STATUS=1 over vsock'),
    });
  });

  it('fails when vsock says failure although the report names no failed unit', () => {
    expect(verdict(input({ exitStatus: 1 })).result).toBe('failed-units');
    // Tolerated units make the guest exit 1 too: the guest does not know boot-allow-failed.
    const tolerated = input({
      report: { found: true, report: report({ failedUnits: [unit('flaky.service')] }) },
      allowFailed: ['flaky'],
      exitStatus: 1,
    });
    expect(verdict(tolerated).result).toBe('passed');
  });

  it('matches unit globs like systemctl', () => {
    expect(globToRegExp('systemd-*.service').test('systemd-foo.service')).toBe(true);
    expect(globToRegExp('foo?.service').test('foo1.service')).toBe(true);
    expect(globToRegExp('foo[0-9].service').test('foo7.service')).toBe(true);
    expect(globToRegExp('foo[!0-9].service').test('foo7.service')).toBe(false);
    expect(globToRegExp('a.service').test('aXservice')).toBe(false);
    expect(unitAllowed('foo.service', ['foo'])).toBe(true);
    expect(unitAllowed('foo.mount', ['foo'])).toBe(false);
    expect(unitAllowed('foo.service', ['', 'bar*'])).toBe(false);
  });
});
