import type { ImageConfig } from '../mkosi/config.js';
import type { BootOptions } from './options.js';

/**
 * The guest's memory and CPUs, and where each came from: the action's input when given, else the
 * project's [Runtime] RAM= and CPUs= as `mkosi vm` would use them. mkosi 27 prints both in its summary
 * whether the project set them or not (2G and 1 by default), and a value equal to the default cannot be
 * told from one the project wrote; so mkosi's value is taken as it stands, which is exactly what
 * `mkosi vm` boots with, and the summary calls it mkosi's configuration, not the project's.
 */
export interface MachineSize {
  memoryMiB: number;
  cpus: number;
  memorySource: 'boot-ram' | 'RAM=' | 'default';
  cpusSource: 'boot-cpus' | 'CPUs=' | 'default';
}

/** mkosi's own defaults, for a summary that lacks the fields (older mkosi). */
export const MKOSI_DEFAULT_MEMORY_MIB = 2048;
export const MKOSI_DEFAULT_CPUS = 1;

export function machineSize(
  options: Pick<BootOptions, 'memoryMiB' | 'cpus'>,
  image: ImageConfig,
): MachineSize {
  const configMiB = image.ram === undefined ? undefined : Math.ceil(image.ram / (1024 * 1024));
  const memory: Pick<MachineSize, 'memoryMiB' | 'memorySource'> =
    options.memoryMiB !== undefined
      ? { memoryMiB: options.memoryMiB, memorySource: 'boot-ram' }
      : configMiB !== undefined
        ? { memoryMiB: configMiB, memorySource: 'RAM=' }
        : { memoryMiB: MKOSI_DEFAULT_MEMORY_MIB, memorySource: 'default' };
  const cpus: Pick<MachineSize, 'cpus' | 'cpusSource'> =
    options.cpus !== undefined
      ? { cpus: options.cpus, cpusSource: 'boot-cpus' }
      : image.cpus !== undefined
        ? { cpus: image.cpus, cpusSource: 'CPUs=' }
        : { cpus: MKOSI_DEFAULT_CPUS, cpusSource: 'default' };
  return { ...memory, ...cpus };
}

const SOURCES: Readonly<Record<MachineSize['memorySource'] | MachineSize['cpusSource'], string>> = {
  'boot-ram': 'boot-ram',
  'boot-cpus': 'boot-cpus',
  'RAM=': "mkosi's RAM=",
  'CPUs=': "mkosi's CPUs=",
  default: "mkosi's default",
};

/** "2048 MiB (mkosi's RAM=), 1 CPU (boot-cpus)". */
export function describeMachineSize(size: MachineSize): string {
  const cpus = `${size.cpus} CPU${size.cpus === 1 ? '' : 's'}`;
  return `${size.memoryMiB} MiB (${SOURCES[size.memorySource]}), ${cpus} (${SOURCES[size.cpusSource]})`;
}
