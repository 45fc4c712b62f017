import type { BootTest } from './boot-tests.js';
import { shellQuote } from './check-unit.js';

/**
 * The guest side of the A/B update round trip (update-round-trip.ts): one boot test, run in both boots
 * of the same writable disk. In the first boot (the old version) it copies the image's own
 * systemd-sysupdate transfer definitions to /run with every `[Source]` `Path=` pointing at the host's
 * server, runs `systemd-sysupdate update VERSION` with them (the image's own keyring checks
 * SHA256SUMS.gpg, the manifest checks every file), and leaves a mark in /var, which survives the reboot.
 * In the second boot it passes only when the running system is the new version; a system that booted the
 * old version again after an update fails, naming both. Every line it prints that the host reads starts
 * with `update-round-trip:`.
 */

export const UPDATE_TEST_NAME = 'update-round-trip';
/** The line the test prints in each boot: `update-round-trip: running VERSION`. */
export const RUNNING_PREFIX = 'update-round-trip: running ';
/** Persistent across both boots: /var is writable on an image-based system, / is not. */
const MARK = '/var/lib/mkosi-ci/update-round-trip';

export interface UpdateTestOptions {
  /** The directory the guest fetches from, e.g. `http://10.0.2.2:PORT/`. */
  url: string;
  /** The version to install and then to find running. */
  toVersion: string;
}

const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9._~/-]*$/;
const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

export function updateTestScript(options: UpdateTestOptions): string {
  if (!SAFE_URL.test(options.url)) throw new Error(`invalid update URL: ${options.url}`);
  if (!SAFE_VERSION.test(options.toVersion)) throw new Error(`invalid version: ${options.toVersion}`);
  return `#!/bin/sh
# mkosi-ci update round trip (generated; see update-test.ts).
set -u
URL=${shellQuote(options.url.endsWith('/') ? options.url : `${options.url}/`)}
TO=${shellQuote(options.toVersion)}
MARK=${MARK}
SYSUPDATE=/usr/lib/systemd/systemd-sysupdate
DEFS=/run/mkosi-ci/sysupdate.d
version=\${MKOSI_CI_IMAGE_VERSION:-}
echo "${RUNNING_PREFIX}$version"
if [ "$version" = "$TO" ]; then
  [ -e "$MARK" ] || { echo "update-round-trip: already at $TO before any update"; exit 1; }
  exit 0
fi
if [ -e "$MARK" ]; then
  echo "update-round-trip: installed $TO, but the system booted $version again"
  exit 1
fi
[ -x "$SYSUPDATE" ] || { echo "update-round-trip: $SYSUPDATE is missing (Debian: systemd-container)"; exit 1; }
mkdir -p "$DEFS" "\${MARK%/*}" || exit 1
# The image's definitions, the later directory winning as in systemd-sysupdate's own search order.
for dir in /usr/lib/sysupdate.d /usr/local/lib/sysupdate.d /run/sysupdate.d /etc/sysupdate.d; do
  for file in "$dir"/*.transfer; do
    [ -f "$file" ] || continue
    # sed, not awk: an image need not have awk. Only [Source] sections: [Target] has a Path= too.
    sed "/^[[:space:]]*\\[Source\\]/,/^[[:space:]]*\\[/ s|^[[:space:]]*Path[[:space:]]*=.*|Path=$URL|" \\
      "$file" >"$DEFS/\${file##*/}" || exit 1
  done
done
ls "$DEFS"/*.transfer >/dev/null 2>&1 || { echo "update-round-trip: the image has no sysupdate.d/*.transfer"; exit 1; }
# The check runs once the boot settled, which need not wait for the network: wait for it here, through
# whichever network manager the image enables.
timeout 90 systemctl start network-online.target ||
  echo "update-round-trip: network-online.target not reached within 90 s; trying anyway"
"$SYSUPDATE" --definitions="$DEFS" --no-pager update "$TO" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "update-round-trip: systemd-sysupdate update $TO exited with $status"
  exit 1
fi
"$SYSUPDATE" --definitions="$DEFS" --no-pager --offline list 2>&1
echo "$TO" >"$MARK" && sync "$MARK" || exit 1
echo "update-round-trip: installed $TO"
`;
}

export function updateTest(options: UpdateTestOptions): BootTest {
  return { name: UPDATE_TEST_NAME, content: Buffer.from(updateTestScript(options)) };
}

/** The versions the test saw running, in the order of its lines (one per boot it ran in). */
export function runningVersions(output: readonly string[]): string[] {
  return output.filter((l) => l.startsWith(RUNNING_PREFIX)).map((l) => l.slice(RUNNING_PREFIX.length).trim());
}
