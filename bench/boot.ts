// bench/boot: a bare boot-to-poweroff of debian-bootable against the full boot check, side by side and
// alternated round by round, for each transport (and KVM where the probe says it works).
//
//   npx tsx bench/boot.ts [--image PATH] [--tools-tree PATH] [--rounds 2] [--transports serial,vsock]
//
// The bare boot runs the same qemu command line (same firmware, accelerator, memory, snapshot disk) with
// one injected unit that waits for the boot to settle, like the check does, and powers off: the
// difference is what the check itself costs (collecting and sending the report). boot-watch is 0 here;
// its time is a configured wait, not overhead.
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { smbiosCredentialArgs, kernelCmdlineExtraArgs } from '../src/boot/check-unit.js';
import { findEmulator } from '../src/boot/emulator.js';
import { probeKvm } from '../src/boot/kvm-probe.js';
import { qemuArgs } from '../src/boot/qemu-args.js';
import { bootCheck, DEFAULT_KERNEL_CMDLINE_EXTRA } from '../src/boot/run-boot.js';
import { consoleLog } from '../src/cli/log.js';
import { ProcessRunner } from '../src/process/runner.js';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: '/var/cache/mkosi-ci-test/out/debian-bootable/debian-bootable.raw' },
    'tools-tree': { type: 'string', default: '/var/cache/mkosi-ci-test/tools/mkosi.tools' },
    rounds: { type: 'string', default: '2' },
    transports: { type: 'string', default: 'serial,vsock' },
  },
});

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-boot-'));
const runner = new ProcessRunner(() => undefined, process.env);
// The boot check needs a runner and a log, nothing else of a run's context.
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

const BARE_UNIT = `[Unit]
Description=bench: power off once the boot settled

[Service]
Type=exec
ExecStart=/bin/sh -c 'systemctl is-system-running --wait; systemctl poweroff'
`;

async function bare(accel: 'kvm' | 'tcg'): Promise<number> {
  const dir = mkdtempSync(path.join(scratch, 'bare-'));
  const vars = path.join(dir, 'vars.fd');
  copyFileSync(ovmf.varsTemplate, vars);
  const args = qemuArgs({
    dataDirs: emulator!.qemu.dataDirs,
    accel,
    memoryMiB: 2048,
    cpus: 2,
    firmware: { kind: 'uefi', code: ovmf.code, vars },
    image: { path: image, format: 'raw' },
    imageWrites: 'snapshot',
    consoleLog: path.join(dir, 'console.log'),
    report: { kind: 'serial', file: path.join(dir, 'report.log') },
    smbios: [
      ...smbiosCredentialArgs([
        { name: 'systemd.extra-unit.bench-poweroff.service', value: BARE_UNIT },
        {
          name: 'systemd.unit-dropin.multi-user.target~bench-poweroff',
          value: '[Unit]\nWants=bench-poweroff.service\n',
        },
      ]),
      ...kernelCmdlineExtraArgs(DEFAULT_KERNEL_CMDLINE_EXTRA),
    ],
  });
  const started = Date.now();
  const result = await runner.run(emulator!.qemu.command, [...emulator!.qemu.prefix, ...args], {
    stream: false,
    timeoutMs: 900_000,
  });
  if (result.timedOut) throw new Error('bare boot timed out');
  return Date.now() - started;
}

async function check(
  accel: 'kvm' | 'tcg',
  transport: string,
): Promise<{ ms: number; latencyS?: number; result: string }> {
  const daemon = transport === 'vsock' ? await runner.which('vhost-device-vsock') : undefined;
  if (transport === 'vsock' && !daemon) throw new Error('vhost-device-vsock is not installed');
  const run = await bootCheck(ctx, {
    qemu: emulator!.qemu,
    image: { path: image, format: 'raw' },
    firmware: { kind: 'uefi', code: ovmf.code, vars: ovmf.varsTemplate },
    accel,
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
    vsockDaemon: daemon,
  });
  const report = run.verdict.report;
  const latencyS =
    report?.settledAt !== undefined && report.reportedAt !== undefined
      ? report.reportedAt - report.settledAt
      : undefined;
  return { ms: run.durationMs, latencyS, result: run.verdict.result };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const accels: ('kvm' | 'tcg')[] = ['tcg'];
const vars = path.join(scratch, 'probe-vars.fd');
copyFileSync(ovmf.varsTemplate, vars);
const probe = await probeKvm(ctx, {
  qemu: emulator.qemu,
  firmware: { kind: 'uefi', code: ovmf.code, vars },
  workDir: path.join(scratch, 'probe'),
});
if (probe.usable) accels.unshift('kvm');
else console.log(`KVM: not usable here (${probe.reason}); TCG only`);

const rounds = Number(values.rounds);
for (const accel of accels) {
  for (const transport of values.transports.split(',')) {
    const bareMs: number[] = [];
    const checkMs: number[] = [];
    const latencies: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? ['bare', 'check'] : ['check', 'bare'];
      for (const side of order) {
        if (side === 'bare') {
          const ms = await bare(accel);
          bareMs.push(ms);
          console.log(`${accel} ${transport} round ${round}: bare  ${(ms / 1000).toFixed(1)} s`);
        } else {
          const run = await check(accel, transport);
          checkMs.push(run.ms);
          if (run.latencyS !== undefined) latencies.push(run.latencyS);
          console.log(
            `${accel} ${transport} round ${round}: check ${(run.ms / 1000).toFixed(1)} s (${run.result}, report ${run.latencyS?.toFixed(2) ?? '?'} s after the boot settled)`,
          );
        }
      }
    }
    console.log(
      `${accel} ${transport}: bare median ${(median(bareMs) / 1000).toFixed(1)} s, check median ${(median(checkMs) / 1000).toFixed(1)} s, ` +
        `ratio ${(median(checkMs) / median(bareMs)).toFixed(3)} (target <= 1.15); verdict latency after the boot settled: median ${latencies.length ? median(latencies).toFixed(2) : '?'} s guest time\n`,
    );
  }
}
rmSync(scratch, { recursive: true, force: true });
