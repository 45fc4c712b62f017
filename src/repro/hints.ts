import type { ManifestField } from './manifest.js';

/**
 * Known causes of build-to-build differences (see FIELD-NOTES "Comparing builds"), matched by path,
 * metadata field or mode, so a report can say what to pin or remove.
 */

interface Known {
  test: (p: string) => boolean;
  hint: string;
}

const KNOWN_PATHS: readonly Known[] = [
  {
    test: (p) => p === '/var/cache/ldconfig/aux-cache',
    hint: 'ldconfig cache: RemoveFiles=/var/cache/ldconfig/aux-cache',
  },
  { test: (p) => p.startsWith('/var/log/'), hint: 'log written during the build: RemoveFiles= it' },
  {
    test: (p) =>
      /^\/var\/(lib|cache)\/(dpkg|apt|rpm|dnf|pacman|zypp)\//.test(p) || p.startsWith('/var/lib/pacman/'),
    hint: 'package manager state',
  },
  { test: (p) => /(^|\/)loader\/random-seed$/.test(p), hint: 'systemd-boot random seed (random by design)' },
  { test: (p) => p === '/var/lib/systemd/random-seed', hint: 'systemd random seed (random by design)' },
  { test: (p) => p === '/etc/machine-id', hint: 'machine id' },
  { test: (p) => p.endsWith('.pyc'), hint: 'Python bytecode (embeds source mtimes)' },
  {
    test: (p) => p === '/etc/ssh/ssh_host_' || /^\/etc\/ssh\/ssh_host_/.test(p),
    hint: 'SSH host key generated at build time',
  },
];

const KNOWN_FIELDS: Readonly<Record<string, string>> = {
  'header.diskGuid': 'disk GUID derives from Seed=: pin Seed=',
  uuid: 'derives from Seed= (partition UUIDs) or is random: pin Seed= (each image of mkosi.images/ needs its own)',
  hash_seed: 'ext4 directory hash seed: SYSTEMD_REPART_MKFS_OPTIONS_EXT4=-E hash_seed=<uuid>',
  mkfs_time: 'filesystem creation time: pin SourceDateEpoch=',
  write_time: 'filesystem write time: pin SourceDateEpoch=',
  build_time: 'filesystem build time: pin SourceDateEpoch=',
  volume_id: 'vfat volume id: derives from Seed=',
  timestamp: 'PE link time stamp',
};

export function hintForPath(p: string, fields: readonly ManifestField[] = []): string | undefined {
  const known = KNOWN_PATHS.find((k) => k.test(p));
  if (known) return known.hint;
  if (fields.length === 1 && fields[0] === 'mtime') return 'timestamp only: pin SourceDateEpoch=';
  return undefined;
}

export function hintForField(field: string): string | undefined {
  return KNOWN_FIELDS[field] ?? KNOWN_FIELDS[field.replace(/^.*\./, '')];
}

/**
 * A mode that differs only in the group/other write bits (0644 → 0664) follows the umask of the
 * build: whatever created the file did not set its mode.
 */
export function hintForModes(a: number | undefined, b: number | undefined): string | undefined {
  if (a === undefined || b === undefined || a === b) return undefined;
  if (((a ^ b) & ~0o022) !== 0) return undefined;
  return "mode follows the build's umask: the file was created without an explicit mode";
}
