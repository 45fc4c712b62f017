import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveDirectory, type UpdateServer } from '../../src/boot/update-server.js';
import type { TestKey } from './gpg-keys.js';

/**
 * Planted bad releases for the update round trip, refused in the guest in the same first boot as the
 * good update (no boot of their own): each is a copy of the good release (hard links) served on its own
 * port, with one thing wrong, and a boot test that runs systemd-sysupdate against it and passes only when
 * sysupdate refuses. Their logs say why it refused.
 *
 * - `second-key`: SHA256SUMS signed by a key the image does not trust.
 * - `corrupt-root`: the root partition changed after SHA256SUMS was signed (one byte).
 */
export interface PlantedReleases {
  /** The directory of boot tests, for --boot-test. */
  tests: string;
  servers: UpdateServer[];
  close(): Promise<void>;
}

/** The keyring file systemd 257's import code reads first (pull-common.c): the image trusts this key. */
export const IMAGE_KEYRING = 'etc/systemd/import-pubring.gpg';

/** An extra tree that makes an image trust `key` for systemd-pull (and so systemd-sysupdate). */
export function trustTree(key: TestKey): string {
  const tree = mkdtempSync(path.join(os.tmpdir(), 'trust-tree-'));
  mkdirSync(path.join(tree, path.dirname(IMAGE_KEYRING)), { recursive: true });
  // Binary, as systemd's --keyring= takes it; gpg --dearmor reads the armored key from stdin.
  const binary = execFileSync('gpg', ['--batch', '--dearmor'], { input: key.armoredPublic });
  writeFileSync(path.join(tree, IMAGE_KEYRING), binary, { mode: 0o644 });
  return tree;
}

function linkRelease(release: string, into: string): void {
  mkdirSync(into);
  for (const name of readdirSync(release, { withFileTypes: true })) {
    if (name.isFile()) linkSync(path.join(release, name.name), path.join(into, name.name));
  }
}

function signWith(key: TestKey, file: string, signature: string): void {
  const home = mkdtempSync(path.join(os.tmpdir(), 'planted-gnupg-'));
  const gpg = ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', key.passphrase];
  execFileSync('gpg', [...gpg, '--import'], { input: key.armored, stdio: ['pipe', 'ignore', 'ignore'] });
  execFileSync('gpg', [...gpg, '--detach-sign', '--output', signature, file], { stdio: 'ignore' });
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
}

/** The root partition of a release, copied (not linked) and changed in one byte of its filesystem. */
function corruptRoot(dir: string): string {
  const root = readdirSync(dir).find((n) => /\.root-[0-9a-f]{32}\.raw$/.test(n))!;
  const file = path.join(dir, root);
  const copy = `${file}.copy`;
  execFileSync('cp', ['--sparse=always', file, copy]);
  execFileSync('mv', ['-f', copy, file]);
  const fd = openSync(file, 'r+');
  try {
    // Inside the erofs superblock (at 1024): the first thing a reader of the partition would trip on.
    writeSync(fd, Buffer.from([0xff]), 0, 1, 1024 + 64);
  } finally {
    closeSync(fd);
  }
  return root;
}

/** A boot test that passes only when systemd-sysupdate refuses the release at `url`; skipped on `to`. */
function refusalTest(url: string, to: string): string {
  return `#!/bin/sh
set -u
[ "\${MKOSI_CI_IMAGE_VERSION:-}" != ${to} ] || { echo "running ${to}: nothing to refuse"; exit 77; }
DEFS=/run/refusal-$MKOSI_CI_TEST_NAME.d
mkdir -p "$DEFS"
for f in /usr/lib/sysupdate.d/*.transfer; do
  sed "/^[[:space:]]*\\[Source\\]/,/^[[:space:]]*\\[/ s|^[[:space:]]*Path[[:space:]]*=.*|Path=${url}|" "$f" >"$DEFS/\${f##*/}"
done
timeout 90 systemctl start network-online.target
/usr/lib/systemd/systemd-sysupdate --definitions="$DEFS" --no-pager update ${to} 2>&1
status=$?
echo "refusal: systemd-sysupdate exited with $status"
[ "$status" -ne 0 ]
`;
}

export async function plantBadReleases(
  release: string,
  otherKey: TestKey,
  to: string,
): Promise<PlantedReleases> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'planted-releases-'));
  const tests = path.join(scratch, 'tests');
  mkdirSync(tests);
  const secondKey = path.join(scratch, 'second-key');
  linkRelease(release, secondKey);
  execFileSync('rm', ['-f', path.join(secondKey, 'SHA256SUMS.gpg')]);
  signWith(otherKey, path.join(secondKey, 'SHA256SUMS'), path.join(secondKey, 'SHA256SUMS.gpg'));
  const corrupt = path.join(scratch, 'corrupt-root');
  linkRelease(release, corrupt);
  corruptRoot(corrupt);
  const servers: UpdateServer[] = [];
  for (const [name, dir] of [
    ['10-second-key', secondKey],
    ['20-corrupt-root', corrupt],
  ] as const) {
    const server = await serveDirectory(dir);
    servers.push(server);
    writeFileSync(path.join(tests, name), refusalTest(server.guestUrl, to));
    chmodSync(path.join(tests, name), 0o755);
  }
  return { tests, servers, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
