import { describe, expect, it } from 'vitest';
import { disagreement, findCheckMessage, reportFromMessage } from '../../../src/boot/check-message.js';
import {
  COREDUMP_MESSAGE,
  crashList,
  describeCrash,
  distinctCrashes,
  isCrash,
  parseCrashLine,
  parseCrashList,
  signalName,
  UNIT_PROCESS_EXIT_MESSAGE,
  type Crash,
} from '../../../src/boot/crash-scan.js';
import { parseReport, parseReportLines } from '../../../src/boot/serial-report.js';
import { verdict } from '../../../src/boot/verdict.js';
import { runCheckScript, TEST_NONCE, type GuestRun } from '../../support/fake-guest.js';

const segv = (overrides: Partial<Crash> = {}): Crash => ({
  unit: 'planted-crash.service',
  executable: '/bin/sh',
  signal: 11,
  kind: 'dumped',
  ...overrides,
});

describe('crashed processes, host side', () => {
  it('counts core dumps and the fault signals, not the signals units are stopped with', () => {
    expect(isCrash('dumped', 3)).toBe(true);
    expect(isCrash('coredump', 6)).toBe(true);
    for (const signal of [4, 5, 6, 7, 8, 11, 31]) expect(isCrash('killed', signal)).toBe(true);
    for (const signal of [1, 2, 3, 9, 13, 15, 24]) expect(isCrash('killed', signal)).toBe(false);
    expect(isCrash('exited', 11)).toBe(false);
    expect(isCrash('killed', Number.NaN)).toBe(false);
  });

  it('names the signals', () => {
    expect(signalName(11)).toBe('SIGSEGV');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(3)).toBe('signal 3');
  });

  it('reads report lines, with spaces in the executable, and drops what is not a crash or unreadable', () => {
    expect(parseCrashLine('planted-crash.service 11 dumped /bin/sh')).toEqual(segv());
    expect(parseCrashLine('- 6 coredump /opt/my app/bin')).toEqual(
      segv({ unit: '-', signal: 6, kind: 'coredump', executable: '/opt/my app/bin' }),
    );
    expect(parseCrashLine('a.service 15 killed /bin/sleep')).toBeUndefined();
    expect(parseCrashLine('a.service x dumped /bin/sh')).toBeUndefined();
    expect(parseCrashLine('a.service 11 dumped')).toBeUndefined();
    expect(parseCrashLine(' a.service 11 dumped /bin/sh')).toBeUndefined();
  });

  it("keeps one crash per unit and signal, preferring systemd-coredump's executable", () => {
    const exit = segv();
    const dump = segv({ kind: 'coredump', executable: '/usr/bin/dash' });
    expect(distinctCrashes([exit, dump])).toEqual([dump]);
    expect(distinctCrashes([dump, exit])).toEqual([dump]);
    expect(distinctCrashes([exit, segv({ executable: '/bin/other' })])).toEqual([exit]);
    expect(distinctCrashes([dump, segv({ kind: 'coredump', executable: '/bin/other' })])).toEqual([dump]);
    expect(distinctCrashes([exit, segv({ signal: 6 }), segv({ unit: 'b.service' })])).toHaveLength(3);
  });

  it('describes a crash with its unit, executable and signal', () => {
    expect(describeCrash(segv())).toBe('planted-crash.service: /bin/sh killed by SIGSEGV (core dumped)');
    expect(describeCrash(segv({ kind: 'killed', unit: '-', signal: 7 }))).toBe(
      'no unit: /bin/sh killed by SIGBUS',
    );
    expect(describeCrash(segv({ kind: 'coredump' }))).toContain('(core dumped)');
  });

  it('are read from the report, a line that is no crash or unreadable dropped', () => {
    const report = parseReportLines([
      'crash planted-crash.service 11 killed /bin/sh (ExecStart)',
      'crash a.service 15 killed /bin/sleep (ExecStart)',
      'crash garbage',
      'state running',
    ]);
    expect(report.crashes).toEqual([segv({ kind: 'killed', executable: '/bin/sh (ExecStart)' })]);
  });

  it('are all named when tolerated, separated by commas', () => {
    const report = parseReportLines([
      'crash a.service 11 killed /bin/a',
      'crash b.service 6 dumped /bin/b',
      'state running',
      'settle done',
      'exit 0',
    ]);
    const v = verdict({
      report: { found: true, report },
      panic: undefined,
      timedOut: false,
      timeoutSeconds: 300,
      qemuExitCode: 0,
      allowFailed: ['a', 'b'],
    });
    expect(v.reason).toBe(
      'the system is running; tolerated crash: a.service: /bin/a killed by SIGSEGV, b.service: /bin/b killed by SIGABRT (core dumped)',
    );
  });

  it('carries unit and signal pairs in the vsock message', () => {
    expect(crashList([segv(), segv({ unit: 'b.service', signal: 6 })])).toBe(
      'planted-crash.service:11,b.service:6',
    );
    expect(parseCrashList('planted-crash.service:11,b.service:6,bad,:7,x:y,c.service:11x')).toEqual([
      { unit: 'planted-crash.service', signal: 11 },
      { unit: 'b.service', signal: 6 },
    ]);
    expect(parseCrashList('')).toEqual([]);
    expect(parseCrashList(undefined)).toEqual([]);
  });
});

/** A crash entry of each kind, as `journalctl -o export --output-fields=…` prints them. */
const EXIT_DUMPED = [
  '__CURSOR=s=1;i=2',
  '__REALTIME_TIMESTAMP=1',
  `MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE}`,
  'UNIT=planted-crash.service',
  'EXIT_CODE=dumped',
  'EXIT_STATUS=11',
  'COMMAND=ExecStart',
  '',
];
const EXIT_STOPPED = [
  `MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE}`,
  'UNIT=stopped.service',
  'EXIT_CODE=killed',
  'EXIT_STATUS=15',
  'COMMAND=/bin/sleep',
  '',
];
const USER_ABORT = [
  `MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE}`,
  'USER_UNIT=app.service',
  'EXIT_CODE=killed',
  'EXIT_STATUS=6',
  'COMMAND=ExecStartPre',
  '',
];
const COREDUMP = [
  `MESSAGE_ID=${COREDUMP_MESSAGE}`,
  'COREDUMP_UNIT=flaky.service',
  'COREDUMP_SIGNAL=11',
  'COREDUMP_EXE=/usr/bin/flaky daemon',
];

function judge(run: GuestRun, allowFailed: string[] = []) {
  const messages = run.notify.flatMap((n) =>
    n.args.map((a) => ({ key: a.slice(0, a.indexOf('=')), value: a.slice(a.indexOf('=') + 1) })),
  );
  return verdict({
    report: parseReport(run.report, TEST_NONCE),
    panic: undefined,
    timedOut: false,
    timeoutSeconds: 300,
    qemuExitCode: 0,
    allowFailed,
    vsock:
      run.notify.length > 0
        ? { message: findCheckMessage(messages, TEST_NONCE), exitStatus: run.exit }
        : undefined,
  });
}

describe('crashed processes, in the guest check script', { timeout: 40_000 }, () => {
  const crashJournal = [...EXIT_DUMPED, ...EXIT_STOPPED, ...USER_ABORT, ...COREDUMP];

  it('finds the crashes of this boot in the journal, reports them, exits 1 and says crashed', () => {
    const run = runCheckScript({ notifySocket: 'vsock:2:9' }, { crashJournal });
    expect(run.calls).toContain(
      `journalctl --boot --no-pager -o export --output-fields=MESSAGE_ID,UNIT,USER_UNIT,EXIT_CODE,EXIT_STATUS,COMMAND,COREDUMP_UNIT,COREDUMP_EXE,COREDUMP_SIGNAL MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE} EXIT_CODE=dumped EXIT_CODE=killed + MESSAGE_ID=${COREDUMP_MESSAGE}`,
    );
    expect(run.exit).toBe(1);
    const result = parseReport(run.report, TEST_NONCE);
    expect(result.found && result.report.crashes).toEqual([
      segv({ executable: '/usr/bin/planted-crash (ExecStart)' }),
      { unit: 'app.service', signal: 6, kind: 'killed', executable: '/usr/bin/app (ExecStartPre)' },
      { unit: 'flaky.service', signal: 11, kind: 'coredump', executable: '/usr/bin/flaky daemon' },
    ]);
    expect(run.notify[0]?.args[1]).toContain(
      ' crashed=planted-crash.service:11,app.service:6,flaky.service:11 errors=0',
    );
    const v = judge(run);
    expect(v.result).toBe('crashed');
    expect(v.reason).toBe(
      'crashed: planted-crash.service: /usr/bin/planted-crash (ExecStart) killed by SIGSEGV (core dumped), app.service: /usr/bin/app (ExecStartPre) killed by SIGABRT, flaky.service: /usr/bin/flaky daemon killed by SIGSEGV (core dumped)',
    );
    // The journal comes with a failure.
    expect(run.calls).toContain('journalctl --boot --no-pager -o short-monotonic');
    // The vsock message alone still says crashed when the serial report is lost.
    expect(judge({ ...run, report: '' }).result).toBe('crashed');
  });

  it('passes when the only crashes are in units boot-allow-failed tolerates, and says so', () => {
    const run = runCheckScript({ allowFailed: ['planted-*', 'app', 'flaky.service'] }, { crashJournal });
    expect(run.exit).toBe(0);
    const v = judge(run, ['planted-*', 'app', 'flaky.service']);
    expect(v.result).toBe('passed');
    expect(v.allowedCrashes.map((c) => c.unit)).toEqual([
      'planted-crash.service',
      'app.service',
      'flaky.service',
    ]);
    expect(v.reason).toContain(
      '; tolerated crash: planted-crash.service: /usr/bin/planted-crash (ExecStart) killed by SIGSEGV',
    );
  });

  it('does not tolerate a crash without a unit, nor one of a unit left out of boot-allow-failed', () => {
    const noUnit = [`MESSAGE_ID=${COREDUMP_MESSAGE}`, 'COREDUMP_SIGNAL=11', 'COREDUMP_EXE=/usr/bin/x'];
    const run = runCheckScript({ allowFailed: ['*'] }, { crashJournal: noUnit });
    expect(run.exit).toBe(1);
    expect(judge(run, ['*']).reason).toBe('crashed: no unit: /usr/bin/x killed by SIGSEGV (core dumped)');
    const partly = runCheckScript(
      { allowFailed: ['planted-crash'] },
      { crashJournal: [...EXIT_DUMPED, ...USER_ABORT] },
    );
    expect(partly.exit).toBe(1);
    expect(judge(partly, ['planted-crash']).crashes.map((c) => c.unit)).toEqual(['app.service']);
  });

  it('keeps the setting name when the unit has no such command any more', () => {
    const gone = [
      `MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE}`,
      'UNIT=gone.service',
      'EXIT_CODE=dumped',
      'EXIT_STATUS=6',
      'COMMAND=ExecStop',
    ];
    const run = runCheckScript({}, { crashJournal: gone });
    expect(run.calls).toContain('systemctl show --property=ExecStop --value -- gone.service');
    expect(judge(run).reason).toBe('crashed: gone.service: ExecStop killed by SIGABRT (core dumped)');
  });

  it('passes a boot whose processes were only stopped, and reports no crash', () => {
    const run = runCheckScript({}, { crashJournal: EXIT_STOPPED });
    expect(run.exit).toBe(0);
    expect(judge(run).result).toBe('passed');
    expect(run.report).not.toContain('\ncrash ');
  });

  it('names both failed units and crashes when both happened', () => {
    const failed = 'planted-fail.service loaded failed failed Planted fault';
    const run = runCheckScript({}, { state: 'degraded', failed: [[failed]], crashJournal: EXIT_DUMPED });
    const v = judge(run);
    expect(v.result).toBe('failed-units');
    expect(v.reason).toMatch(
      /^failed units: planted-fail\.service \(.*\); crashed: planted-crash\.service: /,
    );
  });
});

describe('crashes in the vsock message', () => {
  it('make the two channels disagree when only one of them names a crash', () => {
    const run = runCheckScript({ notifySocket: 'vsock:2:9' }, { crashJournal: EXIT_DUMPED });
    const result = parseReport(run.report, TEST_NONCE);
    if (!result.found) throw new Error('no report');
    const message = findCheckMessage(
      [{ key: 'X_MKOSI_CI_CHECK', value: run.notify[0]!.args[1]!.slice('X_MKOSI_CI_CHECK='.length) }],
      TEST_NONCE,
    )!;
    expect(disagreement(result.report, message)).toBeUndefined();
    expect(disagreement(result.report, { ...message, crashed: [] })).toBe(
      'crashed: planted-crash.service:11 in the report,  over vsock',
    );
    expect(reportFromMessage(message).crashes).toEqual([
      { unit: 'planted-crash.service', signal: 11, kind: 'killed', executable: '(not in the vsock message)' },
    ]);
  });
});
