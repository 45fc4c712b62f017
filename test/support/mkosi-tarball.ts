import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Python package of an mkosi that .ci/install-host-tools unpacked from Debian's .deb. */
export function installedMkosiPackage(version: string): string {
  const dir = path.join(
    process.env.MKOSI_CI_TEST_MKOSI_PREFIX ?? '/opt/mkosi-ci',
    `mkosi-${version}`,
    'usr/lib/python3/dist-packages/mkosi',
  );
  if (!existsSync(dir))
    throw new Error(`no unpacked mkosi ${version} at ${dir}: run .ci/install-host-tools first`);
  return dir;
}

/** An mkosi source tree as the release tarball and a git checkout have it: bin/mkosi and mkosi/. */
export function makeMkosiCheckout(version: string, dir: string): string {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  cpSync(installedMkosiPackage(version), path.join(dir, 'mkosi'), { recursive: true });
  const launcher = path.join(dir, 'bin/mkosi');
  writeFileSync(
    launcher,
    [
      '#!/bin/bash',
      "# Runs the mkosi package one directory up, like the launcher in mkosi's own bin/.",
      'root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"',
      'PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -B -m mkosi "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  return dir;
}

/**
 * A tarball laid out like GitHub's archive of an mkosi tag (one top directory mkosi-<version>/),
 * made from the installed mkosi, so the release path downloads and runs a real mkosi.
 */
export function makeMkosiTarball(version: string): { file: string; sha256: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkosi-tarball-'));
  makeMkosiCheckout(version, path.join(dir, `mkosi-${version}`));
  const file = path.join(dir, `v${version}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', dir, `mkosi-${version}`]);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}
