import { access } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import type { ImageConfig } from '../mkosi/config.js';
import { FIRMWARE_CHOICES, FIRMWARE_INPUT, type FirmwareChoice, type Ovmf } from './firmware.js';

/**
 * mkosi's [Runtime] Firmware= and FirmwareVariables=, as `mkosi vm` would use them, when the
 * `boot-firmware` input is left at auto. mkosi's own auto differs in one way: it prefers a Secure Boot
 * capable OVMF without enrolled keys on x86 (so nothing is enforced); the check boots plain OVMF, which
 * starts the same images.
 */

export type FirmwareSource = 'boot-firmware' | 'Firmware=' | 'default';

export interface FirmwareSetting {
  choice: FirmwareChoice;
  source: FirmwareSource;
}

export const FIRMWARE_SETTING = "Firmware= (mkosi's [Runtime])";
export const FIRMWARE_VARIABLES_SETTING = "FirmwareVariables= (mkosi's [Runtime])";

/** How error messages name whoever chose the firmware. */
export function firmwareSettingName(source: FirmwareSource): string {
  return source === 'Firmware=' ? FIRMWARE_SETTING : FIRMWARE_INPUT;
}

/** The values of mkosi's Firmware= the check boots with, mapped onto its own choices. */
const SUPPORTED: Readonly<Record<string, FirmwareChoice>> = {
  auto: 'auto',
  uefi: 'uefi',
  linux: 'linux',
  // Older mkosi had a bios value; the check boots SeaBIOS the same way.
  bios: 'bios',
};

/** The input wins unless it is auto; then mkosi's Firmware= (itself auto unless the project set it). */
export function firmwareSetting(input: FirmwareChoice, mkosiFirmware: string): FirmwareSetting {
  if (input !== 'auto') return { choice: input, source: 'boot-firmware' };
  const value = mkosiFirmware === '' ? 'auto' : mkosiFirmware;
  const choice = SUPPORTED[value];
  if (choice === undefined) {
    const why =
      value === 'uefi-secure-boot'
        ? 'the check boots OVMF without Secure Boot'
        : value === 'linux-noinitrd'
          ? 'the check boots a UKI directly with its own initrd'
          : 'mkosi-ci does not know this value';
    throw new ConfigurationError(
      `${FIRMWARE_SETTING}: ${value} is not one the boot check can use (${why}); valid: ${FIRMWARE_CHOICES.join(', ')}. Set Firmware= to one of them, or give the boot-firmware input, which takes precedence.`,
    );
  }
  return { choice, source: choice === 'auto' ? 'default' : 'Firmware=' };
}

/** mkosi's values of FirmwareVariables= that name no file: each needs keys enrolled by virt-fw-vars. */
const SPECIAL_VARIABLES = ['microsoft', 'microsoft-mok', 'custom'];

/**
 * OVMF with the project's FirmwareVariables= as the template of its variable store. The run copies the
 * template into its own directory (run-boot.ts), so the project's file is never written to.
 */
export async function withFirmwareVariables(
  ovmf: Ovmf | undefined,
  image: Pick<ImageConfig, 'firmwareVariables'>,
): Promise<Ovmf | undefined> {
  const vars = image.firmwareVariables;
  if (vars === undefined || ovmf === undefined) return ovmf;
  if (SPECIAL_VARIABLES.includes(vars)) {
    throw new ConfigurationError(
      `${FIRMWARE_VARIABLES_SETTING}: ${vars} enrolls Secure Boot keys, which the boot check does not boot with; give the path of an OVMF variable store, or leave it unset for OVMF's own template.`,
    );
  }
  const present = await access(vars).then(
    () => true,
    () => false,
  );
  if (!present) {
    throw new ConfigurationError(
      `${FIRMWARE_VARIABLES_SETTING}: ${vars} does not exist; give the path of an OVMF variable store (raw), or leave it unset.`,
    );
  }
  return { ...ovmf, varsTemplate: vars };
}
