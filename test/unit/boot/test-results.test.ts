import { describe, expect, it } from 'vitest';
import { disagreement, findCheckMessage, reportFromMessage } from '../../../src/boot/check-message.js';
import { parseReportLines } from '../../../src/boot/serial-report.js';
import {
  cutBytes,
  describeFailure,
  failing,
  outcomeOf,
  parseStatus,
  parseTestLines,
  statusList,
  tailOf,
  testProblem,
  testsPassedNote,
  type TestResult,
} from '../../../src/boot/test-results.js';

function result(name: string, status: number | 'timeout', output: string[] = []): TestResult {
  return { name, status, outcome: outcomeOf(status), seconds: 1, bytes: 0, output };
}

const NONCE = '0123456789abcdef0123456789abcdef';

describe('boot test results', () => {
  it('reads 0 as passed, 77 as skipped, a timeout as timed out and anything else as failed', () => {
    expect([0, 77, 1, 124, 255, 'timeout' as const].map(outcomeOf)).toEqual([
      'passed',
      'skipped',
      'failed',
      'failed',
      'failed',
      'timed-out',
    ]);
    expect(['0', '77', 'timeout', '', 'x', '1234', '-1', '1.5'].map(parseStatus)).toEqual([
      0,
      77,
      'timeout',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('parses the report lines in order, with their output, and drops damaged or repeated ones', () => {
    const tests = parseTestLines([
      'test b 1 4',
      'test-bytes b 12',
      'test-output:b first',
      'test-output:a not yet reported',
      'test-output:b ',
      'test-output:b last',
      'test a 0 2',
      'test a 3 9',
      'test c what 1',
      'test d 0',
      'test-bytes a x',
      'test-bytes',
      'tests x 0 1',
      'state running',
    ]);
    expect(tests).toEqual([
      { name: 'b', status: 1, outcome: 'failed', seconds: 4, bytes: 12, output: ['first', '', 'last'] },
      { name: 'a', status: 0, outcome: 'passed', seconds: 2, bytes: 0, output: ['not yet reported'] },
    ]);
    expect(parseReportLines(['test t timeout 20', 'state running']).tests).toEqual([
      { name: 't', status: 'timeout', outcome: 'timed-out', seconds: 20, bytes: 0, output: [] },
    ]);
  });

  it('collects the result files of each test, leaving out names the guest must not send', () => {
    const tests = parseTestLines([
      'test t 1 1',
      'test-file:t:junit.xml <testsuite>',
      'test-file:t:junit.xml </testsuite>',
      'test-file:t:r.tap not ok 1',
      'test-file:t:junit.xml again',
      'test-file:t:bad name.xml x',
      'test-file:t:.hidden.xml x',
      'test-file:t:notes.txt x',
      'test-file:t:a.xml.txt x',
      'test-file:t:a.xmlx x',
      'test-file:t: x',
      'test-file:u:u.xml x',
      'test u 0 1',
      'test v 0 1',
    ]);
    expect(tests.map((t) => [t.name, t.files])).toEqual([
      [
        't',
        [
          { file: 'junit.xml', lines: ['<testsuite>', '</testsuite>'] },
          { file: 'r.tap', lines: ['not ok 1'] },
          { file: 'junit.xml', lines: ['again'] },
        ],
      ],
      ['u', [{ file: 'u.xml', lines: ['x'] }]],
      ['v', undefined],
    ]);
    expect(tests[2]).not.toHaveProperty('files');
  });

  it('describes a failure by its status and last line, a timeout by its limit', () => {
    expect(describeFailure(result('f', 2, ['a', '  last  ']))).toBe('f (exit 2: "last")');
    expect(describeFailure(result('f', 2, ['a', '']))).toBe('f (exit 2)');
    expect(describeFailure(result('f', 2))).toBe('f (exit 2)');
    expect(describeFailure(result('h', 'timeout'), 20)).toBe('h (timed out after 20 s)');
    expect(describeFailure({ ...result('h', 'timeout'), seconds: 21 })).toBe('h (timed out after 21 s)');
    expect(describeFailure({ ...result('h', 'timeout'), seconds: undefined })).toBe('h (timed out)');
  });

  it('keeps the last ten lines as the tail and counts what the report cut', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `l${i}`);
    expect(tailOf(result('x', 1, lines))).toEqual(lines.slice(2));
    expect(tailOf(result('x', 1, lines), 1)).toEqual(['l11']);
    expect(cutBytes({ ...result('x', 0), bytes: 65536 })).toBe(0);
    expect(cutBytes({ ...result('x', 0), bytes: 65540 })).toBe(4);
  });

  it('fails on failed and timed-out tests, is inconclusive on a missing one, passes otherwise', () => {
    const tests = [result('p', 0), result('s', 77), result('f', 1, ['boom']), result('h', 'timeout')];
    expect(failing(tests).map((t) => t.name)).toEqual(['f', 'h']);
    expect(testProblem(['p', 's', 'f', 'h'], tests, 20)).toEqual({
      result: 'test-failed',
      reason: 'failed tests: f (exit 1: "boom"), h (timed out after 20 s)',
    });
    expect(testProblem(['p', 's', 'x', 'y'], tests.slice(0, 2))).toEqual({
      result: 'inconclusive',
      reason: 'no result from boot test(s): x, y',
    });
    expect(testProblem(['p', 's'], tests.slice(0, 2))).toBeUndefined();
    expect(testProblem([], [])).toBeUndefined();
  });

  it('notes passes and skips for a passed boot, and nothing without tests', () => {
    expect(testsPassedNote([])).toBe('');
    expect(testsPassedNote([result('a', 0), result('b', 0)])).toBe('; tests: 2 passed');
    expect(testsPassedNote([result('a', 0), result('b', 77), result('c', 77)])).toBe(
      '; tests: 1 passed, 2 skipped (b, c)',
    );
    expect(statusList([result('a', 0), result('h', 'timeout')])).toBe('a:0,h:timeout');
  });
});

describe('boot test results over vsock', () => {
  const check = `${NONCE} exit=1 state=running settle=done failed= masked= errors=0 tests=a:0,f:2,h:timeout,bad,:3,x:y`;
  const tail = (text: string) => Buffer.from(text).toString('base64');

  it('reads the statuses and each failing test own message with this run nonce', () => {
    const message = findCheckMessage(
      [
        { key: 'X_MKOSI_CI_TEST_1', value: `${NONCE} f 2 ${tail('one\ntwo\n')}` },
        { key: 'X_MKOSI_CI_TEST_2', value: `${'e'.repeat(32)} h timeout ${tail('forged\n')}` },
        { key: 'X_MKOSI_CI_TEST_3', value: `${NONCE} h timeout ${tail('a\n\nb')}` },
        { key: 'X_MKOSI_CI_TEST_4', value: `${NONCE}` },
        { key: 'X_MKOSI_CI_TEST', value: `${NONCE} x 1 ${tail('no number\n')}` },
        { key: 'X_MKOSI_CI_TEST_1x', value: `${NONCE} y 1 ${tail('not a number\n')}` },
        { key: 'X_MKOSI_CI_CHECK', value: check },
      ],
      NONCE,
    )!;
    expect(message.tests.map((t) => [t.name, t.status, t.outcome, t.output])).toEqual([
      ['a', 0, 'passed', []],
      ['f', 2, 'failed', ['one', 'two']],
      ['h', 'timeout', 'timed-out', ['a', '', 'b']],
    ]);
    expect(message.tests[0]).toMatchObject({ seconds: undefined, bytes: 0 });
    expect(reportFromMessage(message).tests).toBe(message.tests);
  });

  it('has no tests when the message names none', () => {
    const message = findCheckMessage([{ key: 'X_MKOSI_CI_CHECK', value: `${NONCE} exit=0 tests=` }], NONCE)!;
    expect(message.tests).toEqual([]);
  });

  it('finds a report and a message that disagree about the tests', () => {
    const message = findCheckMessage([{ key: 'X_MKOSI_CI_CHECK', value: check }], NONCE)!;
    const report = { ...reportFromMessage(message), errors: [] };
    expect(disagreement(report, message)).toBeUndefined();
    expect(disagreement({ ...report, tests: [result('a', 0)] }, message)).toBe(
      'tests: a:0 in the report, a:0,f:2,h:timeout over vsock',
    );
  });
});
