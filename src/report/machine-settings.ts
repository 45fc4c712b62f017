import type { MachineSettings } from '../boot/runtime-settings.js';
import { cell } from './format.js';

/**
 * Where each setting of the booted machine came from: mkosi's [Runtime] (as `mkosi vm` would use it),
 * an input of the action, or a default. Pure: settings in, lines out.
 */

export interface SettingRow {
  setting: string;
  value: string;
  from: string;
}

const SIZE_SOURCES: Readonly<Record<string, string>> = {
  'boot-ram': 'input boot-ram',
  'boot-cpus': 'input boot-cpus',
  'RAM=': "mkosi's RAM=",
  'CPUs=': "mkosi's CPUs=",
  default: "mkosi's default",
};

const FIRMWARE_SOURCES: Readonly<Record<MachineSettings['firmware']['source'], string>> = {
  'boot-firmware': 'input boot-firmware',
  'Firmware=': "mkosi's Firmware=",
  default: 'default (auto)',
};

export function machineSettingRows(machine: MachineSettings): SettingRow[] {
  const { size } = machine;
  const rows: SettingRow[] = [
    { setting: 'memory', value: `${size.memoryMiB} MiB`, from: SIZE_SOURCES[size.memorySource]! },
    { setting: 'CPUs', value: String(size.cpus), from: SIZE_SOURCES[size.cpusSource]! },
    { setting: 'firmware', value: machine.firmware.kind, from: FIRMWARE_SOURCES[machine.firmware.source] },
  ];
  if (machine.firmware.kind !== 'bios') {
    rows.push(
      machine.firmwareVariables
        ? {
            setting: 'firmware variables',
            value: machine.firmwareVariables,
            from: "mkosi's FirmwareVariables=",
          }
        : { setting: 'firmware variables', value: "OVMF's template", from: 'default' },
    );
  }
  rows.push({ setting: 'TPM', value: machine.tpm, from: "mkosi's TPM=" });
  const lists: [string, string[], string][] = [
    ['credentials', machine.credentials, "mkosi's Credentials="],
    ['qemu arguments', machine.qemuArgs, "mkosi's QemuArgs="],
    ['kernel command line extra', machine.kernelCommandLineExtra, "mkosi's KernelCommandLineExtra="],
  ];
  for (const [setting, values, from] of lists) {
    if (values.length > 0) rows.push({ setting, value: values.join(' '), from });
  }
  return rows;
}

export function machineSettingsMarkdown(machine: MachineSettings): string[] {
  return [
    '| Machine | Value | From |',
    '| --- | --- | --- |',
    ...machineSettingRows(machine).map((r) => `| ${r.setting} | \`${cell(r.value)}\` | ${r.from} |`),
    '',
  ];
}

/** The settings beyond memory and CPUs (the `guest:` line says those), one line each. */
export function machineSettingsText(machine: MachineSettings): string[] {
  return machineSettingRows(machine)
    .filter((r) => r.setting !== 'memory' && r.setting !== 'CPUs')
    .map((r) => `  ${r.setting}: ${r.value} (${r.from})`);
}
