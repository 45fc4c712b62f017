import { ConfigurationError } from '../errors.js';
import type { Tristate } from '../input-parsing.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';

/** Formats mkosi-ci can boot: a disk with a bootloader, an ESP image, or a UKI. */
export const BOOTABLE_FORMATS = ['disk', 'esp', 'uki'];

/** Whether to boot at all: `boot: auto` boots the formats that can boot when mkosi made them bootable. */
export function shouldBoot(options: { enabled: Tristate }, config: MkosiConfig): boolean {
  const main = config.main;
  if (options.enabled === 'no') return false;
  const bootable = BOOTABLE_FORMATS.includes(main.format) && main.bootable !== 'disabled';
  if (options.enabled === 'yes' && !BOOTABLE_FORMATS.includes(main.format)) {
    throw new ConfigurationError(
      `Input ${Input.Boot}: Format=${main.format} images cannot be booted by mkosi-ci; bootable formats are ${BOOTABLE_FORMATS.join(', ')}.`,
    );
  }
  return options.enabled === 'yes' || bootable;
}
