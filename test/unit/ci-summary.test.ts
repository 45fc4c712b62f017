import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/paths.js';

/** The closing line .ci/run prints, from a vitest JSON report. */
function closingLine(report: object | string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vitest-report-')), 'report.json');
  writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  return execFileSync(process.execPath, [path.join(REPO, '.ci/vitest-summary.mjs'), file], {
    encoding: 'utf8',
  }).trim();
}

describe('the closing line of .ci/run', () => {
  it('counts tests a failing beforeAll left pending, todos and files that did not load as failed', () => {
    // A real vitest 4 report: a beforeAll that threw, a file whose import failed, a todo and a skip.
    expect(
      closingLine(readFileSync(path.join(REPO, 'test/fixtures/vitest/setup-failures.json'), 'utf8')),
    ).toBe('vitest: 1 passed, 6 failed (3 not run, 1 todo, 2 files that did not run)');
  });

  it('says 0 failed only for a run that passed', () => {
    const passed = {
      success: true,
      numPassedTests: 12,
      numFailedTests: 0,
      numPendingTests: 0,
      numTodoTests: 0,
      testResults: [{ status: 'passed', assertionResults: [{ status: 'passed' }] }],
    };
    expect(closingLine(passed)).toBe('vitest: 12 passed, 0 failed');
    expect(closingLine({ ...passed, success: false })).toBe('vitest: 12 passed, 1 failed');
    expect(closingLine({ ...passed, numFailedTests: 2, success: false })).toBe(
      'vitest: 12 passed, 2 failed (2 failed)',
    );
    expect(closingLine({ ...passed, numRuntimeErrorTestSuites: 1, success: false })).toBe(
      'vitest: 12 passed, 1 failed (1 files that did not run)',
    );
    expect(closingLine('{')).toMatch(/^vitest: no readable report \(.*\): count it as failed$/);
  });
});
