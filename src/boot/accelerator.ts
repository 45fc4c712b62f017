import { copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Tristate } from '../input-parsing.js';
import type { Log, Runner } from '../ports.js';
import type { Emulator } from './emulator.js';
import { uefiOf, type Firmware } from './firmware.js';
import { probeKvm } from './kvm-probe.js';
import { chooseCpuModel, readHostFacts, TCG_CPU, type CpuChoice } from './cpu-model.js';

export type Accel = 'kvm' | 'tcg';

/**
 * KVM when asked for, or (auto) when a probe with the firmware of the check really runs under it; the
 * probe uses the CPU model the check would (under Hyper-V, `host` is what crashes).
 */
export async function chooseAccel(
  ctx: { runner: Runner; log: Log },
  kvm: Tristate,
  emulator: Emulator,
  firmware: Firmware,
  workDir: string,
): Promise<{ accel: Accel; reason: string; cpu: CpuChoice }> {
  if (kvm === 'no') return { accel: 'tcg', reason: 'kvm: no', cpu: TCG_CPU };
  const cpu = chooseCpuModel('kvm', await readHostFacts(os.machine()));
  if (cpu.reason) ctx.log.info(cpu.reason);
  if (kvm === 'yes') return { accel: 'kvm', reason: 'kvm: yes', cpu };
  const ovmf = uefiOf(firmware);
  const vars = path.join(workDir, 'kvm-probe-vars.fd');
  await mkdir(workDir, { recursive: true });
  if (ovmf) await copyFile(ovmf.vars, vars);
  const probe = await probeKvm(ctx, {
    qemu: emulator.qemu,
    firmware: ovmf ? { kind: 'uefi', code: ovmf.code, vars } : { kind: 'bios' },
    cpuModel: cpu.model,
    workDir: path.join(workDir, 'kvm-probe'),
  });
  if (probe.usable) return { accel: 'kvm', reason: probe.detail, cpu };
  ctx.log.warning(
    `KVM is not usable (${probe.reason}); booting with software emulation (TCG), which is slower.`,
  );
  return { accel: 'tcg', reason: probe.reason, cpu: TCG_CPU };
}
