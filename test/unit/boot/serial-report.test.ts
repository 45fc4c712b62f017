import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bootTimings,
  extractReportLines,
  findPanic,
  newNonce,
  parseReport,
  parseUnitLine,
  statusLine,
  wholeNumber,
} from '../../../src/boot/serial-report.js';

const fixtures = path.join(import.meta.dirname, '../../fixtures/boot');
const NONCE = 'a'.repeat(32);

function captured(lines: string[], nonce = NONCE): string {
  // As read from the port: CRLF line ends, firmware noise before the report.
  return [
    'BdsDxe: starting Boot0001',
    '',
    `mkosi-ci-report-begin ${nonce}`,
    ...lines,
    `mkosi-ci-report-end ${nonce}`,
    '',
  ]
    .map((l) => `${l}\r`)
    .join('\n');
}

describe('serial report', () => {
  it('makes a fresh 128-bit hex nonce each time', () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).not.toBe(a);
  });

  it('parses the report a real healthy boot wrote (tools tree qemu, TCG)', () => {
    const text = readFileSync(path.join(fixtures, 'healthy-report.txt'), 'utf8');
    const nonce = readFileSync(path.join(fixtures, 'healthy-report.nonce'), 'utf8').trim();
    const result = parseReport(text, nonce);
    expect(result.found).toBe(true);
    if (!result.found) return;
    expect(result.report).toMatchObject({
      state: 'running',
      settled: true,
      failedUnits: [],
      watchedSeconds: 0,
    });
    expect(result.report.timings.kernelMs).toBeGreaterThan(0);
    expect(result.report.timings.userspaceMs).toBeGreaterThan(0);
    expect(result.report.reportedAt).toBeGreaterThanOrEqual(result.report.settledAt!);
  });

  it('ignores reports framed with another nonce (a forged or stale report)', () => {
    const text = captured(['state running', 'settle done'], 'b'.repeat(32));
    expect(parseReport(text, NONCE)).toEqual({ found: false, truncated: false });
  });

  it('calls a report without its end marker truncated', () => {
    const text = `mkosi-ci-report-begin ${NONCE}\r\nstate running\r\n`;
    expect(parseReport(text, NONCE)).toEqual({ found: false, truncated: true });
  });

  it('does not end the report at a forged end marker printed inside it', () => {
    const lines = extractReportLines(
      captured(['status:x.service mkosi-ci-report-end cccc', 'state degraded']),
      NONCE,
    ).lines;
    expect(lines).toEqual(['status:x.service mkosi-ci-report-end cccc', 'state degraded']);
  });

  it('collects failed units with their status line and journal', () => {
    const result = parseReport(
      captured([
        'settle done',
        'state degraded',
        'failed planted-fail.service loaded failed failed mkosi-ci planted unit planted-fail',
        'status:planted-fail.service × planted-fail.service - mkosi-ci planted unit planted-fail',
        'status:planted-fail.service      Loaded: loaded (/run/systemd/system/planted-fail.service; static)',
        'status:planted-fail.service      Active: failed (Result: exit-code) since Sun 2026-11-22 05:00:01 UTC; 2s ago',
        'journal [   30.1] planted-fail.service: Main process exited, code=exited, status=1/FAILURE',
      ]),
      NONCE,
    );
    expect(result.found && result.report.failedUnits).toEqual([
      {
        name: 'planted-fail.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'mkosi-ci planted unit planted-fail',
        statusLine: 'failed (Result: exit-code) since Sun 2026-11-22 05:00:01 UTC; 2s ago',
        status: [
          '× planted-fail.service - mkosi-ci planted unit planted-fail',
          '     Loaded: loaded (/run/systemd/system/planted-fail.service; static)',
          '     Active: failed (Result: exit-code) since Sun 2026-11-22 05:00:01 UTC; 2s ago',
        ],
      },
    ]);
    expect(result.found && result.report.journal).toHaveLength(1);
  });

  it('reads list-units lines with or without the bullet', () => {
    expect(parseUnitLine('● foo.service loaded failed failed Foo Bar')).toEqual({
      name: 'foo.service',
      load: 'loaded',
      active: 'failed',
      sub: 'failed',
      description: 'Foo Bar',
    });
    expect(parseUnitLine('foo.service loaded')).toBeUndefined();
    expect(statusLine(['x', '   Active: failed (Result: timeout)'])).toBe('failed (Result: timeout)');
  });

  it('computes the boot phases as systemd-analyze does', () => {
    const timings = bootTimings(
      new Map([
        ['FirmwareTimestampMonotonic', 3_000_000],
        ['LoaderTimestampMonotonic', 1_000_000],
        ['InitRDTimestampMonotonic', 5_558_407],
        ['UserspaceTimestampMonotonic', 15_358_381],
        ['FinishTimestampMonotonic', 29_252_779],
      ]),
    );
    expect(timings).toEqual({
      firmwareMs: 2000,
      loaderMs: 1000,
      kernelMs: 5558,
      initrdMs: 9800,
      userspaceMs: 13894,
      totalMs: 29253,
    });
    expect(bootTimings(new Map([['UserspaceTimestampMonotonic', 2_000_000]]))).toEqual({ kernelMs: 2000 });
  });

  it('finds a kernel panic or a KVM failure in the console log', () => {
    expect(
      findPanic('[ 1.0] ok\r\n[ 2.1] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n'),
    ).toBe('[ 2.1] Kernel panic - not syncing: VFS: Unable to mount root fs');
    expect(findPanic('KVM internal error. Suberror: 1\n')).toBe('KVM internal error. Suberror: 1');
    expect(findPanic('[ 3.0] systemd[1]: Started foo.service\n')).toBeUndefined();
  });
});

describe('report keys', () => {
  it('collects masked units, queued jobs, errors and the exit status', () => {
    const result = parseReport(
      captured([
        'settle timeout',
        'state starting',
        'job 12 planted-hang.service start running',
        'masked off.service',
        'error systemctl show failed: nope',
        'exit 1',
        'watched 3',
      ]),
      NONCE,
    );
    expect(result.found && result.report).toMatchObject({
      settled: false,
      state: 'starting',
      jobs: ['12 planted-hang.service start running'],
      maskedUnits: ['off.service'],
      errors: ['systemctl show failed: nope'],
      exitCode: 1,
      watchedSeconds: 3,
    });
  });

  it('leaves what the report does not say unset, never a passing default', () => {
    const result = parseReport(captured(['exit', 'watched x', 'settled soon']), NONCE);
    expect(result.found && result.report).toMatchObject({
      state: '',
      settled: false,
      exitCode: undefined,
      watchedSeconds: 0,
      settledAt: undefined,
      reportedAt: undefined,
      failedUnits: [],
      maskedUnits: [],
      crashes: [],
      jobs: [],
      errors: [],
      blame: [],
      journal: [],
      journalExport: '',
      timings: {},
    });
    expect(parseReport(captured(['settle done', 'exit 0', 'state running']), NONCE)).toMatchObject({
      found: true,
      report: { settled: true, exitCode: 0, state: 'running' },
    });
  });

  it('reads whole numbers only', () => {
    expect(wholeNumber('12')).toBe(12);
    expect(wholeNumber('0')).toBe(0);
    expect(wholeNumber('')).toBeUndefined();
    expect(wholeNumber('1.5')).toBeUndefined();
    expect(wholeNumber('-1')).toBeUndefined();
    expect(wholeNumber('1x')).toBeUndefined();
    expect(wholeNumber('x1')).toBeUndefined();
    expect(wholeNumber(undefined)).toBeUndefined();
  });
});

describe('report edge cases', () => {
  it('finds the begin marker after leading blanks, and only an end marker after it', () => {
    const text = ['  \tmkosi-ci-report-begin ' + NONCE, 'state running', `mkosi-ci-report-end ${NONCE}`].join(
      '\n',
    );
    expect(extractReportLines(text, NONCE).lines).toEqual(['state running']);
    const stale = [`mkosi-ci-report-end ${NONCE}`, `mkosi-ci-report-begin ${NONCE}`, 'state running'].join(
      '\n',
    );
    expect(extractReportLines(stale, NONCE)).toEqual({ lines: undefined, truncated: true });
    // Only a line's final carriage return is the tty's.
    expect(extractReportLines(captured(['journal a\rb']), NONCE).lines).toEqual(['journal a\rb']);
  });

  it('reads a key without a value, and keeps lines of the lists in order', () => {
    const result = parseReport(
      captured(['journal', 'journal x y', 'blame 3s a', 'error e1', 'error e2']),
      NONCE,
    );
    expect(result.found && result.report).toMatchObject({
      journal: ['', 'x y'],
      blame: ['3s a'],
      errors: ['e1', 'e2'],
    });
  });

  it('ignores damaged timestamp and failed lines, and keeps a failed unit without status', () => {
    const result = parseReport(
      captured([
        'timestamp garbage',
        'timestamp UserspaceTimestampMonotonic=2000000x',
        'timestamp FinishTimestampMonotonic=3000000',
        'failed x',
        'failed quiet.service loaded failed failed Quiet',
      ]),
      NONCE,
    );
    expect(result.found && result.report.timings).toEqual({ totalMs: 3000 });
    expect(result.found && result.report.failedUnits).toEqual([
      {
        name: 'quiet.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'Quiet',
        statusLine: undefined,
        status: [],
      },
    ]);
  });

  it('reads list-units lines however they are spaced, and needs all four fields', () => {
    const unit = {
      name: 'foo.service',
      load: 'loaded',
      active: 'failed',
      sub: 'failed',
      description: 'Foo ● Bar',
    };
    expect(parseUnitLine('  foo.service  loaded  failed  failed  Foo ● Bar')).toEqual(unit);
    expect(parseUnitLine('●foo.service loaded failed failed Foo ● Bar')).toEqual(unit);
    expect(parseUnitLine('foo.service loaded failed failed')).toEqual({ ...unit, description: '' });
    for (const line of ['', 'foo.service', 'foo.service loaded', 'foo.service loaded failed']) {
      expect(parseUnitLine(line), line).toBeUndefined();
    }
  });

  it("reads the status's Active: line only at a line's start", () => {
    expect(statusLine(['     Active: failed (Result: timeout)  '])).toBe('failed (Result: timeout)');
    expect(statusLine(['Active:failed now'])).toBe('failed now');
    expect(statusLine(['Foo Active: x', 'Bar'])).toBeUndefined();
    expect(statusLine([])).toBeUndefined();
  });

  it('leaves out phases whose timestamps are missing', () => {
    expect(bootTimings(new Map([['LoaderTimestampMonotonic', 1_000_000]]))).toEqual({ loaderMs: 1000 });
    expect(bootTimings(new Map([['FirmwareTimestampMonotonic', 3_000_000]]))).toEqual({});
    expect(bootTimings(new Map([['FinishTimestampMonotonic', 4_000_000]]))).toEqual({ totalMs: 4000 });
    expect(bootTimings(new Map([['InitRDTimestampMonotonic', 4_000_000]]))).toEqual({});
  });

  it('finds a crash of PID 1 and cleans the line of colours and blanks', () => {
    expect(findPanic('[ 9.1] systemd[1]: Caught <SEGV>, dumped core as pid 77.\r\n')).toBe(
      '[ 9.1] systemd[1]: Caught <SEGV>, dumped core as pid 77.',
    );
    expect(findPanic('x\n  \x1b[0;1;31m[ 5.0] Kernel panic - not syncing: x\x1b[0m \r\n')).toBe(
      '[ 5.0] Kernel panic - not syncing: x',
    );
    expect(findPanic('systemd[1]: Freezing execution.\n')).toBe('systemd[1]: Freezing execution.');
    expect(findPanic('systemd[1]: Caught <>, dumped core\n')).toBeUndefined();
    expect(findPanic('a\rKernel panic - not syncing\n')).toBe('a\rKernel panic - not syncing');
  });
});
