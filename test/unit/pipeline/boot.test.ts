import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../src/boot/verdict.js';
import { parseSummary } from '../../../src/mkosi/config.js';
import type { BootImageResult } from '../../../src/boot/boot-image.js';
import { shouldBoot } from '../../../src/boot/bootable.js';
import { settleBySeconds as settleSeconds } from '../../../src/boot/bounds.js';
import { defaultTimeoutSeconds } from '../../../src/boot/timeouts.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import {
  bootMarkdown,
  bootResultOutput,
  bootText,
  failedUnitRecords,
  timingLine,
} from '../../../src/report/boot-summary.js';

const summary = (name: string) =>
  parseSummary(readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8'));
const bootOptions = parseOptions(defaultInputs(), '/').boot;

describe('when to boot', () => {
  it('boots bootable disk images and UKIs by default, not directories', () => {
    expect(shouldBoot(bootOptions, summary('debian-bootable'))).toBe(true);
    expect(shouldBoot(bootOptions, summary('debian-bootable-uki'))).toBe(true);
    expect(shouldBoot(bootOptions, summary('debian-minimal'))).toBe(false);
    expect(shouldBoot({ ...bootOptions, enabled: 'no' }, summary('debian-bootable'))).toBe(false);
  });

  it('refuses boot: true for a format it cannot boot, naming the bootable ones', () => {
    expect(() => shouldBoot({ ...bootOptions, enabled: 'yes' }, summary('debian-minimal'))).toThrow(
      /Input boot: Format=directory images cannot be booted by mkosi-ci; bootable formats are disk, esp, uki/,
    );
  });

  it('scales the timeout to the accelerator and leaves room to watch and report', () => {
    expect(defaultTimeoutSeconds('kvm')).toBe(180);
    expect(defaultTimeoutSeconds('tcg')).toBe(600);
    expect(settleSeconds(600, 30)).toBe(420);
    expect(settleSeconds(180, 30)).toBe(105);
    expect(() => settleSeconds(60, 30)).toThrow(/^Input boot-timeout: 60 s leaves the guest 0 s to settle/);
  });
});

const unit = {
  name: 'planted-fail.service',
  load: 'loaded',
  active: 'failed',
  sub: 'failed',
  description: 'Planted',
  statusLine: 'failed (Result: exit-code) since Sun 2026-11-22 05:00:00 UTC; 3s ago',
  status: [],
};
const verdict: Verdict = {
  result: 'failed-units',
  failedUnits: [unit],
  allowedUnits: [{ ...unit, name: 'flaky.service', statusLine: undefined }],
  crashes: [],
  allowedCrashes: [],
  tests: [],
  failedTests: [],
  timings: { kernelMs: 5_600, initrdMs: 9_800, userspaceMs: 13_900, totalMs: 29_300 },
  reason: 'failed units: planted-fail.service (failed (Result: exit-code) since …)',
  report: undefined,
};
const boot: BootImageResult = {
  accel: 'tcg',
  accelReason: 'probe failed',
  cpuModel: 'max',
  transport: 'serial',
  firmware: 'uefi',
  emulator: 'tools tree /t',
  timeoutSeconds: 600,
  machine: {
    size: { memoryMiB: 2048, cpus: 1, memorySource: 'RAM=', cpusSource: 'boot-cpus' },
    firmware: { kind: 'uefi', source: 'default' },
    firmwareVariables: undefined,
    tpm: 'none (TPM=no)',
    credentials: [],
    qemuArgs: [],
    kernelCommandLineExtra: [],
  },
  testTimeoutSeconds: 300,
  logsDir: '/w/logs/boot',
  check: { verdict, durationMs: 68_500, logs: { console: '', report: '', qemu: '' } },
};

describe('the boot summary', () => {
  it('renders the verdict, the timings and a row per failed or tolerated unit', () => {
    expect(bootMarkdown(boot)).toEqual([
      '### ❌ Boot check: failed-units',
      '',
      "failed units: planted-fail.service (failed (Result: exit-code) since …) (TCG, uefi, report over serial, 1m 9s from qemu's start to its exit)",
      '',
      '| Machine | Value | From |',
      '| --- | --- | --- |',
      "| memory | `2048 MiB` | mkosi's RAM= |",
      '| CPUs | `1` | input boot-cpus |',
      '| firmware | `uefi` | default (auto) |',
      "| firmware variables | `OVMF's template` | default |",
      "| TPM | `none (TPM=no)` | mkosi's TPM= |",
      '',
      'Boot time: kernel 5.6s + initrd 9.8s + userspace 13.9s = 29.3s',
      '',
      '| Unit | Status | Tolerated |',
      '| --- | --- | --- |',
      '| `planted-fail.service` | failed (Result: exit-code) since Sun 2026-11-22 05:00:00 UTC; 3s ago | no |',
      '| `flaky.service` | failed failed | yes |',
      '',
      'Serial console, journal and unit status are kept in `/w/logs/boot`.',
    ]);
    expect(
      bootText({ ...boot, transport: 'vsock', check: { ...boot.check, vsockMessage: 'received' } })[1],
    ).toBe("  TCG, uefi, report over vsock (check message received), 1m 9s from qemu's start to its exit");
    expect(bootText({ ...boot, accel: 'kvm', cpuModel: 'max,pcid=off' })[1]).toMatch(
      /^ {2}KVM \(-cpu max,pcid=off\), uefi, /,
    );
    expect(bootText({ ...boot, accel: 'kvm', cpuModel: 'host' })[1]).toMatch(/^ {2}KVM, uefi, /);
    expect(bootText(boot)).toContain(
      '  failed: planted-fail.service: failed (Result: exit-code) since Sun 2026-11-22 05:00:00 UTC; 3s ago',
    );
  });

  it('lists crashed processes, tolerated ones marked, in the summary and the text', () => {
    const crash = {
      unit: 'planted-crash.service',
      executable: '/bin/sh',
      signal: 11,
      kind: 'dumped' as const,
    };
    const tolerated = { ...crash, unit: 'flaky.service', signal: 6, kind: 'killed' as const };
    const crashed: BootImageResult = {
      ...boot,
      check: {
        ...boot.check,
        verdict: {
          ...verdict,
          result: 'crashed',
          failedUnits: [],
          allowedUnits: [],
          crashes: [crash],
          allowedCrashes: [tolerated],
        },
      },
    };
    const markdown = bootMarkdown(crashed);
    expect(markdown[0]).toBe('### ❌ Boot check: crashed');
    expect(markdown.slice(markdown.indexOf('Crashed processes:'))).toEqual([
      'Crashed processes:',
      '',
      '- 💥 planted-crash.service: /bin/sh killed by SIGSEGV (core dumped)',
      '- flaky.service: /bin/sh killed by SIGABRT (tolerated)',
      '',
      'Serial console, journal and unit status are kept in `/w/logs/boot`.',
    ]);
    const text = bootText(crashed);
    expect(text).toContain('  crashed: planted-crash.service: /bin/sh killed by SIGSEGV (core dumped)');
    expect(text).toContain('  tolerated crash: flaky.service: /bin/sh killed by SIGABRT');
    expect(bootMarkdown(boot)).not.toContain('Crashed processes:');
  });

  it("says when qemu died on the host's side and the verdict is the second run's", () => {
    const retried = { ...boot, check: { ...boot.check, retried: 'qemu was killed by SIGKILL' } };
    const said =
      "qemu died on the host's side (qemu was killed by SIGKILL); the check started it once more: this verdict is the second run's.";
    const markdown = bootMarkdown(retried);
    const at = markdown.indexOf(`⚠️ ${said}`);
    expect(at).toBeGreaterThan(0);
    expect(markdown[at + 1]).toBe('');
    expect(markdown.slice(0, at).some((l) => l.startsWith('Boot time:'))).toBe(false);
    expect(bootText(retried)).toContain(`  retried: ${said}`);
    expect(bootMarkdown(boot).join('\n')).not.toContain('second run');
    expect(bootText(boot).join('\n')).not.toContain('retried');
  });

  it('says where the journal in export format is and how to read it, when it was kept', () => {
    const file = '/w/logs/boot/journal.export';
    const kept = { ...boot, check: { ...boot.check, logs: { ...boot.check.logs, journalExport: file } } };
    const reading = `/usr/lib/systemd/systemd-journal-remote --output=boot.journal ${file} && journalctl --file=boot.journal`;
    expect(bootMarkdown(kept).slice(-2)).toEqual([
      '',
      `The journal in export format is \`${file}\`; to read it: \`${reading}\``,
    ]);
    expect(bootText(kept).at(-1)).toBe(`  journal (export format): ${file}; read it with: ${reading}`);
    expect(bootText(boot).join('\n')).not.toContain('export format');
  });

  it('gives the failed-units output and leaves out phases that were not measured', () => {
    expect(failedUnitRecords(verdict)).toEqual([{ unit: 'planted-fail.service', status: unit.statusLine }]);
    expect(failedUnitRecords(undefined)).toEqual([]);
    expect(timingLine({ firmwareMs: 0, kernelMs: 1_000 })).toBe('kernel 1.0s');
    expect(timingLine({})).toBeUndefined();
  });
});

describe('the boot-result output', () => {
  it('is the verdict, error when the boot stage failed without one, skipped when nothing booted', () => {
    expect(bootResultOutput(verdict, 'boot')).toBe('failed-units');
    expect(bootResultOutput(undefined, 'boot')).toBe('error');
    expect(bootResultOutput(undefined, 'publish')).toBe('skipped');
    expect(bootResultOutput(undefined, undefined)).toBe('skipped');
  });
});
