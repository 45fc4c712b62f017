import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { annotations, runAction, type ActionRun } from '../support/action-harness.js';
import { expectNoStackTrace } from '../support/assertions.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';

/**
 * Planted faults, each booted in real qemu through the bundled action. The planted-faults profile of
 * debian-bootable is built once (by the first case); each case then picks its fault at boot time with
 * KernelCommandLineExtra= and force 0, so mkosi keeps the image and only the boot differs.
 */
describe('the boot check on planted faults', () => {
  const outputDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'faults-')), 'out');
  const BOOT_MINUTES = 12 * 60_000;

  function bootWith(kernelCommandLineExtra: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
    return runAction({
      inputs: {
        directory: path.join(TEST_PROJECTS, 'debian-bootable'),
        profiles: 'planted-faults',
        mirror: debianMirror(),
        'tools-tree': TOOLS_TREE,
        'boot-transport': 'serial',
        force: '0',
        args: [
          `--output-directory=${outputDir}`,
          `--package-cache-directory=${PACKAGE_CACHE}`,
          `--kernel-command-line-extra=${kernelCommandLineExtra}`,
        ].join('\n'),
        ...inputs,
      },
    });
  }

  let failing: ActionRun;
  beforeAll(async () => {
    failing = await bootWith('systemd.wants=planted-fail.service', { force: '1' });
  }, BOOT_MINUTES * 2);

  it('fails on a unit that exits 1, naming it with its status line', () => {
    expect(failing.main.exitCode, failing.main.log.slice(-4000)).toBe(1);
    expect(failing.outputs['boot-result']).toBe('failed-units');
    expect(JSON.parse(failing.outputs['failed-units']!)).toEqual([
      { unit: 'planted-fail.service', status: expect.stringMatching(/^failed \(Result: exit-code\)/) },
    ]);
    const errors = annotations(failing.main.log, 'error');
    expect(errors[0]).toMatch(/^planted-fail\.service failed: failed \(Result: exit-code\)/);
    expect(errors.at(-1)).toMatch(
      /Boot check of debian-bootable\.raw: failed-units: failed units: planted-fail\.service/,
    );
    expectNoStackTrace(failing.main.log);
    expect(failing.summary).toContain('Boot check: failed-units');
    expect(failing.summary).toMatch(/\| `planted-fail\.service` \| failed \(Result: exit-code\)/);
  });

  it('keeps the serial console, the journal and the status of the failed unit', () => {
    const logs = path.join(failing.outputs.logs!, 'boot');
    expect(readFileSync(path.join(logs, 'serial-console.log'), 'utf8').length).toBeGreaterThan(1000);
    expect(readFileSync(path.join(logs, 'journal.txt'), 'utf8')).toContain('planted failure');
    expect(readFileSync(path.join(logs, 'failed-units.txt'), 'utf8')).toContain('planted-fail.service');
  });

  it(
    'passes when the same unit is masked',
    async () => {
      const run = await bootWith('systemd.wants=planted-fail.service systemd.mask=planted-fail.service');
      expect(run.main.exitCode, run.main.log.slice(-4000)).toBe(0);
      expect(run.outputs['boot-result']).toBe('passed');
      expect(JSON.parse(run.outputs['failed-units']!)).toEqual([]);
      expect(run.summary).toContain('Boot check: passed');
    },
    BOOT_MINUTES,
  );

  it(
    'fails on a unit that fails 20 s after the boot completed (the check watches 30 s)',
    async () => {
      const run = await bootWith('systemd.wants=planted-late.service');
      expect(run.main.exitCode, run.main.log.slice(-4000)).toBe(1);
      expect(run.outputs['boot-result']).toBe('failed-units');
      expect(JSON.parse(run.outputs['failed-units']!)).toEqual([
        { unit: 'planted-late.service', status: expect.stringMatching(/^failed/) },
      ]);
    },
    BOOT_MINUTES,
  );

  it(
    'tolerates a failed unit that boot-allow-failed names',
    async () => {
      const run = await bootWith('systemd.wants=planted-fail.service', { 'boot-allow-failed': 'planted-*' });
      expect(run.main.exitCode, run.main.log.slice(-4000)).toBe(0);
      expect(run.outputs['boot-result']).toBe('passed');
      expect(run.summary).toMatch(/\| `planted-fail\.service` \| .* \| yes \|/);
    },
    BOOT_MINUTES,
  );

  it(
    'says did-not-boot when the guest never reaches its init, within the timeout',
    async () => {
      const started = Date.now();
      const run = await bootWith('init=/nonexistent', { 'boot-timeout': '150' });
      expect(run.main.exitCode).toBe(1);
      expect(run.outputs['boot-result']).toBe('did-not-boot');
      expect(annotations(run.main.log, 'error').at(-1)).toMatch(
        /did-not-boot: the guest did not boot: no report within the 150 s timeout/,
      );
      expect(Date.now() - started).toBeLessThan(240_000);
      expect(existsSync(path.join(run.outputs.logs!, 'boot/serial-console.log'))).toBe(true);
    },
    BOOT_MINUTES,
  );

  it(
    'says panicked when the kernel panics',
    async () => {
      const run = await bootWith('rdinit=/nonexistent');
      expect(run.main.exitCode).toBe(1);
      expect(run.outputs['boot-result']).toBe('panicked');
      expect(annotations(run.main.log, 'error').at(-1)).toMatch(
        /panicked: the guest crashed: .*Kernel panic/,
      );
    },
    BOOT_MINUTES,
  );
});
