import { CHECK_MESSAGE_KEY } from './check-unit.js';
import { crashList, parseCrashList, type Crash } from './crash-scan.js';
import { wholeNumber, type GuestReport } from './serial-report.js';
import { outcomeOf, parseStatus, statusList, type TestResult } from './test-results.js';
import { TEST_MESSAGE_KEY } from './test-runner.js';

/**
 * The check's own message over vsock, next to the serial report: `X_MKOSI_CI_CHECK=<nonce> exit=N
 * state=S settle=done|timeout|error failed=A,B masked=C crashed=U:SIG,… errors=N`. Like the report it carries the nonce,
 * so unlike systemd's bare `EXIT_STATUS=` (sent on every orderly shutdown, whoever caused it) it can pass
 * a boot when the serial report is lost.
 */
export interface CheckMessage {
  exitCode: number | undefined;
  state: string;
  settled: boolean;
  failed: string[];
  masked: string[];
  /** `crashed=UNIT:SIGNAL,…`: the crashed processes (see crash-scan.ts). */
  crashed: Pick<Crash, 'unit' | 'signal'>[];
  /** How many steps of the check failed; undefined when the message does not say. */
  errors: number | undefined;
  /** `tests=NAME:STATUS,…`, with the last lines of each failing test from its own message. */
  tests: TestResult[];
}

/** `tests=a:0,b:timeout`: the results, without output (unreadable entries are dropped). */
function parseTests(value: string | undefined, tails: ReadonlyMap<string, string[]>): TestResult[] {
  const tests: TestResult[] = [];
  for (const entry of list(value)) {
    const colon = entry.lastIndexOf(':');
    const status = parseStatus(entry.slice(colon + 1));
    if (colon <= 0 || status === undefined) continue;
    const name = entry.slice(0, colon);
    const output = tails.get(name) ?? [];
    tests.push({ name, status, outcome: outcomeOf(status), seconds: undefined, bytes: 0, output });
  }
  return tests;
}

/** `X_MKOSI_CI_TEST_1`, `_2`, …: one key per failing test (see test-runner.ts). */
const TEST_MESSAGE_KEY_PATTERN = new RegExp(`^${TEST_MESSAGE_KEY}_\\d+$`);

/** `X_MKOSI_CI_TEST_N=<nonce> NAME STATUS <base64 tail>` messages with this run's nonce: name → lines. */
function testTails(
  messages: readonly { key: string; value: string }[],
  nonce: string,
): Map<string, string[]> {
  const tails = new Map<string, string[]>();
  for (const message of messages) {
    if (!TEST_MESSAGE_KEY_PATTERN.test(message.key)) continue;
    const [token, name, , tail] = message.value.split(' ');
    if (token !== nonce || !name) continue;
    const text = Buffer.from(tail ?? '', 'base64').toString('utf8');
    tails.set(
      name,
      text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1),
    );
  }
  return tails;
}

const list = (value: string | undefined): string[] => (value ? value.split(',') : []);

function parseFields(fields: readonly string[], tails: ReadonlyMap<string, string[]>): CheckMessage {
  const values = new Map<string, string>();
  for (const field of fields) {
    const equals = field.indexOf('=');
    if (equals > 0) values.set(field.slice(0, equals), field.slice(equals + 1));
  }
  return {
    exitCode: wholeNumber(values.get('exit')),
    state: values.get('state') ?? '',
    settled: values.get('settle') === 'done',
    failed: list(values.get('failed')),
    masked: list(values.get('masked')),
    crashed: parseCrashList(values.get('crashed')),
    errors: wholeNumber(values.get('errors')),
    tests: parseTests(values.get('tests'), tails),
  };
}

/** The check's message with this run's nonce among the notifications received, if any. */
export function findCheckMessage(
  messages: readonly { key: string; value: string }[],
  nonce: string,
): CheckMessage | undefined {
  for (const message of messages) {
    if (message.key !== CHECK_MESSAGE_KEY) continue;
    const [token, ...fields] = message.value.split(' ');
    if (token === nonce) return parseFields(fields, testTails(messages, nonce));
  }
  return undefined;
}

/** What the message says, as a report without details (no status lines, timings or journal). */
export function reportFromMessage(message: CheckMessage): GuestReport {
  const errors =
    message.errors === undefined
      ? ['the check message over vsock does not say whether the check ran without errors']
      : message.errors > 0
        ? [`${message.errors} step(s) of the check failed (their output was in the lost serial report)`]
        : [];
  return {
    state: message.state,
    settled: message.settled,
    watchedSeconds: 0,
    failedUnits: message.failed.map((name) => ({
      name,
      load: '',
      active: 'failed',
      sub: 'failed',
      description: '',
      statusLine: undefined,
      status: [],
    })),
    maskedUnits: message.masked,
    crashes: message.crashed.map((c) => ({
      ...c,
      executable: '(not in the vsock message)',
      kind: 'killed' as const,
    })),
    jobs: [],
    errors,
    exitCode: message.exitCode,
    timings: {},
    blame: [],
    journal: [],
    journalExport: '',
    tests: message.tests,
  };
}

/**
 * Where the serial report and the vsock message, both from this run's check, say different things; the
 * check sends both from the same values, so any difference means one of them was damaged.
 */
export function disagreement(report: GuestReport, message: CheckMessage): string | undefined {
  const names = (units: readonly string[]): string => [...units].sort().join(',');
  const fields: [string, unknown, unknown][] = [
    ['state', report.state, message.state],
    ['settled', report.settled, message.settled],
    ['exit', report.exitCode, message.exitCode],
    ['failed', names(report.failedUnits.map((u) => u.name)), names(message.failed)],
    ['masked', names(report.maskedUnits), names(message.masked)],
    ['crashed', names(crashList(report.crashes).split(',')), names(crashList(message.crashed).split(','))],
    ['errors', report.errors.length, message.errors],
    ['tests', statusList(report.tests), statusList(message.tests)],
  ];
  const differing = fields.filter(([, a, b]) => a !== b);
  if (differing.length === 0) return undefined;
  return differing
    .map(([name, a, b]) => `${name}: ${String(a)} in the report, ${String(b)} over vsock`)
    .join('; ');
}
