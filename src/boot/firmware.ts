import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';

/**
 * Firmware, in three steps as mkosi models it: the choice (the `boot-firmware` input, `auto` resolved
 * from the image's format), the OVMF that is installed, and the firmware one boot runs with.
 */

export const FIRMWARE_CHOICES = ['auto', 'uefi', 'bios', 'linux'] as const;
export type FirmwareChoice = (typeof FIRMWARE_CHOICES)[number];

/** OVMF as installed: its code and the template of its variable store. */
export interface Ovmf {
  code: string;
  varsTemplate: string;
}

/**
 * What qemu boots with. `vars` is OVMF's variable store: the installed template when resolved, a
 * writable copy once a run made one (`withUefiVars`), so the template is never written to.
 */
export type Firmware =
  | { kind: 'uefi'; code: string; vars: string }
  /** qemu's default SeaBIOS. */
  | { kind: 'bios' }
  /**
   * Direct kernel boot (`-kernel`): a split kernel with its initrd and command line, or a UKI. For a UKI
   * pass `uefi` too: OVMF loads it as an EFI binary, and its embedded command line applies.
   */
  | {
      kind: 'linux';
      kernel: string;
      initrd?: string;
      cmdline: string;
      uefi?: { code: string; vars: string };
    };

/**
 * `auto`: a UKI is given to qemu directly, everything else boots through UEFI. `uefi` on a UKI boots it
 * from a FAT disk as the removable-media loader, as firmware starts it from a USB stick (uki-esp.ts).
 */
export function resolveFirmwareChoice(
  choice: FirmwareChoice,
  format: string,
): Exclude<FirmwareChoice, 'auto'> {
  if (choice !== 'auto') return choice;
  return format === 'uki' ? 'linux' : 'uefi';
}

/** Who chose the firmware, as error messages name it: the input, or mkosi's Firmware= (runtime-firmware.ts). */
export const FIRMWARE_INPUT = `Input ${Input.BootFirmware}`;

function linuxNeedsUki(format: string, setting: string): ConfigurationError {
  return new ConfigurationError(
    `${setting}: linux boots a UKI directly, and Format=${format}; use uefi or bios.`,
  );
}

/**
 * Refuses a firmware that cannot start the image: `linux` for anything but a UKI (the one format qemu
 * starts directly), and `bios` for all but a disk image with a BIOS bootloader (systemd-boot is UEFI
 * only, and a UKI is an EFI program). `uefi` starts a UKI from a FAT disk (uki-esp.ts).
 */
export function checkFirmwareFitsImage(
  choice: FirmwareChoice,
  image: { format: string; biosBootloader: string },
  setting = FIRMWARE_INPUT,
): void {
  const { format, biosBootloader } = image;
  const resolved = resolveFirmwareChoice(choice, format);
  if (resolved === 'linux' && format !== 'uki') throw linuxNeedsUki(format, setting);
  if (resolved === 'bios' && format === 'uki') {
    throw new ConfigurationError(
      `${setting}: bios cannot start Format=uki, which is an EFI program; use auto, linux or uefi.`,
    );
  }
  if (resolved === 'bios' && (format !== 'disk' || biosBootloader === 'none')) {
    throw new ConfigurationError(
      `${setting}: bios needs a disk image with a BIOS bootloader, and this is Format=${format} with BiosBootloader=${biosBootloader}; use uefi, or set BiosBootloader=grub in the project.`,
    );
  }
}

/** The firmware to boot `image` (of mkosi's `format`) with, given the OVMF there is (`origin` names it). */
export function resolveFirmware(
  choice: FirmwareChoice,
  format: string,
  image: string,
  ovmf: { ovmf: Ovmf | undefined; origin: string },
  setting = FIRMWARE_INPUT,
): Firmware {
  const resolved = resolveFirmwareChoice(choice, format);
  if (resolved === 'bios') return { kind: 'bios' };
  const installed = ovmf.ovmf;
  if (!installed) {
    throw new ConfigurationError(
      `${setting}: ${resolved} needs OVMF, and ${ovmf.origin} has none; add the ovmf package to the tools tree (ToolsTreePackages=ovmf) or the host, or use bios.`,
    );
  }
  const uefi = { code: installed.code, vars: installed.varsTemplate };
  if (resolved === 'uefi') return { kind: 'uefi', ...uefi };
  if (format !== 'uki') throw linuxNeedsUki(format, setting);
  return { kind: 'linux', kernel: image, cmdline: '', uefi };
}

/** OVMF's variable store of this firmware, if it uses OVMF. */
export function uefiOf(firmware: Firmware): { code: string; vars: string } | undefined {
  if (firmware.kind === 'uefi') return firmware;
  return firmware.kind === 'linux' ? firmware.uefi : undefined;
}

/** The same firmware with its variable store at `vars` (a copy made for one run). */
export function withUefiVars(firmware: Firmware, vars: string): Firmware {
  if (firmware.kind === 'uefi') return { ...firmware, vars };
  if (firmware.kind === 'linux' && firmware.uefi) return { ...firmware, uefi: { ...firmware.uefi, vars } };
  return firmware;
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** A qemu firmware descriptor (`/usr/share/qemu/firmware/*.json`, docs/interop/firmware.json). */
interface FirmwareDescriptor {
  'interface-types'?: string[];
  mapping?: {
    device?: string;
    executable?: { filename?: string; format?: string };
    'nvram-template'?: { filename?: string; format?: string };
  };
  targets?: { architecture?: string; machines?: string[] }[];
  features?: string[];
}

/**
 * The plain OVMF build among qemu's firmware descriptors: UEFI for x86_64 q35 on raw flash, without
 * Secure Boot (whose enrolled keys would refuse unsigned images and which needs SMM). Descriptors are
 * tried in the order given (the file names' numeric prefixes give qemu's preference).
 */
export function pickOvmf(descriptors: readonly unknown[]): Ovmf | undefined {
  for (const raw of descriptors) {
    const d = raw as FirmwareDescriptor;
    if (!d?.['interface-types']?.includes('uefi')) continue;
    if (d.mapping?.device !== 'flash') continue;
    const features = d.features ?? [];
    if (
      features.includes('secure-boot') ||
      features.includes('requires-smm') ||
      features.includes('enrolled-keys')
    ) {
      continue;
    }
    if (features.includes('amd-sev-es') || features.includes('intel-tdx')) continue;
    const fits = (d.targets ?? []).some(
      (t) => t.architecture === 'x86_64' && (t.machines ?? []).some((m) => m.startsWith('pc-q35')),
    );
    const code = d.mapping.executable;
    const vars = d.mapping['nvram-template'];
    if (!fits || !code?.filename || !vars?.filename) continue;
    if ((code.format ?? 'raw') !== 'raw' || (vars.format ?? 'raw') !== 'raw') continue;
    return { code: code.filename, varsTemplate: vars.filename };
  }
  return undefined;
}

/** Reads qemu's firmware descriptors (usr/share/qemu/firmware/*.json) under `root` and picks plain OVMF. */
export async function findOvmf(root: string): Promise<Ovmf | undefined> {
  const dir = path.join(root, 'usr/share/qemu/firmware');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const descriptors: unknown[] = [];
  for (const name of names) {
    try {
      descriptors.push(JSON.parse(await readFile(path.join(dir, name), 'utf8')));
    } catch {
      // A broken descriptor is qemu's packaging problem, not a reason to give up on the others.
    }
  }
  const ovmf = pickOvmf(descriptors);
  if (!ovmf) return undefined;
  // Descriptors name paths as installed; under a tools tree they live below its root.
  const code = path.join(root, ovmf.code);
  const varsTemplate = path.join(root, ovmf.varsTemplate);
  return (await exists(code)) && (await exists(varsTemplate)) ? { code, varsTemplate } : undefined;
}
