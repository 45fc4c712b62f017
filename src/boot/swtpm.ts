import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { qemuEscape } from './qemu-args.js';

/**
 * mkosi's [Runtime] TPM=, as `mkosi vm` uses it: a software TPM (swtpm) for the guest when the setting
 * is yes, or when it is auto and the boot goes through UEFI and swtpm is there. swtpm runs from the
 * host's PATH: a tools tree's swtpm is built against the tree's libc, and unlike qemu it starts a second
 * program of its own (swtpm_setup runs swtpm), which the tree's dynamic loader cannot be slipped under.
 */

export const TPM_SETTING = "TPM= (mkosi's [Runtime])";

export interface Swtpm {
  swtpm: string;
  setup: string;
}

export interface TpmDecision {
  /** The swtpm to run, or undefined for a boot without a TPM. */
  swtpm: Swtpm | undefined;
  /** What was decided and why, for the log and the summary. */
  note: string;
}

/** mkosi prints TPM= as auto, enabled or disabled; older ones printed booleans. */
function normalise(setting: string): 'auto' | 'yes' | 'no' {
  if (['enabled', 'yes', 'true', '1'].includes(setting)) return 'yes';
  if (['disabled', 'no', 'false', '0'].includes(setting)) return 'no';
  return 'auto';
}

export function decideTpm(
  setting: string,
  uefi: boolean,
  swtpm: Swtpm | undefined,
  treeHasSwtpm = false,
): TpmDecision {
  const value = normalise(setting);
  if (value === 'no') return { swtpm: undefined, note: 'none (TPM=no)' };
  const missing = treeHasSwtpm
    ? "swtpm is in the tools tree, but mkosi-ci runs swtpm and swtpm_setup from the host's PATH only, where they are not"
    : "there is no swtpm and swtpm_setup on the host's PATH";
  if (value === 'yes') {
    if (swtpm) return { swtpm, note: 'swtpm (TPM=yes)' };
    throw new ConfigurationError(
      `${TPM_SETTING}: yes needs swtpm, and ${missing}; install swtpm (Debian and Ubuntu: the swtpm and swtpm-tools packages) on the host, or set TPM=auto or TPM=no.`,
    );
  }
  if (!uefi) return { swtpm: undefined, note: 'none (TPM=auto, and the boot is not through UEFI)' };
  if (!swtpm) return { swtpm: undefined, note: `none (TPM=auto, and ${missing})` };
  return { swtpm, note: 'swtpm (TPM=auto, swtpm found)' };
}

/** swtpm and swtpm_setup on the host's PATH, and whether a tools tree has a swtpm the check cannot run. */
export async function findSwtpm(
  which: (command: string) => Promise<string | undefined>,
  toolsTree: string | undefined,
): Promise<{ swtpm: Swtpm | undefined; treeHasSwtpm: boolean }> {
  const [swtpm, setup] = await Promise.all([which('swtpm'), which('swtpm_setup')]);
  const treeHasSwtpm =
    toolsTree !== undefined &&
    (await access(path.join(toolsTree, 'usr/bin/swtpm')).then(
      () => true,
      () => false,
    ));
  return { swtpm: swtpm && setup ? { swtpm, setup } : undefined, treeHasSwtpm };
}

/** qemu's side, as mkosi gives it: an emulator TPM on swtpm's control socket, behind a TIS interface. */
export function tpmQemuArgs(socket: string): string[] {
  return [
    '-chardev',
    `socket,id=chrtpm,path=${qemuEscape(socket)}`,
    '-tpmdev',
    'emulator,id=tpm0,chardev=chrtpm',
    '-device',
    'tpm-tis,tpmdev=tpm0',
  ];
}

/**
 * swtpm runs beside qemu under a constant `sh` script (paths only as positional arguments, never spliced
 * into the script): it prepares a fresh TPM 2 state as mkosi does, starts swtpm on the control socket,
 * waits for it, runs the rest (qemu, or qemu under the vsock supervisor), then stops swtpm. The Runner's
 * timeout and a cancelled run end the whole process group, swtpm included.
 */
export const SWTPM_SCRIPT = [
  'setup=$1 swtpm=$2 state=$3 sock=$4; shift 4',
  '"$setup" --tpm-state "$state" --tpm2 --pcr-banks sha256 --config /dev/null >/dev/null ||',
  '  { echo "mkosi-ci: swtpm_setup failed" >&2; exit 1; }',
  '"$swtpm" socket --tpm2 --tpmstate "dir=$state" --ctrl "type=unixio,path=$sock" & t=$!',
  'i=0; while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
  '"$@"; rc=$?',
  'kill $t 2>/dev/null; wait $t 2>/dev/null',
  'exit $rc',
].join('\n');

export function withSwtpm(
  swtpm: Swtpm,
  paths: { state: string; socket: string },
  inner: { command: string; args: readonly string[] },
): { command: string; args: string[] } {
  return {
    command: 'sh',
    args: [
      '-c',
      SWTPM_SCRIPT,
      'mkosi-ci-swtpm',
      swtpm.setup,
      swtpm.swtpm,
      paths.state,
      paths.socket,
      inner.command,
      ...inner.args,
    ],
  };
}
