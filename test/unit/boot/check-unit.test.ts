import { describe, expect, it } from 'vitest';
import { findCheckMessage } from '../../../src/boot/check-message.js';
import { parseReport, type GuestReport } from '../../../src/boot/serial-report.js';
import { verdict, type VerdictInput } from '../../../src/boot/verdict.js';
import { hostUptime, runCheckScript, TEST_NONCE, type GuestRun } from '../../support/fake-guest.js';

/** The report the script wrote, as the host parses it. */
function parsed(run: GuestRun): GuestReport {
  const result = parseReport(run.report, TEST_NONCE);
  if (!result.found) throw new Error(`no report in ${JSON.stringify(run.report)} (stderr: ${run.stderr})`);
  return result.report;
}

/** The host's verdict on what the script sent, over both channels when it sent a vsock message. */
function judge(run: GuestRun, overrides: Partial<VerdictInput> = {}) {
  const messages = run.notify.flatMap((n) =>
    n.args
      .filter((a) => a.includes('='))
      .map((a) => ({ key: a.slice(0, a.indexOf('=')), value: a.slice(a.indexOf('=') + 1) })),
  );
  return verdict({
    report: parseReport(run.report, TEST_NONCE),
    panic: undefined,
    timedOut: false,
    timeoutSeconds: 300,
    qemuExitCode: 0,
    allowFailed: [],
    vsock:
      run.notify.length > 0
        ? { message: findCheckMessage(messages, TEST_NONCE), exitStatus: run.exit }
        : undefined,
    ...overrides,
  });
}

const FAILED = 'planted-fail.service loaded failed failed Planted fault';
const BUS_ERROR = 'Failed to connect to bus: No such file or directory';

// Real processes on a shared machine: seconds, not milliseconds.
describe('the guest check script, run against a fake systemctl', { timeout: 40_000 }, () => {
  it('reports a running system and ends the guest with status 0', () => {
    const run = runCheckScript({});
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.report.startsWith(`\nmkosi-ci-report-begin ${TEST_NONCE}\n`)).toBe(true);
    expect(run.report.endsWith(`mkosi-ci-report-end ${TEST_NONCE}\n`)).toBe(true);
    const report = parsed(run);
    expect(report).toMatchObject({
      state: 'running',
      settled: true,
      failedUnits: [],
      maskedUnits: [],
      errors: [],
      jobs: [],
      exitCode: 0,
      journal: [],
      timings: { kernelMs: 2000, userspaceMs: 7000, totalMs: 9000 },
    });
    expect(report.reportedAt).toBeGreaterThanOrEqual(report.settledAt!);
    expect(run.exit).toBe(0);
    expect(run.calls).not.toContain('systemctl poweroff');
    expect(run.notify).toEqual([]);
    expect(judge(run)).toMatchObject({ result: 'passed', reason: 'the system is running' });
  });

  it.each(['starting', 'stopping', 'maintenance', 'offline', 'unknown', ''])(
    'does not pass state %j: the guest exits 1 and the host names the state',
    (state) => {
      const run = runCheckScript({}, { state, wait: { exit: 1 } });
      expect(parsed(run)).toMatchObject({ state, settled: true, exitCode: 1, errors: [] });
      expect(run.exit).toBe(1);
      const v = judge(run);
      expect(v.result).toMatch(/^(not-running|inconclusive)$/);
      expect(v.reason).toContain(state === '' ? 'empty' : state);
    },
  );

  it('reports that systemctl cannot reach PID 1 instead of finding no failed unit', () => {
    const run = runCheckScript(
      { journal: 'always' },
      {
        wait: { exit: 1, stderr: BUS_ERROR },
        state: '',
        stateStderr: `${BUS_ERROR}\n`,
        listUnitsError: `${BUS_ERROR}\n`,
        showError: 'Failed to get properties: Transport endpoint is not connected\n',
        journalError: 'No journal files were found.\n',
      },
    );
    const report = parsed(run);
    expect(report.errors).toEqual([
      `systemctl is-system-running --wait failed: ${BUS_ERROR}`,
      `systemctl is-system-running failed: ${BUS_ERROR}`,
      'systemctl show failed: Failed to get properties: Transport endpoint is not connected',
      `systemctl list-units failed: ${BUS_ERROR}`,
      'journalctl (crashed processes) failed: No journal files were found.',
      'journalctl failed: No journal files were found.',
      'journalctl -o export failed: No journal files were found.',
    ]);
    expect(report).toMatchObject({ settled: false, state: '', exitCode: 1, failedUnits: [] });
    expect(run.exit).toBe(1);
    expect(judge(run)).toMatchObject({
      result: 'inconclusive',
      reason: expect.stringContaining(
        `the check failed: systemctl is-system-running --wait failed: ${BUS_ERROR}`,
      ),
    });
  });

  it('names the failed units with their status, appends the journal on failure, and exits 1', () => {
    const run = runCheckScript(
      {},
      { state: 'degraded', wait: { exit: 1 }, failed: [[FAILED]], journal: ['a', 'b'] },
    );
    const report = parsed(run);
    expect(report.failedUnits).toEqual([
      {
        name: 'planted-fail.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'Planted fault',
        statusLine: 'failed (Result: exit-code) since boot',
        status: ['x planted-fail.service - Planted', '     Active: failed (Result: exit-code) since boot'],
      },
    ]);
    expect(report.journal).toEqual(['a', 'b']);
    expect(run.calls).toContain('journalctl --boot --no-pager -o short-monotonic');
    expect(run.exit).toBe(1);
    expect(judge(run)).toMatchObject({
      result: 'failed-units',
      reason: expect.stringContaining('planted-fail.service'),
    });
  });

  it('reads list-units lines that start with a bullet, and skips blank ones', () => {
    const run = runCheckScript({}, { state: 'degraded', wait: { exit: 1 }, failed: [[`● ${FAILED}`]] });
    expect(parsed(run).failedUnits.map((u) => [u.name, u.load, u.description])).toEqual([
      ['planted-fail.service', 'loaded', 'Planted fault'],
    ]);
    expect(run.calls).toContain('systemctl status --no-pager --full --lines=10 -- planted-fail.service');
    // The bullet must not hide that a unit is masked or tolerated.
    const masked = runCheckScript(
      { allowFailed: ['flaky'] },
      {
        state: 'degraded',
        wait: { exit: 1 },
        failed: [['● off.service masked failed failed Off', '● flaky.service loaded failed failed Flaky']],
      },
    );
    expect(parsed(masked)).toMatchObject({ maskedUnits: ['off.service'], exitCode: 0 });
    expect(masked.exit).toBe(0);
    const blank = runCheckScript({}, { failed: [['']] });
    expect(parsed(blank)).toMatchObject({ failedUnits: [], exitCode: 0 });
    expect(blank.exit).toBe(0);
  });

  it('exits 1 on every reason the host has to fail the boot, even when the state reads running', () => {
    const cases = {
      'degraded without a failed unit': runCheckScript({}, { state: 'degraded', wait: { exit: 1 } }),
      'a settle timeout': runCheckScript({ settleBySeconds: hostUptime() + 1 }, { wait: 'hang' }),
      'a step that failed': runCheckScript({}, { showError: 'Access denied\n' }),
    };
    for (const [what, run] of Object.entries(cases)) {
      expect(parsed(run).exitCode, what).toBe(1);
      expect(run.exit, what).toBe(1);
      expect(judge(run).result, what).not.toBe('passed');
    }
  });

  it('leaves masked units out, and passes a system degraded only by them', () => {
    const run = runCheckScript(
      {},
      { state: 'degraded', wait: { exit: 1 }, failed: [['off.service masked failed failed Switched off']] },
    );
    expect(parsed(run)).toMatchObject({ failedUnits: [], maskedUnits: ['off.service'], exitCode: 0 });
    expect(run.calls.some((c) => c.startsWith('systemctl status'))).toBe(false);
    expect(run.exit).toBe(0);
    expect(judge(run)).toMatchObject({
      result: 'passed',
      reason: 'the system is degraded; masked: off.service',
    });
  });

  it('exits 0 when every failed unit is tolerated, as the host decides (globs, plain names, escapes)', () => {
    const units = ['flaky.service', 'systemd-pcrlock-x.service', 'dev-disk-by\\x2duuid-1.device'];
    const run = runCheckScript(
      { allowFailed: ['flaky', 'systemd-pcrlock-*', 'dev-disk-by\\x2duuid-?.device'] },
      { state: 'degraded', wait: { exit: 1 }, failed: [units.map((u) => `${u} loaded failed failed X`)] },
    );
    expect(parsed(run).failedUnits.map((u) => u.name)).toEqual(units);
    expect(run.exit).toBe(0);
    const v = judge(run, { allowFailed: ['flaky', 'systemd-pcrlock-*', 'dev-disk-by\\x2duuid-?.device'] });
    expect(v.result).toBe('passed');
    expect(v.allowedUnits.map((u) => u.name)).toEqual(units);
  });

  it('exits 1 when a failed unit is not tolerated: a plain name only means NAME.service, a backslash is literal', () => {
    for (const [allow, unit] of [
      ['flaky', 'flaky.mount'],
      ['dev-disk-by\\x2duuid.device', 'dev-disk-byx2duuid.device'],
      ['a?c.service', 'abbc.service'],
    ] as const) {
      const run = runCheckScript(
        { allowFailed: [allow] },
        { state: 'degraded', wait: { exit: 1 }, failed: [[`${unit} loaded failed failed X`]] },
      );
      expect(run.exit, `${allow} ${unit}`).toBe(1);
      expect(judge(run, { allowFailed: [allow] }).result).toBe('failed-units');
    }
  });

  it('gives up waiting at the settle deadline and names the jobs that hold the boot', () => {
    const run = runCheckScript(
      { settleBySeconds: hostUptime() + 2 },
      { wait: 'hang', state: 'starting', jobs: ['123 planted-hang.service start running'] },
    );
    expect(run.elapsedMs).toBeGreaterThanOrEqual(1500);
    expect(run.elapsedMs).toBeLessThan(15_000);
    expect(parsed(run)).toMatchObject({
      settled: false,
      state: 'starting',
      jobs: ['123 planted-hang.service start running'],
      exitCode: 1,
      journal: ['[    1.000] kernel: Linux version'],
    });
    expect(run.exit).toBe(1);
    expect(judge(run)).toMatchObject({
      result: 'did-not-boot',
      reason: 'the boot did not settle in time (state starting); still queued: planted-hang.service start',
    });
  });

  it('still waits one second when the deadline has already passed', () => {
    const run = runCheckScript({ settleBySeconds: 1 }, { wait: 'hang', state: 'starting' });
    expect(run.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(run.elapsedMs).toBeLessThan(15_000);
    expect(parsed(run)).toMatchObject({ settled: false, jobs: [] });
  });

  it('watches for late failures until one that is not tolerated appears', () => {
    const late = runCheckScript({ watchSeconds: 30 }, { failed: [[], [], [FAILED]], state: 'degraded' });
    const report = parsed(late);
    expect(report.failedUnits.map((u) => u.name)).toEqual(['planted-fail.service']);
    expect(report.watchedSeconds).toBeGreaterThanOrEqual(1);
    // Well before the 30 s: it stopped at the failure (two turns of a second each).
    expect(report.watchedSeconds).toBeLessThan(20);
    expect(late.exit).toBe(1);
    // A tolerated failure does not end the watch: a later one may still come.
    const tolerated = runCheckScript(
      { watchSeconds: 2, allowFailed: ['planted-*'] },
      { failed: [[FAILED]], state: 'degraded' },
    );
    expect(parsed(tolerated).watchedSeconds).toBeGreaterThanOrEqual(2);
    expect(tolerated.exit).toBe(0);
  });

  it('sends its summary with the nonce over vsock when given the notify socket', () => {
    const run = runCheckScript(
      { notifySocket: 'vsock-stream:2:8125', allowFailed: ['flaky'] },
      {
        state: 'degraded',
        wait: { exit: 1 },
        failed: [['flaky.service loaded failed failed F', 'off.service masked failed failed O']],
      },
    );
    expect(run.notify).toEqual([
      {
        socket: 'vsock-stream:2:8125',
        args: [
          '--no-block',
          `X_MKOSI_CI_CHECK=${TEST_NONCE} exit=0 state=degraded settle=done failed=flaky.service masked=off.service crashed= errors=0`,
        ],
      },
    ]);
    // The host passes on the message alone when the serial report is lost.
    const v = judge({ ...run, report: '' }, { allowFailed: ['flaky'] });
    expect(v).toMatchObject({ result: 'passed' });
    expect(v.reason).toContain('the serial report was lost');
    expect(judge(run, { allowFailed: ['flaky'] }).result).toBe('passed');
  });

  it('sends the failing status over vsock too', () => {
    const run = runCheckScript(
      { notifySocket: 'vsock:2:9' },
      { state: 'degraded', wait: { exit: 1 }, failed: [[FAILED]] },
    );
    expect(run.notify.map((n) => [n.socket, ...n.args])).toEqual([
      [
        'vsock:2:9',
        '--no-block',
        `X_MKOSI_CI_CHECK=${TEST_NONCE} exit=1 state=degraded settle=done failed=planted-fail.service masked= crashed= errors=0`,
      ],
    ]);
    expect(judge({ ...run, report: '' })).toMatchObject({ result: 'failed-units' });
  });

  it('reports a vsock message it could not send and exits 1', () => {
    const run = runCheckScript(
      { notifySocket: 'vsock-stream:2:8125' },
      { notifyError: 'Failed to notify init system: Connection refused\n' },
    );
    expect(parsed(run)).toMatchObject({
      exitCode: 1,
      errors: ['systemd-notify failed: Failed to notify init system: Connection refused'],
    });
    expect(run.exit).toBe(1);
  });

  it('follows the journal policy and adds the slowest units when asked', () => {
    expect(parsed(runCheckScript({ journal: 'always' })).journal).toHaveLength(1);
    const never = runCheckScript({ journal: 'never' }, { state: 'maintenance', wait: { exit: 1 } });
    expect(parsed(never).journal).toEqual([]);
    expect(never.calls.some((c) => c.startsWith('journalctl --boot --no-pager -o short'))).toBe(false);
    const blame = runCheckScript(
      { blame: true },
      { blame: Array.from({ length: 12 }, (_, i) => `${12 - i}s u${i}`) },
    );
    expect(parsed(blame).blame).toEqual(Array.from({ length: 10 }, (_, i) => `${12 - i}s u${i}`));
    expect(runCheckScript({}).calls.some((c) => c.startsWith('systemd-analyze'))).toBe(false);
  });

  it('powers off when systemctl exit fails, and only then', () => {
    expect(runCheckScript({}).calls.at(-1)).toBe('systemctl exit 0');
    expect(runCheckScript({}, { exitFails: true }).calls.slice(-2)).toEqual([
      'systemctl exit 0',
      'systemctl poweroff',
    ]);
  });
});
