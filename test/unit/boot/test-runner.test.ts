import { describe, expect, it } from 'vitest';
import { findCheckMessage } from '../../../src/boot/check-message.js';
import { parseReport, type GuestReport } from '../../../src/boot/serial-report.js';
import { verdict, type VerdictInput } from '../../../src/boot/verdict.js';
import { runCheckScript, TEST_NONCE, type GuestRun, type GuestScenario } from '../../support/fake-guest.js';

/** The boot tests as the guest runs them: the real check script, real sh and coreutils, fake systemd. */

function parsed(run: GuestRun): GuestReport {
  const result = parseReport(run.report, TEST_NONCE);
  if (!result.found) throw new Error(`no report in ${JSON.stringify(run.report)} (stderr: ${run.stderr})`);
  return result.report;
}

function messagesOf(run: GuestRun) {
  return run.notify.flatMap((n) =>
    n.args
      .filter((a) => a.includes('='))
      .map((a) => ({ key: a.slice(0, a.indexOf('=')), value: a.slice(a.indexOf('=') + 1) })),
  );
}

function judge(run: GuestRun, expected: string[], overrides: Partial<VerdictInput> = {}) {
  return verdict({
    report: parseReport(run.report, TEST_NONCE),
    panic: undefined,
    timedOut: false,
    timeoutSeconds: 300,
    qemuExitCode: 0,
    allowFailed: [],
    expectedTests: expected,
    testTimeoutSeconds: 2,
    vsock:
      run.notify.length > 0
        ? { message: findCheckMessage(messagesOf(run), TEST_NONCE), exitStatus: run.exit }
        : undefined,
    ...overrides,
  });
}

const PLANTED: Record<string, string> = {
  '10-pass': `#!/bin/sh
echo "id=$MKOSI_CI_IMAGE_ID version=$MKOSI_CI_IMAGE_VERSION host=$MKOSI_CI_HOST name=$MKOSI_CI_TEST_NAME"
echo "cwd=$(pwd) results=$MKOSI_CI_TEST_RESULTS creds=\${CREDENTIALS_DIRECTORY:-unset}"
`,
  '20-fail': `#!/bin/sh
echo "checking the thing"
echo "the thing is broken" >&2
exit 3
`,
  '30-hang': `#!/bin/sh
echo "waiting forever"
exec sleep 60
`,
  '40-skip': `#!/bin/sh
echo "not for this image"
exit 77
`,
};

function runPlanted(extra: Partial<Parameters<typeof runCheckScript>[0]> = {}, scenario: GuestScenario = {}) {
  return runCheckScript(
    { tests: { names: Object.keys(PLANTED), timeoutSeconds: 2 }, ...extra },
    { tests: PLANTED, ...scenario },
  );
}

describe('the boot tests in the guest check script', { timeout: 60_000 }, () => {
  it('runs each test in order with its environment, reports pass, failure, timeout and skip, and exits 1', () => {
    const run = runPlanted();
    expect(run.stderr).toBe('');
    const report = parsed(run);
    expect(report.tests.map((t) => [t.name, t.status, t.outcome])).toEqual([
      ['10-pass', 0, 'passed'],
      ['20-fail', 3, 'failed'],
      ['30-hang', 'timeout', 'timed-out'],
      ['40-skip', 77, 'skipped'],
    ]);
    const [pass, fail, hang] = report.tests;
    const results = `${run.dir}/test-results/10-pass`;
    expect(pass!.output).toEqual([
      'id=planted version=1.2 host=10.0.2.2 name=10-pass',
      `cwd=${results} results=${results} creds=unset`,
    ]);
    expect(fail!.output).toEqual(['checking the thing', 'the thing is broken']);
    expect(fail!.bytes).toBe('checking the thing\nthe thing is broken\n'.length);
    expect(hang!.seconds).toBeGreaterThanOrEqual(2);
    expect(hang!.seconds).toBeLessThan(10);
    expect(report.exitCode).toBe(1);
    expect(run.exit).toBe(1);
    // A failing test is a failure of the boot: the journal comes with it.
    expect(report.journal.length).toBeGreaterThan(0);
    const v = judge(run, Object.keys(PLANTED));
    expect(v).toMatchObject({
      result: 'test-failed',
      reason: 'failed tests: 20-fail (exit 3: "the thing is broken"), 30-hang (timed out after 2 s)',
    });
    expect(v.failedTests.map((t) => t.name)).toEqual(['20-fail', '30-hang']);
  });

  it('sends each result over vsock, and the failing tests with the end of their output', () => {
    const run = runPlanted({ notifySocket: 'vsock-stream:2:8125' });
    const [check, ...tests] = run.notify[0]!.args.slice(1);
    expect(check).toBe(
      `X_MKOSI_CI_CHECK=${TEST_NONCE} exit=1 state=running settle=done failed= masked= crashed= errors=0 tests=10-pass:0,20-fail:3,30-hang:timeout,40-skip:77`,
    );
    const tail = (text: string) => Buffer.from(text).toString('base64');
    expect(tests).toEqual([
      `X_MKOSI_CI_TEST_1=${TEST_NONCE} 20-fail 3 ${tail('checking the thing\nthe thing is broken\n')}`,
      `X_MKOSI_CI_TEST_2=${TEST_NONCE} 30-hang timeout ${tail('waiting forever\n')}`,
    ]);
    // Both channels agree; the message alone (serial report lost) still names the failures and why.
    expect(judge(run, Object.keys(PLANTED)).result).toBe('test-failed');
    const lost = judge({ ...run, report: '' }, Object.keys(PLANTED));
    expect(lost).toMatchObject({
      result: 'test-failed',
      reason: 'failed tests: 20-fail (exit 3: "the thing is broken"), 30-hang (timed out after 2 s)',
    });
    expect(lost.tests.find((t) => t.name === '40-skip')?.outcome).toBe('skipped');
  });

  it('passes when every test passes or skips, saying which were skipped', () => {
    const tests = { a: '#!/bin/sh\necho fine\n', b: '#!/bin/sh\nexit 77\n' };
    const run = runCheckScript(
      { tests: { names: ['a', 'b'], timeoutSeconds: 5 }, notifySocket: 'vsock:2:9' },
      { tests },
    );
    expect(run.exit).toBe(0);
    expect(parsed(run).journal).toEqual([]);
    expect(judge(run, ['a', 'b'])).toMatchObject({
      result: 'passed',
      reason: 'the system is running; tests: 1 passed, 1 skipped (b)',
    });
  });

  it('does not run the tests on a system that already failed', () => {
    const run = runPlanted(
      {},
      { state: 'degraded', wait: { exit: 1 }, failed: [['x.service loaded failed failed X']] },
    );
    expect(parsed(run).tests).toEqual([]);
    expect(judge(run, Object.keys(PLANTED)).result).toBe('failed-units');
  });

  it('calls a test that exits 124 by itself failed, not timed out', () => {
    const run = runCheckScript(
      { tests: { names: ['quick'], timeoutSeconds: 20 } },
      { tests: { quick: '#!/bin/sh\nexit 124\n' } },
    );
    expect(parsed(run).tests.map((t) => [t.status, t.outcome])).toEqual([[124, 'failed']]);
  });

  it('reports a test it could not prepare as an error, never as a pass', () => {
    const run = runCheckScript({ tests: { names: ['gone'], timeoutSeconds: 5 } }, { tests: {} });
    const report = parsed(run);
    expect(report.errors).toEqual([expect.stringMatching(/^preparing test gone failed: cp: /)]);
    expect(run.exit).toBe(1);
    expect(judge(run, ['gone']).result).toBe('inconclusive');
  });

  it('carries the last 64 KiB of a long output and says how much there was', () => {
    const run = runCheckScript(
      { tests: { names: ['loud'], timeoutSeconds: 20 } },
      { tests: { loud: '#!/bin/sh\ni=0\nwhile [ $i -lt 20000 ]; do echo "line $i"; i=$((i + 1)); done\n' } },
    );
    const [loud] = parsed(run).tests;
    expect(loud!.bytes).toBeGreaterThan(65536);
    expect(loud!.output.at(-1)).toBe('line 19999');
    expect(loud!.output.join('\n').length).toBeLessThanOrEqual(65536);
  });
});

describe('the result files of boot tests', { timeout: 30_000 }, () => {
  it('sends back the JUnit XML and TAP files a test left, and nothing else', () => {
    const test = `#!/bin/sh
printf '<testcase name="a"><failure/></testcase>\\n' >"$MKOSI_CI_TEST_RESULTS/junit.xml"
printf 'ok 1\\nnot ok 2 - b\\n' >results.tap
echo secret >notes.txt
echo x >"bad name.xml"
exit 1
`;
    const run = runCheckScript({ tests: { names: ['t'], timeoutSeconds: 9 } }, { tests: { t: test } });
    const [t] = parsed(run).tests;
    expect(t!.files).toEqual([
      { file: 'junit.xml', lines: ['<testcase name="a"><failure/></testcase>'] },
      { file: 'results.tap', lines: ['ok 1', 'not ok 2 - b'] },
    ]);
    expect(run.report).not.toContain('secret');
  });
});

describe('the verdict on boot tests', () => {
  it('is inconclusive when a test the guest was given reported nothing', () => {
    const run = runCheckScript(
      { tests: { names: ['a'], timeoutSeconds: 5 } },
      { tests: { a: '#!/bin/sh\ntrue\n' } },
    );
    expect(judge(run, ['a']).result).toBe('passed');
    expect(judge(run, ['a', 'b'])).toMatchObject({
      result: 'inconclusive',
      reason: 'no result from boot test(s): b',
    });
  });
});
