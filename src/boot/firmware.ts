import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { hostQemu, pickOvmf, toolsTreeQemu, type QemuCommand } from './qemu-args.js';

/** qemu and its firmware, from the tools tree when the build used one (its qemu is new and complete). */
export interface Emulator {
  qemu: QemuCommand;
  /** OVMF's code and variable store template, when installed. */
  ovmf: { code: string; varsTemplate: string } | undefined;
  /** Where it came from, for the log and summary. */
  origin: string;
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** Reads qemu's firmware descriptors (usr/share/qemu/firmware/*.json) under `root` and picks plain OVMF. */
export async function findOvmf(root: string): Promise<{ code: string; varsTemplate: string } | undefined> {
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

/** The tools tree's qemu when it has one, else the host's, else undefined. */
export async function findEmulator(
  toolsTree: string | undefined,
  which: (command: string) => Promise<string | undefined>,
): Promise<Emulator | undefined> {
  if (toolsTree && (await exists(path.join(toolsTree, 'usr/bin/qemu-system-x86_64')))) {
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
