import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBootPrerequisites } from '../../../src/boot/boot-prerequisites.js';
import type { BootOptions } from '../../../src/boot/options.js';
import { parseSummary, type MkosiConfig } from '../../../src/mkosi/config.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import type { Runner } from '../../../src/ports.js';
import { checkDiffoscopePrerequisites } from '../../../src/repro/diffoscope-prerequisites.js';
import { noProcessRunner } from '../../support/fake-context.js';

/** What the check stage judges before the build about the boot and diffoscope, with the errors they give. */

const summary = (name: string): MkosiConfig =>
  parseSummary(readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8'));
const boot: BootOptions = parseOptions(defaultInputs(), '/').boot;

/** The configuration with its tools tree at `toolsTree` (undefined: none) and, optionally, a tree to build. */
function withTree(name: string, toolsTree: string | undefined, treePackages?: string[]): MkosiConfig {
  const config = summary(name);
  const tools = treePackages && { ...summary('tools-tree-default').tools!, packages: treePackages };
  return { ...config, main: { ...config.main, toolsTree }, tools };
}

/** The same with GRUB as BIOS bootloader, so the disk also boots through a BIOS. */
function withGrub(config: MkosiConfig): MkosiConfig {
  return { ...config, main: { ...config.main, biosBootloader: 'grub' } };
}

/** A directory standing in for a built tools tree, holding the given files. */
function fakeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fake-tools-tree-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const OVMF_DESCRIPTOR = JSON.stringify({
  'interface-types': ['uefi'],
  mapping: {
    device: 'flash',
    executable: { filename: '/usr/share/OVMF/OVMF_CODE.fd', format: 'raw' },
    'nvram-template': { filename: '/usr/share/OVMF/OVMF_VARS.fd', format: 'raw' },
  },
  targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }],
  features: [],
});

const runnerWith = (programs: Record<string, string>): Runner => ({
  ...noProcessRunner,
  which: (command) => Promise.resolve(programs[command]),
});

describe('what the boot needs, judged before the build', () => {
  const nowhere = '/nonexistent/mkosi.tools';

  it('refuses boot-firmware linux for anything but a UKI', async () => {
    const linux = { ...boot, firmware: 'linux' as const };
    await expect(
      checkBootPrerequisites(noProcessRunner, linux, withTree('debian-bootable', nowhere)),
    ).rejects.toThrow(
      /^Input boot-firmware: linux boots a UKI directly, and Format=disk; use uefi or bios\.$/,
    );
  });

  it('refuses bios for a UKI or a disk without a BIOS bootloader, and takes uefi for a UKI', async () => {
    const uki = withTree('debian-bootable-uki', nowhere, ['qemu-system-x86', 'ovmf']);
    await expect(checkBootPrerequisites(noProcessRunner, { ...boot, firmware: 'bios' }, uki)).rejects.toThrow(
      'Input boot-firmware: bios cannot start Format=uki, which is an EFI program; use auto, linux or uefi.',
    );
    await checkBootPrerequisites(noProcessRunner, boot, uki);
    await checkBootPrerequisites(noProcessRunner, { ...boot, firmware: 'uefi' }, uki);
    const disk = withTree('debian-bootable', nowhere, ['qemu-system-x86']);
    await expect(
      checkBootPrerequisites(noProcessRunner, { ...boot, firmware: 'bios' }, disk),
    ).rejects.toThrow(
      /^Input boot-firmware: bios needs a disk image with a BIOS bootloader, and this is Format=disk with BiosBootloader=none; use uefi, or set BiosBootloader=grub in the project\.$/,
    );
    await checkBootPrerequisites(noProcessRunner, { ...boot, firmware: 'bios' }, withGrub(disk));
  });

  it('refuses boot-transport vsock without vhost-device-vsock, and takes it when it is there', async () => {
    const vsock = { ...boot, transport: 'vsock' as const };
    const planned = withTree('debian-bootable', nowhere, ['qemu-system-x86', 'ovmf']);
    await expect(checkBootPrerequisites(noProcessRunner, vsock, planned)).rejects.toThrow(
      /^Input boot-transport: vsock needs vhost-device-vsock on PATH/,
    );
    await checkBootPrerequisites(
      runnerWith({ 'vhost-device-vsock': '/usr/bin/vhost-device-vsock' }),
      vsock,
      planned,
    );
  });

  it('trusts the package list of a tools tree mkosi is yet to build, and the host otherwise', async () => {
    await checkBootPrerequisites(
      noProcessRunner,
      boot,
      withTree('debian-bootable', nowhere, ['qemu-system-x86']),
    );
    await expect(
      checkBootPrerequisites(noProcessRunner, boot, withTree('debian-bootable', nowhere, ['systemd'])),
    ).rejects.toThrow(/^Input boot: no qemu-system-x86_64 in the tools tree or on PATH/);
    await expect(
      checkBootPrerequisites(noProcessRunner, boot, withTree('debian-bootable', undefined)),
    ).rejects.toThrow(/^Input boot: no qemu-system-x86_64/);
    const bios = { ...boot, firmware: 'bios' as const };
    const hostQemu = runnerWith({ 'qemu-system-x86_64': '/usr/bin/qemu-system-x86_64' });
    await checkBootPrerequisites(hostQemu, bios, withGrub(withTree('debian-bootable', undefined)));
  });

  it('looks into a built tools tree: qemu there, and OVMF for UEFI', async () => {
    const qemuOnly = fakeTree({ 'usr/bin/qemu-system-x86_64': '' });
    await expect(
      checkBootPrerequisites(noProcessRunner, boot, withTree('debian-bootable', qemuOnly)),
    ).rejects.toThrow(/^Input boot-firmware: uefi needs OVMF, and tools tree .* has none/);
    await checkBootPrerequisites(
      noProcessRunner,
      { ...boot, firmware: 'bios' },
      withGrub(withTree('debian-bootable', qemuOnly)),
    );
    const withOvmf = fakeTree({
      'usr/bin/qemu-system-x86_64': '',
      'usr/share/qemu/firmware/60-ovmf.json': OVMF_DESCRIPTOR,
      'usr/share/OVMF/OVMF_CODE.fd': '',
      'usr/share/OVMF/OVMF_VARS.fd': '',
    });
    await checkBootPrerequisites(noProcessRunner, boot, withTree('debian-bootable', withOvmf));
  });
});

describe('diffoscope: yes, judged before the first build', () => {
  const check = { mode: 'check' as const, diffoscope: 'yes' as const };
  const none = { kind: 'none' as const };

  it('asks nothing when there is no check or diffoscope is not required', async () => {
    const config = withTree('debian-minimal', undefined);
    await checkDiffoscopePrerequisites(noProcessRunner, { ...check, mode: 'no' }, none, config);
    await checkDiffoscopePrerequisites(noProcessRunner, { ...check, diffoscope: 'auto' }, none, config);
  });

  it('refuses when neither the tools tree nor the host has it', async () => {
    await expect(
      checkDiffoscopePrerequisites(noProcessRunner, check, none, withTree('debian-minimal', undefined)),
    ).rejects.toThrow(/^Input diffoscope: yes, but diffoscope is neither in the tools tree nor on PATH/);
    const planned = withTree('debian-minimal', '/nonexistent/mkosi.tools', ['qemu-system-x86']);
    await expect(
      checkDiffoscopePrerequisites(noProcessRunner, check, { kind: 'default' }, planned),
    ).rejects.toThrow(/^Input diffoscope: yes/);
  });

  it('takes a default tree that will have it, a tree that has it, or the host', async () => {
    const planned = withTree('debian-minimal', '/nonexistent/mkosi.tools', ['diffoscope-minimal']);
    await checkDiffoscopePrerequisites(noProcessRunner, check, { kind: 'default' }, planned);
    const tree = fakeTree({
      'lib64/ld-linux-x86-64.so.2': '',
      'usr/bin/python3': '',
      'usr/bin/diffoscope': '',
    });
    await checkDiffoscopePrerequisites(
      noProcessRunner,
      check,
      { kind: 'path', path: tree },
      withTree('debian-minimal', tree),
    );
    const host = runnerWith({ diffoscope: '/usr/bin/diffoscope' });
    await checkDiffoscopePrerequisites(host, check, none, withTree('debian-minimal', undefined));
  });
});
