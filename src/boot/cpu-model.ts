import { access, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The CPU model qemu gives the guest. Under TCG, `max` (every feature TCG emulates); under KVM, `host`,
 * except on x86-64 hosts that are themselves Hyper-V guests (GitHub's larger runners run on Azure):
 * there KVM guests crash when they use PCID, so mkosi's own CI boots with `-cpu max,pcid=off` on x86-64
 * ("TODO: Drop once both Hyper-V bugs are fixed in Github Actions", mkosi tests/__init__.py since
 * commit 7a36ebee, "ci: Use pcid=off with qemu instead of disabling secure boot"). mkosi applies it to
 * every x86-64 run of its CI; here it is chosen only when the host shows it runs under Hyper-V, so other
 * KVM hosts keep `host`.
 */

/** What the host tells about itself, read from files (see readHostFacts). */
export interface HostFacts {
  /** `uname -m`: the workaround is for x86-64. */
  machine: string;
  /** /proc/cpuinfo: its `flags` lines carry `hypervisor` in any guest. */
  cpuinfo: string;
  /** /sys/class/dmi/id/sys_vendor ('' when absent): Hyper-V's virtual machines say `Microsoft Corporation`. */
  sysVendor: string;
  /** /sys/bus/vmbus exists: Hyper-V's own bus, present in every Hyper-V guest with its drivers. */
  vmbus: boolean;
}

export interface CpuChoice {
  model: string;
  /** Why the model is not the accelerator's default, for the log and summary. */
  reason?: string;
}

export const HYPER_V_CPU_MODEL = 'max,pcid=off';

/** Under TCG: every feature TCG emulates. */
export const TCG_CPU: CpuChoice = { model: 'max' };

/** Whether the host is a virtual machine of Microsoft's hypervisor. */
export function underHyperV(facts: HostFacts): boolean {
  const flags = facts.cpuinfo.split('\n').filter((line) => /^flags\s*:/.test(line));
  const guest = flags.some((line) => line.split(/\s/).includes('hypervisor'));
  return guest && (facts.vmbus || facts.sysVendor.trim() === 'Microsoft Corporation');
}

export function chooseCpuModel(accel: 'kvm' | 'tcg', facts: HostFacts): CpuChoice {
  if (accel === 'tcg') return TCG_CPU;
  if (facts.machine === 'x86_64' && underHyperV(facts)) {
    return {
      model: HYPER_V_CPU_MODEL,
      reason: `KVM inside Hyper-V: -cpu ${HYPER_V_CPU_MODEL}, as mkosi's CI uses there (guests crash with PCID)`,
    };
  }
  return { model: 'host' };
}

/** The facts from a root directory (`/`, or a fake tree in tests). */
export async function readHostFacts(machine: string, root = '/'): Promise<HostFacts> {
  const read = (file: string): Promise<string> => readFile(path.join(root, file), 'utf8').catch(() => '');
  return {
    machine,
    cpuinfo: await read('proc/cpuinfo'),
    sysVendor: await read('sys/class/dmi/id/sys_vendor'),
    vmbus: await access(path.join(root, 'sys/bus/vmbus')).then(
      () => true,
      () => false,
    ),
  };
}
