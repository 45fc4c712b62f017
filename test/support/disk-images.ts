import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { buildGpt } from './gpt-builder.js';

/** Real filesystem and disk images for the narrowing tests, made with mke2fs and the GPT builder. */

export const MiB = 1024 * 1024;
export const ROOT_X86_64 = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';
export const HOME = '933ac7e1-2eb4-4f13-b844-0e14e2aef915';
export const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

/** A program on PATH, or undefined. */
export function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const mke2fs =
  which('mke2fs') ?? (['/usr/sbin/mke2fs', '/sbin/mke2fs'].find((p) => which(p)) as string | undefined);
export const hasExt4 = !!mke2fs && !!which('debugfs');

/** A small OS-like tree: /etc/hostname and /etc/os-release, all mtimes 1000. */
export function tree(dir: string, hostname: string): string {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'etc', 'hostname'), hostname);
  writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=test\n');
  for (const f of ['etc/hostname', 'etc/os-release', 'etc', '.']) utimesSync(path.join(dir, f), 1000, 1000);
  return dir;
}

/** An ext4 filesystem made by mke2fs from `source`, written at `offset` of `file`. */
export function ext4(file: string, offset: number, source: string, uuid: string): void {
  execFileSync(
    mke2fs!,
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-b',
      '1024',
      '-U',
      uuid,
      '-E',
      `offset=${offset},hash_seed=${uuid},root_owner=0:0`,
      '-d',
      source,
      file,
      '2048',
    ],
    { env: { ...process.env, E2FSPROGS_FAKE_TIME: '1000' } },
  );
}

/** A GPT disk: partition 1 "root" (2 MiB at 1 MiB), partition 2 "home" (2 MiB at 3 MiB). */
export function disk(file: string, rootSource: string, homeSource: string, homeUuid: string): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 6 * MiB);
  const partitions = [
    {
      typeGuid: ROOT_X86_64,
      uuid: '00000000-0000-0000-0000-000000000001',
      name: 'root-x86-64',
      firstLba: 2048,
      lastLba: 6143,
    },
    {
      typeGuid: HOME,
      uuid: '00000000-0000-0000-0000-000000000002',
      name: 'home',
      firstLba: 6144,
      lastLba: 10239,
    },
  ];
  writeSync(fd, buildGpt('00000000-0000-0000-0000-0000000000aa', 12288, partitions), 0, 34 * 512, 0);
  closeSync(fd);
  ext4(file, MiB, rootSource, '11111111-1111-1111-1111-111111111111');
  ext4(file, 3 * MiB, homeSource, homeUuid);
}
