import { RESULT_FILE_PATTERN, type ResultFile } from './result-files.js';
import { TEST_OUTPUT_BYTES, TEST_TAIL_LINES } from './test-runner.js';

/**
 * The host side of `boot-test`: the results the guest reported (see test-runner.ts for the lines), and
 * what they mean for the verdict. Exit status 0 passes and 77 skips, as in automake and meson; any other
 * status, or a test stopped at its timeout, fails.
 */

export type TestOutcome = 'passed' | 'failed' | 'skipped' | 'timed-out';

export interface TestResult {
  name: string;
  /** The exit status, or `timeout` when the test was stopped at boot-test-timeout. */
  status: number | 'timeout';
  outcome: TestOutcome;
  /** How long it ran (guest seconds); undefined when only the vsock message told. */
  seconds: number | undefined;
  /** How many bytes the test printed; the report carries the last TEST_OUTPUT_BYTES of them. */
  bytes: number;
  /** What the report carries of its output (all of it up to TEST_OUTPUT_BYTES), line by line. */
  output: string[];
  /** JUnit XML and TAP files it left in MKOSI_CI_TEST_RESULTS (absent when none). */
  files?: ResultFile[];
}

/** `test-file:NAME:FILE` → [NAME, FILE], for a file name the guest may send. */
function resultFileKey(key: string): [string, string] | undefined {
  const match = /^test-file:([^:]+):(.+)$/.exec(key);
  return match && RESULT_FILE_PATTERN.test(match[2]!) ? [match[1]!, match[2]!] : undefined;
}

function collectFile(files: Map<string, ResultFile[]>, name: string, file: string, line: string): void {
  const list = files.get(name) ?? [];
  const last = list.at(-1);
  if (last?.file === file) last.lines.push(line);
  else files.set(name, [...list, { file, lines: [line] }]);
}

export function outcomeOf(status: number | 'timeout'): TestOutcome {
  if (status === 'timeout') return 'timed-out';
  return status === 0 ? 'passed' : status === 77 ? 'skipped' : 'failed';
}

export function parseStatus(value: string): number | 'timeout' | undefined {
  if (value === 'timeout') return value;
  return /^\d{1,3}$/.test(value) ? Number(value) : undefined;
}

/** The `test`, `test-bytes` and `test-output:NAME` lines of a report, in the order the tests ran. */
export function parseTestLines(lines: readonly string[]): TestResult[] {
  const tests = new Map<string, TestResult>();
  const outputs = new Map<string, string[]>();
  const bytes = new Map<string, number>();
  const files = new Map<string, ResultFile[]>();
  for (const line of lines) {
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (key === 'test') {
      const match = /^(\S+) (\S+) (\d+)$/.exec(value);
      const status = match ? parseStatus(match[2]!) : undefined;
      if (!match || status === undefined || tests.has(match[1]!)) continue;
      tests.set(match[1]!, {
        name: match[1]!,
        status,
        outcome: outcomeOf(status),
        seconds: Number(match[3]),
        bytes: 0,
        output: [],
      });
    } else if (key === 'test-bytes') {
      const match = /^(\S+) (\d+)$/.exec(value);
      if (match) bytes.set(match[1]!, Number(match[2]));
    } else if (key.startsWith('test-output:')) {
      const name = key.slice('test-output:'.length);
      outputs.set(name, [...(outputs.get(name) ?? []), value]);
    } else if (resultFileKey(key)) {
      const [name, file] = resultFileKey(key)!;
      collectFile(files, name, file, value);
    }
  }
  return [...tests.values()].map((t) => ({
    ...t,
    bytes: bytes.get(t.name) ?? 0,
    output: outputs.get(t.name) ?? [],
    ...(files.has(t.name) ? { files: files.get(t.name) } : {}),
  }));
}

/** How many bytes of a test's output the report left out. */
export function cutBytes(test: TestResult): number {
  return Math.max(0, test.bytes - TEST_OUTPUT_BYTES);
}

/** The last lines of a test's output, for the reason, the annotation and the summary. */
export function tailOf(test: TestResult, lines = TEST_TAIL_LINES): string[] {
  return test.output.slice(-lines);
}

export function failing(tests: readonly TestResult[]): TestResult[] {
  return tests.filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out');
}

/** `20-fail (exit 1: "last line")`, `30-hang (timed out after 10 s)`. */
export function describeFailure(test: TestResult, timeoutSeconds?: number): string {
  if (test.status === 'timeout') {
    const limit = timeoutSeconds ?? test.seconds;
    return `${test.name} (timed out${limit === undefined ? '' : ` after ${limit} s`})`;
  }
  const last = tailOf(test, 1)[0]?.trim();
  return `${test.name} (exit ${test.status}${last ? `: ${JSON.stringify(last)}` : ''})`;
}

/**
 * Why the tests fail the boot, if they do: `test-failed` names each failing test; a test that was
 * expected but reported nothing makes the evidence `inconclusive` (only a reported result can pass).
 */
export function testProblem(
  expected: readonly string[],
  tests: readonly TestResult[],
  timeoutSeconds?: number,
): { result: 'test-failed' | 'inconclusive'; reason: string } | undefined {
  const failed = failing(tests);
  if (failed.length > 0) {
    const described = failed.map((t) => describeFailure(t, timeoutSeconds)).join(', ');
    return { result: 'test-failed', reason: `failed tests: ${described}` };
  }
  const reported = new Set(tests.map((t) => t.name));
  const missing = expected.filter((name) => !reported.has(name));
  if (missing.length === 0) return undefined;
  return { result: 'inconclusive', reason: `no result from boot test(s): ${missing.join(', ')}` };
}

/** `; tests: 2 passed, 1 skipped (40-skip)` for the reason of a passed boot; '' without tests. */
export function testsPassedNote(tests: readonly TestResult[]): string {
  if (tests.length === 0) return '';
  const passed = tests.filter((t) => t.outcome === 'passed').length;
  const skipped = tests.filter((t) => t.outcome === 'skipped').map((t) => t.name);
  const skippedPart = skipped.length > 0 ? `, ${skipped.length} skipped (${skipped.join(', ')})` : '';
  return `; tests: ${passed} passed${skippedPart}`;
}

/** `name:status,…`: how the report and the vsock message are compared. */
export function statusList(tests: readonly Pick<TestResult, 'name' | 'status'>[]): string {
  return tests.map((t) => `${t.name}:${t.status}`).join(',');
}
