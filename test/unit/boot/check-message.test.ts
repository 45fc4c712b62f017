import { describe, expect, it } from 'vitest';
import { disagreement, findCheckMessage, reportFromMessage } from '../../../src/boot/check-message.js';
import type { GuestReport } from '../../../src/boot/serial-report.js';

const NONCE = 'f'.repeat(32);
const FULL = `${NONCE} exit=0 state=degraded settle=done failed=a.service,b.mount masked=c.service errors=0`;

describe("the check's vsock message", () => {
  it('is found by its key and this run nonce only', () => {
    const forged = `${'e'.repeat(32)} exit=0 state=running settle=done failed= masked= errors=0`;
    const messages = [
      { key: 'READY', value: '1' },
      { key: 'X_MKOSI_CI_CHECK', value: forged },
      { key: 'STATUS', value: FULL },
      { key: 'X_MKOSI_CI_CHECK', value: FULL },
    ];
    expect(findCheckMessage(messages, NONCE)).toEqual({
      exitCode: 0,
      state: 'degraded',
      settled: true,
      failed: ['a.service', 'b.mount'],
      masked: ['c.service'],
      crashed: [],
      errors: 0,
      tests: [],
    });
    expect(findCheckMessage(messages.slice(0, 3), NONCE)).toBeUndefined();
    expect(findCheckMessage([{ key: 'X_MKOSI_CI_CHECK', value: `${NONCE}x exit=0` }], NONCE)).toBeUndefined();
  });

  it('reads missing or damaged fields as unknown, never as a pass', () => {
    const message = findCheckMessage(
      [{ key: 'X_MKOSI_CI_CHECK', value: `${NONCE} exit= settle=timeout =x failed= states exit0` }],
      NONCE,
    );
    expect(message).toEqual({
      exitCode: undefined,
      state: '',
      settled: false,
      failed: [],
      masked: [],
      crashed: [],
      errors: undefined,
      tests: [],
    });
  });

  it('stands for a report without details', () => {
    const message = findCheckMessage([{ key: 'X_MKOSI_CI_CHECK', value: FULL }], NONCE)!;
    const report = reportFromMessage(message);
    expect(report).toEqual({
      state: 'degraded',
      settled: true,
      watchedSeconds: 0,
      failedUnits: ['a.service', 'b.mount'].map((name) => ({
        name,
        load: '',
        active: 'failed',
        sub: 'failed',
        description: '',
        statusLine: undefined,
        status: [],
      })),
      maskedUnits: ['c.service'],
      crashes: [],
      jobs: [],
      errors: [],
      exitCode: 0,
      timings: {},
      blame: [],
      journal: [],
      journalExport: '',
      tests: [],
    });
    expect(reportFromMessage({ ...message, errors: 3 }).errors).toEqual([
      '3 step(s) of the check failed (their output was in the lost serial report)',
    ]);
    expect(reportFromMessage({ ...message, errors: undefined }).errors).toEqual([
      'the check message over vsock does not say whether the check ran without errors',
    ]);
  });

  it('names every field in which it and the serial report disagree', () => {
    const message = findCheckMessage([{ key: 'X_MKOSI_CI_CHECK', value: FULL }], NONCE)!;
    const same: GuestReport = {
      ...reportFromMessage(message),
      failedUnits: [...reportFromMessage(message).failedUnits].reverse(),
      journal: ['different details do not matter'],
    };
    expect(disagreement(same, message)).toBeUndefined();
    const other: GuestReport = {
      ...same,
      state: 'running',
      settled: false,
      exitCode: 1,
      failedUnits: [],
      maskedUnits: [],
      errors: ['x'],
    };
    expect(disagreement(other, message)).toBe(
      'state: running in the report, degraded over vsock; settled: false in the report, true over vsock; exit: 1 in the report, 0 over vsock; failed:  in the report, a.service,b.mount over vsock; masked:  in the report, c.service over vsock; errors: 1 in the report, 0 over vsock',
    );
  });
});
