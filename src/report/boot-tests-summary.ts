import type { TestResult } from '../boot/test-results.js';
import { cutBytes, describeFailure, tailOf } from '../boot/test-results.js';
import { failingCases } from '../boot/result-files.js';
import { cell } from './format.js';

/**
 * The boot tests' part of the summary: one row per test, and the end of each failing test's output
 * (its whole output is in logs/boot/tests/NAME.log).
 */

const OUTCOME_ICONS: Readonly<Record<TestResult['outcome'], string>> = {
  passed: '✅ passed',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  'timed-out': '⏱️ timed out',
};

function statusText(test: TestResult): string {
  return test.status === 'timeout' ? 'timeout' : String(test.status);
}

/** The failing cases its JUnit XML or TAP files name, if any. */
function casesMarkdown(test: TestResult): string[] {
  const cases = failingCases(test.files ?? []);
  if (cases.length === 0) return [];
  return ['Failing cases:', '', ...cases.map((c) => `- ${cell(c)}`), ''];
}

export function testsMarkdown(
  tests: readonly TestResult[],
  logsDir: string,
  timeoutSeconds?: number,
): string[] {
  if (tests.length === 0) return [];
  const lines = ['| Test | Result | Exit | Time |', '| --- | --- | --- | --- |'];
  for (const test of tests) {
    const time = test.seconds === undefined ? '' : `${test.seconds} s`;
    lines.push(`| \`${cell(test.name)}\` | ${OUTCOME_ICONS[test.outcome]} | ${statusText(test)} | ${time} |`);
  }
  lines.push('');
  for (const test of tests.filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out')) {
    // A fence longer than any run of backticks in the output cannot be closed by it.
    const tail = tailOf(test);
    const fence = '`'.repeat(
      Math.max(3, ...tail.map((l) => (l.match(/`+/g) ?? []).reduce((m, r) => Math.max(m, r.length + 1), 0))),
    );
    lines.push(
      `<details><summary>${cell(describeFailure(test, timeoutSeconds))}: the last ${tail.length} line(s)</summary>`,
      '',
      fence,
      ...tail,
      fence,
      '',
      ...casesMarkdown(test),
      `Whole output: \`${logsDir}/tests/${test.name}.log\``,
      '</details>',
      '',
    );
  }
  return lines;
}

export function testsText(tests: readonly TestResult[], timeoutSeconds?: number): string[] {
  const lines: string[] = [];
  for (const test of tests) {
    if (test.outcome === 'failed' || test.outcome === 'timed-out') {
      lines.push(`  test failed: ${describeFailure(test, timeoutSeconds)}`);
      lines.push(...tailOf(test).map((l) => `    | ${l}`));
      lines.push(...failingCases(test.files ?? []).map((c) => `    failing case: ${c}`));
    } else {
      const cut = cutBytes(test) > 0 ? ` (${cutBytes(test)} bytes of output cut)` : '';
      lines.push(`  test ${test.outcome}: ${test.name}${cut}`);
    }
  }
  return lines;
}

/** The `failed-tests` output: each failing test, its status and the end of its output. */
export function failedTestRecords(
  tests: readonly TestResult[] | undefined,
): { test: string; status: number | 'timeout'; tail: string[] }[] {
  return (tests ?? [])
    .filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out')
    .map((t) => ({ test: t.name, status: t.status, tail: tailOf(t) }));
}
