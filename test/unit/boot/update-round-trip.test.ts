import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOldDisk, judgeFirstBoot, judgeSecondBoot } from '../../../src/boot/update-round-trip.js';
import { UPDATE_TEST_NAME } from '../../../src/boot/update-test.js';
import type { TestResult } from '../../../src/boot/test-results.js';
import type { BootResult, Verdict } from '../../../src/boot/verdict.js';

function test(name: string, status: number, output: string[]): TestResult {
  const outcome = status === 0 ? 'passed' : status === 77 ? 'skipped' : 'failed';
  return { name, status, outcome, seconds: 1, bytes: 0, output };
}

function verdict(result: BootResult, tests: TestResult[], reason = 'why'): Verdict {
  return {
    result,
    failedUnits: [],
    allowedUnits: [],
    crashes: [],
    allowedCrashes: [],
    tests,
    failedTests: tests.filter((t) => t.outcome === 'failed'),
    timings: {},
    reason,
    report: undefined,
  };
}

const running = (v: string): string => `update-round-trip: running ${v}`;

describe('the first boot of the update round trip', () => {
  it('goes on to the second boot when the old version installed the update', () => {
    const v = verdict('passed', [
      test(UPDATE_TEST_NAME, 0, [running('1.0'), 'update-round-trip: installed 2.0']),
    ]);
    expect(judgeFirstBoot(v, '2.0')).toBeUndefined();
  });

  it('is update-failed with the end of what systemd-sysupdate said when the update test failed', () => {
    const output = [
      running('1.0'),
      'DOWNLOAD INVALID: Signature verification failed.',
      'update-round-trip: systemd-sysupdate update 2.0 exited with 1',
    ];
    const judged = judgeFirstBoot(verdict('test-failed', [test(UPDATE_TEST_NAME, 1, output)]), '2.0');
    expect(judged?.result).toBe('update-failed');
    expect(judged?.reason).toContain('Signature verification failed');
  });

  it('is boot-failed when the boot itself failed, or another test did, with that verdict', () => {
    expect(judgeFirstBoot(verdict('failed-units', [], 'failed units: x.service'), '2.0')).toEqual({
      result: 'boot-failed',
      reason: 'the first boot: failed-units: failed units: x.service',
    });
    const other = verdict('test-failed', [test('mine', 1, []), test(UPDATE_TEST_NAME, 0, [running('1.0')])]);
    expect(judgeFirstBoot(other, '2.0')?.result).toBe('boot-failed');
  });

  it('is boot-failed when the old disk already runs the new version: nothing would be proved', () => {
    const v = verdict('passed', [test(UPDATE_TEST_NAME, 0, [running('2.0')])]);
    expect(judgeFirstBoot(v, '2.0')?.reason).toContain('did not run the old version (it saw 2.0)');
    expect(judgeFirstBoot(verdict('passed', []), '2.0')?.reason).toContain('it saw none');
  });
});

describe('the second boot of the update round trip', () => {
  it('passes only when it runs the new version', () => {
    const v = verdict('passed', [test(UPDATE_TEST_NAME, 0, [running('2.0')])]);
    expect(judgeSecondBoot(v, '1.0', '2.0')).toEqual({
      result: 'passed',
      reason: 'updated from 1.0 to 2.0, and the second boot runs 2.0',
    });
  });

  it('is not-updated when the system came back as the old version', () => {
    const output = [running('1.0'), 'update-round-trip: installed 2.0, but the system booted 1.0 again'];
    const judged = judgeSecondBoot(verdict('test-failed', [test(UPDATE_TEST_NAME, 1, output)]), '1.0', '2.0');
    expect(judged).toEqual({
      result: 'not-updated',
      reason: '2.0 was installed, but the second boot ran 1.0',
    });
  });

  it('is boot-failed when the new version does not boot cleanly', () => {
    const judged = judgeSecondBoot(verdict('did-not-boot', [], 'no report'), '1.0', '2.0');
    expect(judged).toEqual({ result: 'boot-failed', reason: 'the second boot: did-not-boot: no report' });
    const failedUnit = verdict('failed-units', [test(UPDATE_TEST_NAME, 0, [running('2.0')])], 'x');
    expect(judgeSecondBoot(failedUnit, '1.0', '2.0').result).toBe('boot-failed');
  });
});

describe('update-from', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'update-from-'));
  const gpt = Buffer.alloc(1024);
  gpt.write('EFI PART', 512, 'latin1');

  it('takes a file as it is, and in a directory the one .raw file with a partition table', async () => {
    writeFileSync(path.join(dir, 'os_1.raw'), gpt);
    writeFileSync(path.join(dir, 'os_1.root-0123.raw'), Buffer.alloc(1024));
    writeFileSync(path.join(dir, 'SHA256SUMS'), '');
    expect(await findOldDisk(path.join(dir, 'SHA256SUMS'))).toBe(path.join(dir, 'SHA256SUMS'));
    expect(await findOldDisk(dir)).toBe(path.join(dir, 'os_1.raw'));
  });

  it('refuses a directory with two disks or none, and a path that does not exist, naming the input', async () => {
    const two = mkdtempSync(path.join(os.tmpdir(), 'update-from-'));
    writeFileSync(path.join(two, 'a.raw'), gpt);
    writeFileSync(path.join(two, 'b.raw'), gpt);
    await expect(findOldDisk(two)).rejects.toThrow(/update-from: .* holds 2 disk images \(a\.raw, b\.raw\)/);
    const none = mkdtempSync(path.join(os.tmpdir(), 'update-from-'));
    writeFileSync(path.join(none, 'a.raw.zst'), gpt);
    await expect(findOldDisk(none)).rejects.toThrow(/holds no uncompressed \.raw disk image/);
    await expect(findOldDisk(path.join(none, 'missing'))).rejects.toThrow(
      /update-from: .*missing does not exist/,
    );
  });
});
