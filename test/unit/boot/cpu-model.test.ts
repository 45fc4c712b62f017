import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseCpuModel, readHostFacts, underHyperV, type HostFacts } from '../../../src/boot/cpu-model.js';
import { probeQemuArgs } from '../../../src/boot/kvm-probe.js';
import { hostQemu } from '../../../src/boot/qemu-args.js';

const cpuinfo = (flags: string): string =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;
const GUEST_FLAGS = 'fpu vme de pse tsc msr pae pcid sse4_2 hypervisor lahf_lm';
const METAL_FLAGS = 'fpu vme de pse tsc msr pae pcid sse4_2 vmx lahf_lm';

/** An Azure VM (GitHub's larger runners): a guest with Hyper-V's bus and Microsoft's DMI vendor. */
const azure: HostFacts = {
  machine: 'x86_64',
  cpuinfo: cpuinfo(GUEST_FLAGS),
  sysVendor: 'Microsoft Corporation\n',
  vmbus: true,
};

describe('the CPU model', () => {
  it('is max,pcid=off under KVM on an x86-64 Hyper-V guest, saying why', () => {
    expect(chooseCpuModel('kvm', azure)).toEqual({
      model: 'max,pcid=off',
      reason: "KVM inside Hyper-V: -cpu max,pcid=off, as mkosi's CI uses there (guests crash with PCID)",
    });
    // Either sign of Hyper-V is enough.
    expect(chooseCpuModel('kvm', { ...azure, vmbus: false }).model).toBe('max,pcid=off');
    expect(chooseCpuModel('kvm', { ...azure, sysVendor: '' }).model).toBe('max,pcid=off');
  });

  it('is host under KVM anywhere else, and max under TCG always', () => {
    expect(chooseCpuModel('tcg', azure)).toEqual({ model: 'max' });
    expect(chooseCpuModel('kvm', { ...azure, machine: 'aarch64' })).toEqual({ model: 'host' });
    // Bare metal, and other hypervisors (KVM, Xen, VMware) without Hyper-V's signs.
    expect(chooseCpuModel('kvm', { ...azure, cpuinfo: cpuinfo(METAL_FLAGS) })).toEqual({ model: 'host' });
    expect(chooseCpuModel('kvm', { ...azure, sysVendor: 'QEMU', vmbus: false })).toEqual({ model: 'host' });
  });

  it('reads Hyper-V from the flags lines only, as a whole word', () => {
    expect(underHyperV(azure)).toBe(true);
    expect(underHyperV({ ...azure, cpuinfo: 'model name\t: hypervisor edition\nflags\t: fpu\n' })).toBe(
      false,
    );
    expect(underHyperV({ ...azure, cpuinfo: 'flags\t: fpu hypervisorx\n' })).toBe(false);
    // Intel hosts also list `vmx flags`: not the CPU's flags.
    expect(underHyperV({ ...azure, cpuinfo: 'flags\t: fpu\nvmx flags\t: hypervisor ept\n' })).toBe(false);
    expect(underHyperV({ ...azure, cpuinfo: 'flags\t\t:  fpu  hypervisor\n' })).toBe(true);
    expect(underHyperV({ ...azure, cpuinfo: '' })).toBe(false);
    expect(underHyperV({ ...azure, sysVendor: 'Microsoft Corporation Ltd', vmbus: false })).toBe(false);
  });

  it('reads the facts from the host’s files, absent ones as none', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'host-facts-'));
    mkdirSync(path.join(root, 'proc'));
    mkdirSync(path.join(root, 'sys/class/dmi/id'), { recursive: true });
    mkdirSync(path.join(root, 'sys/bus/vmbus'), { recursive: true });
    writeFileSync(path.join(root, 'proc/cpuinfo'), azure.cpuinfo);
    writeFileSync(path.join(root, 'sys/class/dmi/id/sys_vendor'), 'Microsoft Corporation\n');
    expect(await readHostFacts('x86_64', root)).toEqual(azure);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'host-facts-'));
    expect(await readHostFacts('x86_64', empty)).toEqual({
      machine: 'x86_64',
      cpuinfo: '',
      sysVendor: '',
      vmbus: false,
    });
  });

  it('is what the KVM probe runs with, so the probe tests what the check will boot', () => {
    const options = { qemu: hostQemu(), firmware: { kind: 'bios' as const }, workDir: '/w' };
    expect(probeQemuArgs({ ...options, cpuModel: 'max,pcid=off' }).join(' ')).toContain(
      '-accel kvm -cpu max,pcid=off ',
    );
    expect(probeQemuArgs(options).join(' ')).toContain('-accel kvm -cpu host ');
  });
});
