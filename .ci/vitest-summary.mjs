// The closing line of .ci/run, from vitest's JSON report: `vitest: N passed, N failed (…)`.
// Every test that did not pass counts as failed: a failing beforeAll leaves its tests pending (they never
// ran), a todo or a skip is a test that did not run, and a file that failed to load has no tests at all.
import { readFileSync } from 'node:fs';

export function summarize(report) {
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  const counts = {
    failed: report.numFailedTests ?? 0,
    'not run': report.numPendingTests ?? 0,
    todo: report.numTodoTests ?? 0,
    'files that did not run': Math.max(brokenFiles, report.numRuntimeErrorTestSuites ?? 0),
  };
  let failed = Object.values(counts).reduce((a, b) => a + b, 0);
  // A run vitest itself calls unsuccessful is never "0 failed".
  if (report.success === false && failed === 0) failed = 1;
  const details = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  return `vitest: ${report.numPassedTests ?? 0} passed, ${failed} failed${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

if (process.argv[2]) {
  try {
    console.log(summarize(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
  } catch (error) {
    console.log(`vitest: no readable report (${error.message}): count it as failed`);
  }
}
