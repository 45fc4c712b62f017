import { existsSync } from 'node:fs';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Runner } from '../ports.js';
import { loadBootTests } from './boot-tests.js';
import { findEmulator, noEmulatorError } from './emulator.js';
import { checkFirmwareFitsImage, resolveFirmware } from './firmware.js';
import type { BootOptions } from './options.js';
import { firmwareSetting, firmwareSettingName, withFirmwareVariables } from './runtime-firmware.js';
import { decideTpm, findSwtpm } from './swtpm.js';
import { checkCredentialNames } from './config-credentials.js';
import { chooseTransport } from './transport.js';

/** Whether a tools tree mkosi is yet to build lists a qemu package (qemu-system, qemu-system-x86, qemu-kvm …). */
function treeWillHaveQemu(config: MkosiConfig): boolean {
  return (config.tools?.packages ?? []).some((p) => p.startsWith('qemu'));
}

/**
 * What the boot check will need, judged from the resolved configuration before the build, with the
 * errors the boot itself would give after it: a firmware that can start the image, vhost-device-vsock for
 * boot-transport: vsock, qemu in the tools tree or on the host, and OVMF for UEFI. A default tools tree
 * that mkosi has yet to build is judged by its package list (its OVMF cannot be looked for yet).
 */
export async function checkBootPrerequisites(
  runner: Runner,
  options: BootOptions,
  config: MkosiConfig,
): Promise<void> {
  const format = config.main.format;
  const firmware = firmwareSetting(options.firmware, config.main.firmware);
  const setting = firmwareSettingName(firmware.source);
  checkFirmwareFitsImage(firmware.choice, config.main, setting);
  // A boot-test that is missing, not executable or too large is said now, not after the build.
  await loadBootTests(options.test);
  await chooseTransport(runner, options.transport);
  checkCredentialNames(config.main.credentials);
  const tree = config.main.toolsTree;
  const built = tree !== undefined && existsSync(tree);
  // TPM=yes without swtpm is said before the build (only yes can fail, whatever the firmware).
  const found = await findSwtpm((c) => runner.which(c), built ? tree : undefined);
  decideTpm(config.main.tpm, true, found.swtpm, found.treeHasSwtpm);
  if (tree !== undefined && !built && treeWillHaveQemu(config)) return;
  const emulator = await findEmulator(built ? tree : undefined, (c) => runner.which(c));
  if (!emulator) throw noEmulatorError();
  const ovmf = await withFirmwareVariables(emulator.ovmf, config.main);
  resolveFirmware(firmware.choice, format, config.main.output, { ovmf, origin: emulator.origin }, setting);
}
