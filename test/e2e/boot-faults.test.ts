import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSourceCli, type CliRun } from '../support/action-harness.js';
import { expectNoStackTrace } from '../support/assertions.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';

/**
 * Planted faults, each booted in real qemu through the CLI, over both transports where the transport
 * takes part in the verdict: vsock (the check's message with the nonce and systemd's EXIT_STATUS= next
 * to the serial report) and serial alone. The planted-faults profile of debian-bootable is built once;
 * each case picks its faults at boot time with KernelCommandLineExtra= (systemd.wants=, systemd.mask=,
 * init=), so only the boot differs. Cases that can share a boot do (a late failure next to a tolerated
 * one; a tolerated failure next to a masked unit), and the timeouts are the shortest the check accepts
 * for what each case waits for.
 *
 * The CLI runs from src/ (tsx): the bundle in dist/ is rebuilt when this lands.
 */
const PROJECT = path.join(TEST_PROJECTS, 'debian-bootable');
const BOOT_MINUTES = 12 * 60_000;
const outputDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'faults-')), 'out');

const common = [
  `--directory=${PROJECT}`,
  '--profiles=planted-faults',
  `--mirror=${debianMirror()}`,
  `--tools-tree=${TOOLS_TREE}`,
  `--args=--output-directory=${outputDir}`,
  `--args=--package-cache-directory=${PACKAGE_CACHE}`,
  // Not about caches: no incremental cache kept in this machine's home.
  '--cache=false',
];

interface FaultRun extends CliRun {
  /** `boot check: RESULT: REASON`, the verdict line the CLI prints. */
  verdict: string;
  logs: string;
  log: (name: string) => string;
}

async function bootWith(
  transport: 'vsock' | 'serial',
  kernelCommandLineExtra: string,
  flags: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<FaultRun> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `faults-${transport}-`));
  const run = await runSourceCli(
    [
      'boot',
      ...common,
      `--boot-transport=${transport}`,
      `--args=--kernel-command-line-extra=${kernelCommandLineExtra}`,
      `--work-dir=${workDir}`,
      ...flags,
    ],
    env,
  );
  const logs = path.join(workDir, 'logs/boot');
  const log = (name: string): string =>
    existsSync(path.join(logs, name)) ? readFileSync(path.join(logs, name), 'utf8') : '';
  const verdict = /^boot check: .*$/m.exec(run.stdout)?.[0] ?? `no verdict in: ${run.stdout.slice(-3000)}`;
  return { ...run, verdict, logs, log };
}

/**
 * An environment whose PATH finds a vhost-device-vsock that fails to start the first time it is run
 * and is the real one after: qemu then cannot connect to the vhost-user socket and exits 1 at once with
 * its own `qemu-system-x86_64: -chardev …` error, a host-side death the check must retry once.
 */
function flakyVsockDaemon(): NodeJS.ProcessEnv {
  const real = execFileSync('sh', ['-c', 'command -v vhost-device-vsock'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flaky-vsock-'));
  writeFileSync(
    path.join(dir, 'vhost-device-vsock'),
    `#!/bin/sh
if [ ! -e "$0.failed" ]; then
  touch "$0.failed"
  echo 'vhost-device-vsock: planted start failure' >&2
  exit 1
fi
exec ${real} "$@"
`,
  );
  chmodSync(path.join(dir, 'vhost-device-vsock'), 0o755);
  return { ...process.env, PATH: `${dir}:${process.env.PATH}` };
}

beforeAll(async () => {
  const build = await runSourceCli(['build', ...common, '--boot=false']);
  expect(build.status, build.stdout.slice(-4000) + build.stderr.slice(-2000)).toBe(0);
}, 30 * 60_000);

describe.each(['vsock', 'serial'] as const)('the boot check on planted faults, over %s', (transport) => {
  const vsock = transport === 'vsock';

  it(
    'fails on a unit that fails after the boot, naming it, and does not let a tolerated one hide it',
    async () => {
      const run = await bootWith(
        transport,
        'systemd.wants=planted-fail.service systemd.wants=planted-late.service',
        ['--boot-allow-failed=planted-fail'],
      );
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toMatch(/^boot check: failed-units: failed units: planted-late\.service \(failed/);
      expect(run.stdout).toContain('  tolerated: planted-fail.service');
      expect(run.stdout).not.toContain('failed: planted-fail.service');
      expect(run.stdout).toContain(`report over ${transport}${vsock ? ' (check message received)' : ','}`);
      expect(run.log('serial-console.log').length).toBeGreaterThan(1000);
      expect(run.log('journal.txt')).toContain('planted late failure');
      expect(run.log('failed-units.txt')).toContain('planted-late.service');
      expectNoStackTrace(run.stdout + run.stderr);
      // The guest's own status is the verdict's: 1, although the tolerated unit alone would be 0.
      if (vsock) expect(run.log('vsock-notifications.log')).toMatch(/ EXIT_STATUS=1\n/);
    },
    BOOT_MINUTES,
  );

  it(
    'passes when every failed unit is tolerated and the other is masked, and the guest exits 0',
    async () => {
      const run = await bootWith(
        transport,
        'systemd.wants=planted-fail.service systemd.wants=planted-late.service systemd.mask=planted-late.service',
        ['--boot-allow-failed=planted-fail', '--boot-watch=10'],
        // Over vsock, the first qemu also dies on the host's side (see flakyVsockDaemon).
        vsock ? flakyVsockDaemon() : process.env,
      );
      expect(run.status, run.stdout.slice(-4000)).toBe(0);
      expect(run.verdict).toMatch(
        /^boot check: passed: the system is degraded; tolerated: planted-fail\.service \(failed \(Result: exit-code\)/,
      );
      if (vsock) {
        expect(run.stdout).toContain('report over vsock (check message received)');
        // Tolerated units used to make the guest exit 1 over vsock.
        expect(run.log('vsock-notifications.log')).toMatch(/ EXIT_STATUS=0\n/);
        expect(run.stdout).toContain(
          "  retried: qemu died on the host's side (qemu exited with status 1 before the guest printed anything: qemu-system-x86_64: -chardev socket,id=vsock,",
        );
        expect(run.log('qemu-attempt-1.log')).toContain('planted start failure');
      } else {
        expect(run.stdout).not.toContain('retried');
      }
    },
    BOOT_MINUTES,
  );

  it(
    'says did-not-boot when a unit powers the guest off before the check runs',
    async () => {
      const run = await bootWith(transport, 'systemd.wants=planted-poweroff.service');
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toBe(
        `boot check: did-not-boot: the guest did not boot: it powered off or rebooted before the check reported${vsock ? ' (systemd sent EXIT_STATUS=0 over vsock as it shut down)' : ''}`,
      );
    },
    BOOT_MINUTES,
  );
});

/**
 * Faults whose verdict the transport does not decide, booted over one transport each (each boot costs
 * CI one to three minutes of TCG): a boot that never settles is reported by the guest's check like any
 * other report (over vsock here); a PID 1 that is not systemd and a kernel panic send nothing over
 * either transport, so the verdict comes from the timeout and the console alone, and a reboot before
 * the check from qemu's exit without a report (over serial here; powering off is booted over both, for
 * systemd's EXIT_STATUS=).
 */
describe('the boot check on faults the transport does not decide', () => {
  it(
    'says did-not-boot when a failing unit reboots the guest before the check runs',
    async () => {
      const run = await bootWith('serial', 'systemd.wants=planted-reboot.service');
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toMatch(
        /^boot check: did-not-boot: the guest did not boot: it powered off or rebooted before the check reported/,
      );
      expect(run.log('serial-console.log')).toContain('planted-reboot.service');
    },
    BOOT_MINUTES,
  );

  it(
    'says did-not-boot when the boot never settles, naming the job it waits for',
    async () => {
      const run = await bootWith('vsock', 'systemd.wants=planted-hang.service', [
        '--boot-timeout=180',
        '--boot-watch=0',
      ]);
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toMatch(
        /^boot check: did-not-boot: the boot did not settle in time \(state starting\); still queued: (.*, )?planted-hang\.service start/,
      );
    },
    BOOT_MINUTES,
  );

  it(
    'says did-not-boot when PID 1 is not systemd, within the shortest timeout it accepts',
    async () => {
      const started = Date.now();
      const run = await bootWith('serial', 'init=/bin/sh', ['--boot-timeout=75', '--boot-watch=0']);
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toBe(
        'boot check: did-not-boot: the guest did not boot: no report within the 75 s timeout',
      );
      // mkosi's summary and the KVM probe come first; qemu itself is killed after 75 s.
      expect(Date.now() - started).toBeLessThan(240_000);
      expect(run.log('serial-console.log').length).toBeGreaterThan(0);
    },
    BOOT_MINUTES,
  );

  it(
    'says panicked when the kernel panics',
    async () => {
      const run = await bootWith('serial', 'rdinit=/nonexistent');
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toMatch(/^boot check: panicked: the guest crashed: .*Kernel panic/);
    },
    BOOT_MINUTES,
  );
});

/** A directory of boot tests: one passes (and checks what it is told), one fails, one hangs, one skips. */
function plantedTests(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'planted-tests-'));
  const tests = {
    '10-pass': `#!/bin/sh
echo "image=$MKOSI_CI_IMAGE_ID version=$MKOSI_CI_IMAGE_VERSION host=$MKOSI_CI_HOST results=$MKOSI_CI_TEST_RESULTS"
echo "cpus=$(nproc) $(grep MemTotal /proc/meminfo)"
echo "credential=$(cat /run/credentials/@system/e2e.runtime) qemu-args=$(cat /run/credentials/@system/e2e.qemu)"
[ "$MKOSI_CI_IMAGE_ID" = debian-bootable ] && [ "$(systemctl is-system-running)" = running ]
`,
    '20-fail': `#!/bin/sh
printf '<testsuite><testcase classname="planted" name="ok"/><testcase classname="planted" name="broken"><failure/></testcase></testsuite>\\n' >junit.xml
echo "planted failure: $(uname -s)" >&2
exit 1
`,
    '30-hang': '#!/bin/sh\necho hanging\nexec sleep 3600\n',
    '40-skip': '#!/bin/sh\necho "not on this image"\nexit 77\n',
  };
  for (const [name, text] of Object.entries(tests)) {
    writeFileSync(path.join(dir, name), text);
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

/** A copy of the tools tree's OVMF variable store, to hand mkosi as FirmwareVariables=. */
function firmwareVariables(): { file: string; bytes: Buffer } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ovmf-vars-')), 'vars.fd');
  copyFileSync(path.join(TOOLS_TREE, 'usr/share/OVMF/OVMF_VARS_4M.fd'), file);
  return { file, bytes: readFileSync(file) };
}

describe('boot tests', () => {
  it(
    'runs a directory of tests in the guest: test-failed names the failing and the hung one, the skip is reported, the output kept',
    async () => {
      const vars = firmwareVariables();
      const run = await bootWith('vsock', 'quiet', [
        `--boot-test=${plantedTests()}`,
        '--boot-test-timeout=20',
        '--boot-watch=0',
        // mkosi's [Runtime] RAM= and CPUs= size the guest when boot-ram and boot-cpus are not given.
        '--args=--ram=1536M',
        '--args=--cpus=1',
        // The other [Runtime] settings mkosi vm would use: a credential, qemu arguments (here another
        // credential, so the guest can show it got them), a variable store for OVMF, and TPM=auto
        // without swtpm on this machine.
        '--args=--credential=e2e.runtime=from-credentials',
        '--args=--qemu-args=-smbios type=11,value=io.systemd.credential:e2e.qemu=from-qemu-args',
        `--args=--firmware-variables=${vars.file}`,
        '--args=--tpm=auto',
      ]);
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toBe(
        'boot check: test-failed: failed tests: 20-fail (exit 1: "planted failure: Linux"), 30-hang (timed out after 20 s)',
      );
      expect(run.stdout).toContain('report over vsock (check message received)');
      expect(run.stdout).toContain('  test passed: 10-pass\n');
      expect(run.stdout).toContain('  test skipped: 40-skip\n');
      expect(run.log('tests/10-pass.log')).toContain(
        'image=debian-bootable version= host=10.0.2.2 results=/run/mkosi-ci/test-results/10-pass\n',
      );
      expect(run.log('tests/20-fail.log')).toBe('planted failure: Linux\n');
      expect(run.stdout).toContain('    failing case: junit.xml: planted.broken\n');
      expect(run.stdout).toContain("  guest: 1536 MiB (mkosi's RAM=), 1 CPU (mkosi's CPUs=)\n");
      expect(run.log('tests/10-pass.log')).toContain(
        'credential=from-credentials qemu-args=from-qemu-args\n',
      );
      expect(run.stdout).toContain('  firmware: uefi (default (auto))\n');
      expect(run.stdout).toContain(`  firmware variables: ${vars.file} (mkosi's FirmwareVariables=)\n`);
      expect(run.stdout).toMatch(/ {2}TPM: none \(TPM=auto, and there is no swtpm .*\) \(mkosi's TPM=\)\n/);
      expect(run.stdout).toContain("  credentials: e2e.runtime (mkosi's Credentials=)\n");
      expect(run.stdout).toContain(
        "  qemu arguments: -smbios type=11,value=io.systemd.credential:e2e.qemu=from-qemu-args (mkosi's QemuArgs=)\n",
      );
      // The project's variable store was copied for the run, never written to.
      expect(readFileSync(vars.file).equals(vars.bytes)).toBe(true);
      // What the guest sees: one CPU and 1.5 GiB, less what the kernel keeps for itself.
      const seen = /cpus=(\d+) MemTotal: +(\d+) kB/.exec(run.log('tests/10-pass.log'));
      expect(seen?.[1], run.log('tests/10-pass.log')).toBe('1');
      expect(Number(seen?.[2])).toBeGreaterThan(1_300_000);
      expect(Number(seen?.[2])).toBeLessThanOrEqual(1_572_864);
      expect(run.log('tests/30-hang.log')).toBe('hanging\n');
      expect(run.log('tests/40-skip.log')).toBe('not on this image\n');
      // The failing tests' own messages with the nonce, next to the check's.
      expect(run.log('vsock-notifications.log')).toMatch(/ X_MKOSI_CI_TEST_1=\S+ 20-fail 1 /);
      expect(run.log('vsock-notifications.log')).toMatch(/ X_MKOSI_CI_TEST_2=\S+ 30-hang timeout /);
      expect(run.log('vsock-notifications.log')).toMatch(/ EXIT_STATUS=1\n/);
      expectNoStackTrace(run.stdout + run.stderr);
    },
    BOOT_MINUTES,
  );
});

/** A boot test that prints PID 1's process-exit entries of this boot: evidence when a crash is missed. */
function crashEvidenceTest(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'crash-evidence-')), 'journal-evidence');
  writeFileSync(
    file,
    '#!/bin/sh\njournalctl --boot --no-pager -o export MESSAGE_ID=98e322203f7a4ed290d09fe03c09fe15\njournalctl --boot --no-pager -u planted-crash.service\n',
  );
  chmodSync(file, 0o755);
  return file;
}

describe('a crash during the boot', () => {
  it(
    'is red even though the crashed unit restarted fine: crashed names the unit, the command and the signal',
    async () => {
      const run = await bootWith('vsock', 'systemd.wants=planted-crash.service', [
        '--boot-watch=5',
        // Runs only when the check found nothing wrong: then its output says what the journal holds.
        `--boot-test=${crashEvidenceTest()}`,
      ]);
      expect(run.status, run.stdout.slice(-4000)).toBe(1);
      expect(run.verdict).toMatch(
        /^boot check: crashed: crashed: planted-crash\.service: \/(usr\/)?bin\/sh \(ExecStart\) killed by SIGSEGV( \(core dumped\))?$/,
      );
      expect(run.stdout).not.toContain('  failed: ');
      expect(run.stdout).toContain('report over vsock (check message received)');
      expect(run.log('vsock-notifications.log')).toMatch(/ crashed=planted-crash\.service:11 /);
      // The journal of a failed boot is kept, and it shows the restart that hid the crash.
      expect(run.log('journal.txt')).toMatch(
        /planted-crash\.service: Main process exited, code=(dumped|killed), status=11\/SEGV/,
      );
      // The journal in export format too, and the summary says how to read it.
      expect(run.log('journal.export')).toMatch(/^__CURSOR=/);
      expect(run.log('journal.export')).toContain('\nEXIT_CODE=');
      expect(run.stdout).toContain(
        `  journal (export format): ${path.join(run.logs, 'journal.export')}; read it with: /usr/lib/systemd/systemd-journal-remote --output=boot.journal `,
      );
      expectNoStackTrace(run.stdout + run.stderr);
    },
    BOOT_MINUTES,
  );
});

describe('a boot timeout too short to mean anything', () => {
  it(
    'is refused before qemu starts, naming boot-timeout',
    async () => {
      const run = await bootWith('serial', 'quiet', ['--boot-timeout=60', '--boot-watch=30']);
      expect(run.status).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        'Input boot-timeout: 60 s leaves the guest 0 s to settle once boot-watch (30 s) and 45 s to start and report are taken',
      );
      expect(existsSync(path.join(run.logs, 'serial-console.log'))).toBe(false);
    },
    5 * 60_000,
  );
});
