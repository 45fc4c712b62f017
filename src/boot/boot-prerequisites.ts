import { existsSync } from 'node:fs';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Runner } from '../ports.js';
import { loadBootTests } from './boot-tests.js';
import { findEmulator, noEmulatorError } from './emulator.js';
import { checkFirmwareFitsImage, resolveFirmware } from './firmware.js';
import type { BootOptions } from './options.js';
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
  checkFirmwareFitsImage(options.firmware, config.main);
  // A boot-test that is missing, not executable or too large is said now, not after the build.
  await loadBootTests(options.test);
  await chooseTransport(runner, options.transport);
  const tree = config.main.toolsTree;
  const built = tree !== undefined && existsSync(tree);
  if (tree !== undefined && !built && treeWillHaveQemu(config)) return;
  const emulator = await findEmulator(built ? tree : undefined, (c) => runner.which(c));
  if (!emulator) throw noEmulatorError();
  resolveFirmware(options.firmware, format, config.main.output, emulator);
}
