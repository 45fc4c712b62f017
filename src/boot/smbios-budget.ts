import { ConfigurationError } from '../errors.js';
import { CREDENTIALS_SETTING } from './config-credentials.js';

/**
 * Every credential travels as an SMBIOS type 11 string, and they must all fit in one SMBIOS table:
 * 64 KiB with qemu's 32-bit entry point, next to qemu's own structures (firmware, system, one per CPU,
 * memory). This is the share the type 11 strings may take; boot-tests.ts gives the tests 24 KiB of it
 * (32 KiB once base64-encoded), the check itself takes about 12 KiB.
 */
export const SMBIOS_CREDENTIALS_BUDGET_BYTES = 56 * 1024;

/** The bytes the `-smbios type=11,value=…` arguments put into the table (each string and its NUL). */
export function smbiosStringBytes(args: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '-smbios') continue;
    const value = /^type=11,value=(.*)$/s.exec(args[i + 1]!)?.[1];
    if (value !== undefined) bytes += Buffer.byteLength(value.replace(/,,/g, ',')) + 1;
  }
  return bytes;
}

/** Refuses a boot whose credentials cannot fit, naming what the project's Credentials= take of it. */
export function checkSmbiosBudget(all: readonly string[], fromConfig: readonly string[]): void {
  const total = smbiosStringBytes(all);
  if (total <= SMBIOS_CREDENTIALS_BUDGET_BYTES) return;
  const config = smbiosStringBytes(fromConfig);
  throw new ConfigurationError(
    `${CREDENTIALS_SETTING}: the guest's credentials come to ${total} bytes of SMBIOS strings (${config} of them from Credentials=, the rest the check and boot-test); at most ${SMBIOS_CREDENTIALS_BUDGET_BYTES} fit in qemu's SMBIOS table. Make the credentials smaller, or put the bulk in the image.`,
  );
}
