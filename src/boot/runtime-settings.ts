import type { ImageConfig } from '../mkosi/config.js';
import type { Runner } from '../ports.js';
import type { Credential } from './check-unit.js';
import { configCredentials } from './config-credentials.js';
import type { Emulator } from './emulator.js';
import { resolveFirmware, uefiOf, type Firmware } from './firmware.js';
import { machineSize, type MachineSize } from './machine-size.js';
import type { BootOptions } from './options.js';
import {
  firmwareSetting,
  firmwareSettingName,
  withFirmwareVariables,
  type FirmwareSource,
} from './runtime-firmware.js';
import { decideTpm, findSwtpm, type Swtpm } from './swtpm.js';

/**
 * The machine the check boots, from mkosi's [Runtime] settings as `mkosi vm` would use them, with the
 * action's inputs overriding them only where given; and, for the summary, where each came from.
 */
export interface MachineSettings {
  size: MachineSize;
  firmware: { kind: Firmware['kind']; source: FirmwareSource };
  /** FirmwareVariables= when it was used (a UEFI boot); undefined: OVMF's own template or no UEFI. */
  firmwareVariables: string | undefined;
  /** What TPM= came to, and why. */
  tpm: string;
  /** The names of the project's Credentials= (never their values: they may be secrets). */
  credentials: string[];
  qemuArgs: string[];
  kernelCommandLineExtra: string[];
}

export interface RuntimeSetup {
  firmware: Firmware;
  swtpm: Swtpm | undefined;
  credentials: Credential[];
  qemuArgs: string[];
  settings: MachineSettings;
}

export async function runtimeSetup(
  runner: Runner,
  options: BootOptions,
  main: ImageConfig,
  emulator: Emulator,
  image: string,
): Promise<RuntimeSetup> {
  const chosen = firmwareSetting(options.firmware, main.firmware);
  const ovmf = await withFirmwareVariables(emulator.ovmf, main);
  const firmware = resolveFirmware(
    chosen.choice,
    main.format,
    image,
    { ovmf, origin: emulator.origin },
    firmwareSettingName(chosen.source),
  );
  const uefi = uefiOf(firmware) !== undefined;
  const found = await findSwtpm((c) => runner.which(c), main.toolsTree);
  const tpm = decideTpm(main.tpm, uefi, found.swtpm, found.treeHasSwtpm);
  const credentials = await configCredentials(main.credentials, runner);
  return {
    firmware,
    swtpm: tpm.swtpm,
    credentials,
    qemuArgs: main.qemuArgs,
    settings: {
      size: machineSize(options, main),
      firmware: { kind: firmware.kind, source: chosen.source },
      firmwareVariables: uefi ? main.firmwareVariables : undefined,
      tpm: tpm.note,
      credentials: credentials.map((c) => c.name),
      qemuArgs: main.qemuArgs,
      kernelCommandLineExtra: main.kernelCommandLineExtra,
    },
  };
}
