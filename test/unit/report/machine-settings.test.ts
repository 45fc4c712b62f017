import { describe, expect, it } from 'vitest';
import type { MachineSettings } from '../../../src/boot/runtime-settings.js';
import {
  machineSettingRows,
  machineSettingsMarkdown,
  machineSettingsText,
} from '../../../src/report/machine-settings.js';

const fromMkosi: MachineSettings = {
  size: { memoryMiB: 1536, cpus: 1, memorySource: 'RAM=', cpusSource: 'CPUs=' },
  firmware: { kind: 'uefi', source: 'Firmware=' },
  firmwareVariables: '/src/vars.fd',
  tpm: "none (TPM=auto, and there is no swtpm and swtpm_setup on the host's PATH)",
  credentials: ['e2e.runtime', 'other'],
  qemuArgs: ['-device', 'pvpanic'],
  kernelCommandLineExtra: ['quiet'],
};

describe('where each machine setting came from', () => {
  it("names mkosi's [Runtime] settings the project set, with their values", () => {
    expect(machineSettingRows(fromMkosi)).toEqual([
      { setting: 'memory', value: '1536 MiB', from: "mkosi's RAM=" },
      { setting: 'CPUs', value: '1', from: "mkosi's CPUs=" },
      { setting: 'firmware', value: 'uefi', from: "mkosi's Firmware=" },
      { setting: 'firmware variables', value: '/src/vars.fd', from: "mkosi's FirmwareVariables=" },
      { setting: 'TPM', value: fromMkosi.tpm, from: "mkosi's TPM=" },
      { setting: 'credentials', value: 'e2e.runtime other', from: "mkosi's Credentials=" },
      { setting: 'qemu arguments', value: '-device pvpanic', from: "mkosi's QemuArgs=" },
      { setting: 'kernel command line extra', value: 'quiet', from: "mkosi's KernelCommandLineExtra=" },
    ]);
  });

  it('names the inputs and defaults, and leaves out what is empty or does not apply', () => {
    const fromInputs: MachineSettings = {
      size: { memoryMiB: 4096, cpus: 2, memorySource: 'boot-ram', cpusSource: 'default' },
      firmware: { kind: 'bios', source: 'boot-firmware' },
      firmwareVariables: undefined,
      tpm: 'none (TPM=no)',
      credentials: [],
      qemuArgs: [],
      kernelCommandLineExtra: [],
    };
    expect(machineSettingsText(fromInputs)).toEqual([
      '  firmware: bios (input boot-firmware)',
      "  TPM: none (TPM=no) (mkosi's TPM=)",
    ]);
    expect(machineSettingsMarkdown({ ...fromInputs, firmware: { kind: 'uefi', source: 'default' } })).toEqual(
      [
        '| Machine | Value | From |',
        '| --- | --- | --- |',
        '| memory | `4096 MiB` | input boot-ram |',
        "| CPUs | `2` | mkosi's default |",
        '| firmware | `uefi` | default (auto) |',
        "| firmware variables | `OVMF's template` | default |",
        "| TPM | `none (TPM=no)` | mkosi's TPM= |",
        '',
      ],
    );
  });

  it('keeps a table cell whole when a value holds a pipe', () => {
    const piped = machineSettingsMarkdown({ ...fromMkosi, qemuArgs: ['-append', 'a|b'] });
    expect(piped).toContain("| qemu arguments | `-append a\\|b` | mkosi's QemuArgs= |");
  });
});
