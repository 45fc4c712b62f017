import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import { findOvmf, type Ovmf } from './firmware.js';
import { hostQemu, toolsTreeQemu, type QemuCommand } from './qemu-args.js';

/** qemu and its firmware, from the tools tree when the build used one (its qemu is new and complete). */
export interface Emulator {
  qemu: QemuCommand;
  /** OVMF's code and variable store template, when installed. */
  ovmf: Ovmf | undefined;
  /** Where it came from, for the log and summary. */
  origin: string;
}

/** The tools tree's qemu when it has one, else the host's, else undefined. */
export async function findEmulator(
  toolsTree: string | undefined,
  which: (command: string) => Promise<string | undefined>,
): Promise<Emulator | undefined> {
  const inTree =
    toolsTree &&
    (await access(path.join(toolsTree, 'usr/bin/qemu-system-x86_64')).then(
      () => true,
      () => false,
    ));
  if (toolsTree && inTree) {
    return {
      qemu: toolsTreeQemu(toolsTree),
      ovmf: await findOvmf(toolsTree),
      origin: `tools tree ${toolsTree}`,
    };
  }
  const host = await which('qemu-system-x86_64');
  if (host) return { qemu: hostQemu(host), ovmf: await findOvmf('/'), origin: host };
  return undefined;
}

export function noEmulatorError(): ConfigurationError {
  return new ConfigurationError(
    `Input ${Input.Boot}: no qemu-system-x86_64 in the tools tree or on PATH; add qemu-system-x86 to the tools tree (ToolsTreePackages=) or the host, or set boot: false.`,
  );
}
