// bench/boot-test: what the boot-test stage itself costs. The same boot check of debian-bootable, with
// and without one trivial test (`true`), alternated round by round; the guest's own clock gives the time
// from the settled boot to the report, so the difference is the test stage: carrying the test in,
// running it, collecting its output. The issue's figure: under 2 s plus the tests' own run time.
//
//   npx tsx bench/boot-test.ts [--image PATH] [--tools-tree PATH] [--rounds 3]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findEmulator } from '../src/boot/emulator.js';
import { bootCheck, DEFAULT_KERNEL_CMDLINE_EXTRA } from '../src/boot/run-boot.js';
import { consoleLog } from '../src/cli/log.js';
import { ProcessRunner } from '../src/process/runner.js';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: '/var/cache/mkosi-ci-test/out/debian-bootable/debian-bootable.raw' },
    'tools-tree': { type: 'string', default: '/var/cache/mkosi-ci-test/tools/mkosi.tools' },
    rounds: { type: 'string', default: '3' },
  },
});

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-boot-test-'));
const runner = new ProcessRunner(() => undefined, process.env);
const ctx = {
  runner,
  log: consoleLog(
    () => false,
    (t) => process.stderr.write(t),
  ),
};
// A private copy, so the tests rebuilding the image cannot change it under the bench.
const image = path.join(scratch, 'image.raw');
copyFileSync(values.image, image);
const emulator = await findEmulator(values['tools-tree'], (c) => runner.which(c));
if (!emulator?.ovmf) throw new Error('no qemu with OVMF in the tools tree or on the host');
const ovmf = emulator.ovmf;
const TRIVIAL = { name: 'trivial', content: Buffer.from('#!/bin/sh\ntrue\n') };

interface Side {
  wallS: number;
  /** Guest seconds from the settled boot to the report. */
  reportS: number;
  /** The tests' own run time, as the guest measured it. */
  testsS: number;
}

async function check(withTest: boolean): Promise<Side> {
  const run = await bootCheck(ctx, {
    qemu: emulator!.qemu,
    image: { path: image, format: 'raw' },
    firmware: { kind: 'uefi', code: ovmf.code, vars: ovmf.varsTemplate },
    accel: 'tcg',
    memoryMiB: 2048,
    cpus: 2,
    timeoutSeconds: 900,
    settleBySeconds: 800,
    watchSeconds: 0,
    journal: 'on-failure',
    channel: { kind: 'serial' },
    allowFailed: [],
    kernelCmdlineExtra: DEFAULT_KERNEL_CMDLINE_EXTRA,
    logsDir: mkdtempSync(path.join(scratch, 'check-')),
    ...(withTest ? { tests: [TRIVIAL], testTimeoutSeconds: 60 } : {}),
  });
  const report = run.verdict.report;
  if (run.verdict.result !== 'passed' || report?.settledAt === undefined || report.reportedAt === undefined) {
    throw new Error(`boot check ${run.verdict.result}: ${run.verdict.reason}`);
  }
  const testsS = run.verdict.tests.reduce((sum, t) => sum + (t.seconds ?? 0), 0);
  return { wallS: run.durationMs / 1000, reportS: report.reportedAt - report.settledAt, testsS };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const without: Side[] = [];
const withTest: Side[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const side of round % 2 ? [false, true] : [true, false]) {
    const r = await check(side);
    (side ? withTest : without).push(r);
    console.log(
      `round ${round} ${side ? 'with test   ' : 'without test'}: wall ${r.wallS.toFixed(1)} s, settled→report ${r.reportS.toFixed(2)} s guest, tests ${r.testsS.toFixed(2)} s`,
    );
  }
}
const stage = median(withTest.map((s) => s.reportS)) - median(without.map((s) => s.reportS));
const testsRun = median(withTest.map((s) => s.testsS));
console.log(
  `medians: wall ${median(without.map((s) => s.wallS)).toFixed(1)} s without, ${median(withTest.map((s) => s.wallS)).toFixed(1)} s with; ` +
    `settled→report ${median(without.map((s) => s.reportS)).toFixed(2)} s without, ${median(withTest.map((s) => s.reportS)).toFixed(2)} s with: ` +
    `the test stage costs ${stage.toFixed(2)} s guest time, of which the test ran ${testsRun.toFixed(2)} s (target: stage − tests < 2 s: ${(stage - testsRun).toFixed(2)} s)`,
);
rmSync(scratch, { recursive: true, force: true });
