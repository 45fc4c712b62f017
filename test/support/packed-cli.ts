import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './paths.js';

/**
 * The CLI as a user gets it from the registry: `npm pack` of this checkout, installed into an empty
 * directory without the network (the bundle needs no dependencies). Returns the installed `mkosi-ci`.
 */
export function installPackedCli(): { bin: string; tarball: string; prefix: string } {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'packed-cli-'));
  const packDir = path.join(scratch, 'pack');
  const prefix = path.join(scratch, 'user');
  execFileSync('mkdir', ['-p', packDir, prefix]);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: REPO, stdio: 'pipe' });
  const tarball = path.join(
    packDir,
    readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
  );
  writeFileSync(path.join(prefix, 'package.json'), '{ "name": "user-project", "private": true }\n');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], {
    cwd: prefix,
    stdio: 'pipe',
  });
  return { bin: path.join(prefix, 'node_modules/.bin/mkosi-ci'), tarball, prefix };
}
