import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Python package of the mkosi that .ci/install-host-tools unpacked from Debian's .deb. */
export function installedMkosiPackage(): string {
  const configured = process.env.MKOSI_CI_TEST_MKOSI_PACKAGE;
  if (configured) return configured;
  const root = '/opt/mkosi-ci';
  for (const entry of existsSync(root) ? readdirSync(root).sort().reverse() : []) {
    const candidate = path.join(root, entry, 'usr/lib/python3/dist-packages/mkosi');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no unpacked mkosi under /opt/mkosi-ci: run .ci/install-host-tools first');
}

/**
 * A tarball laid out like GitHub's archive of an mkosi tag (mkosi-<version>/bin/mkosi and the
 * mkosi/ package beside it), made from the installed mkosi, so the release path runs a real mkosi.
 */
export function makeMkosiTarball(version: string): { file: string; sha256: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkosi-tarball-'));
  const top = path.join(dir, `mkosi-${version}`);
  mkdirSync(path.join(top, 'bin'), { recursive: true });
  cpSync(installedMkosiPackage(), path.join(top, 'mkosi'), { recursive: true });
  const launcher = path.join(top, 'bin/mkosi');
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
  const file = path.join(dir, `v${version}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', dir, `mkosi-${version}`]);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}
