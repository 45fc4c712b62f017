import { describe, expect, it } from 'vitest';
import { outcomeOf, type TestResult } from '../../../src/boot/test-results.js';
import { failedTestRecords, testsMarkdown, testsText } from '../../../src/report/boot-tests-summary.js';

function result(name: string, status: number | 'timeout', output: string[] = [], bytes = 0): TestResult {
  return { name, status, outcome: outcomeOf(status), seconds: 3, bytes, output };
}

const tests = [
  result('10-pass', 0, ['ok'], 70_000),
  result('20-fail', 1, ['a', 'has ``` fences', 'boom']),
  result('30-hang', 'timeout', ['hanging']),
  { ...result('40-skip', 77), seconds: undefined },
];

describe('the boot tests in the summary', () => {
  it('has a row per test and the end of each failing one', () => {
    expect(testsMarkdown(tests, '/w/logs/boot', 20)).toEqual([
      '| Test | Result | Exit | Time |',
      '| --- | --- | --- | --- |',
      '| `10-pass` | ✅ passed | 0 | 3 s |',
      '| `20-fail` | ❌ failed | 1 | 3 s |',
      '| `30-hang` | ⏱️ timed out | timeout | 3 s |',
      '| `40-skip` | ⏭️ skipped | 77 |  |',
      '',
      '<details><summary>20-fail (exit 1: "boom"): the last 3 line(s)</summary>',
      '',
      '````',
      'a',
      'has ``` fences',
      'boom',
      '````',
      '',
      'Whole output: `/w/logs/boot/tests/20-fail.log`',
      '</details>',
      '',
      '<details><summary>30-hang (timed out after 20 s): the last 1 line(s)</summary>',
      '',
      '```',
      'hanging',
      '```',
      '',
      'Whole output: `/w/logs/boot/tests/30-hang.log`',
      '</details>',
      '',
    ]);
    expect(testsMarkdown([], '/w')).toEqual([]);
  });

  it('lists every test in the text summary, with the failing ones last lines', () => {
    expect(testsText(tests, 20)).toEqual([
      '  test passed: 10-pass (4464 bytes of output cut)',
      '  test failed: 20-fail (exit 1: "boom")',
      '    | a',
      '    | has ``` fences',
      '    | boom',
      '  test failed: 30-hang (timed out after 20 s)',
      '    | hanging',
      '  test skipped: 40-skip',
    ]);
  });

  it('names the failing cases of the JUnit XML or TAP files a failing test left', () => {
    const withFiles = {
      ...result('20-fail', 1, ['boom']),
      files: [
        { file: 'junit.xml', lines: ['<testcase classname="net" name="dns"><failure/></testcase>'] },
        { file: 'r.tap', lines: ['not ok 3 - b|c'] },
      ],
    };
    expect(testsMarkdown([withFiles], '/l')).toEqual(
      expect.arrayContaining(['Failing cases:', '- junit.xml: net.dns', '- r.tap: 3 b\\|c']),
    );
    expect(testsText([withFiles])).toEqual([
      '  test failed: 20-fail (exit 1: "boom")',
      '    | boom',
      '    failing case: junit.xml: net.dns',
      '    failing case: r.tap: 3 b|c',
    ]);
  });

  it('gives the failed-tests output', () => {
    expect(failedTestRecords(tests)).toEqual([
      { test: '20-fail', status: 1, tail: ['a', 'has ``` fences', 'boom'] },
      { test: '30-hang', status: 'timeout', tail: ['hanging'] },
    ]);
    expect(failedTestRecords(undefined)).toEqual([]);
  });
});
