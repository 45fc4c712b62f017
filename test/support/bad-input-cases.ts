import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_BOOTABLE, type BadInputCase } from './bad-input.js';
import { HOST_PATH, mkosiInputCases, skipWhenOnHostPath } from './bad-input-cases-mkosi.js';
import type { TestKey } from './gpg-keys.js';
import { TOOLS_TREE } from './paths.js';

export { HOST_PATH } from './bad-input-cases-mkosi.js';

/**
 * Bad values of the action's inputs, which are also the CLI's flags: one table, run through both
 * bundles. Each error must name the input and say what is valid.
 */

/** A project whose mkosi.conf mkosi refuses. */
function brokenProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-project-'));
  writeFileSync(path.join(dir, 'mkosi.conf'), '[Output]\nFormat=bogus\n');
  return dir;
}

/**
 * Bad values of every input, judged before mkosi resolves anything (most before mkosi is even looked
 * for). `files` is the test's HTTP server (release tarballs).
 */
export function parseCases(files: { url: () => string }): BadInputCase[] {
  return [
    ...mkosiInputCases(files),
    {
      name: 'unknown boot',
      inputs: { boot: 'maybe' },
      error: /Input boot: 'maybe' is not valid; expected auto, true or false/,
    },
    {
      name: 'boot-timeout below the minimum',
      inputs: { 'boot-timeout': '10' },
      error:
        /Input boot-timeout: '10' is not valid; expected auto or a whole number of seconds from 30 to 86400/,
    },
    {
      name: 'boot-timeout too short to leave the guest time to settle',
      inputs: { 'boot-timeout': '60' },
      error:
        /Input boot-timeout: 60 s leaves the guest 0 s to settle once boot-watch \(30 s\) and 45 s to start and report are taken; it needs at least 30 s: set boot-timeout to 105 or more, or lower boot-watch\./,
    },
    {
      name: 'boot-timeout with a unit',
      inputs: { 'boot-timeout': '5m' },
      error: /Input boot-timeout: '5m' is not valid; expected auto or a whole number of seconds/,
    },
    {
      name: 'unknown boot-transport',
      inputs: { 'boot-transport': 'tcp' },
      error: /Input boot-transport: 'tcp' is not valid; expected auto, vsock, serial/,
    },
    {
      name: 'unknown kvm',
      inputs: { kvm: 'always' },
      error: /Input kvm: 'always' is not valid; expected auto, yes or no/,
    },
    {
      name: 'boot-ram with a unit',
      inputs: { 'boot-ram': '2G' },
      error: /Input boot-ram: '2G' is not valid; expected a whole number of MiB from 256 to 1048576/,
    },
    {
      name: 'boot-ram below the minimum',
      inputs: { 'boot-ram': '128' },
      error: /Input boot-ram: '128' is not valid; expected a whole number of MiB from 256/,
    },
    {
      name: 'boot-test-timeout zero',
      inputs: { 'boot-test-timeout': '0' },
      error: /Input boot-test-timeout: '0' is not valid; expected a whole number of seconds from 1 to 86400/,
    },
    {
      name: 'update-from that does not exist',
      inputs: { 'update-from': '/nonexistent/immutable_1.0.raw' },
      error:
        /Input update-from: '\/nonexistent\/immutable_1\.0\.raw' is not valid; expected the disk image of an earlier version, or a directory holding one/,
    },
    {
      name: 'boot-cpus zero',
      inputs: { 'boot-cpus': '0' },
      error: /Input boot-cpus: '0' is not valid; expected a whole number of CPUs from 1 to 256/,
    },
    {
      name: 'unknown boot-firmware',
      inputs: { 'boot-firmware': 'coreboot' },
      error: /Input boot-firmware: 'coreboot' is not valid; expected auto, uefi, bios, linux/,
    },
    {
      name: 'boot-allow-failed glob with a reversed range',
      inputs: { 'boot-allow-failed': 'foo[z-a]' },
      error: /Input boot-allow-failed: 'foo\[z-a\]' is not valid; expected unit names or globs/,
    },
    {
      name: 'boot-allow-failed glob with an unclosed bracket',
      inputs: { 'boot-allow-failed': 'ok.service\nfoo[abc' },
      error: /Input boot-allow-failed: 'foo\[abc' is not valid; expected unit names or globs/,
    },
    {
      name: 'boot-allow-failed with a space',
      inputs: { 'boot-allow-failed': 'my unit.service' },
      error: /Input boot-allow-failed: 'my unit\.service' is not valid; expected unit names or globs/,
    },
    {
      name: 'boot-watch above the maximum',
      inputs: { 'boot-watch': '3601' },
      error: /Input boot-watch: '3601' is not valid; expected a whole number of seconds from 0 to 3600/,
    },
    {
      name: 'boot-watch negative',
      inputs: { 'boot-watch': '-5' },
      error: /Input boot-watch: '-5' is not valid; expected a whole number of seconds from 0 to 3600/,
    },
    {
      name: 'boot-watch as long as boot-timeout',
      inputs: { 'boot-timeout': '120', 'boot-watch': '120' },
      error: /Input boot-watch: 120 seconds leaves no time to boot within boot-timeout \(120 seconds\)/,
    },
    {
      name: 'boot-watch longer than boot-timeout auto can be',
      inputs: { 'boot-watch': '900' },
      error:
        /Input boot-watch: 900 seconds leaves no time to boot within boot-timeout \(auto: at most 600 seconds\)/,
    },
    {
      name: 'sign-passphrase without sign-key',
      inputs: { 'sign-passphrase': 'a passphrase' },
      error: /Input sign-passphrase: given without sign-key/,
    },
    {
      name: 'unknown upload',
      inputs: { upload: 'sometimes' },
      error: /Input upload: 'sometimes' is not valid; expected auto, true or false/,
    },
    {
      name: 'artifact-name with a slash',
      inputs: { 'artifact-name': 'images/{image}' },
      error:
        /Input artifact-name: 'images\/\{image\}' is not valid; expected a name without " : < > \| \* \? \\ \//,
    },
    {
      name: 'artifact-name with an unknown field',
      inputs: { 'artifact-name': '{image}-{arch}' },
      error:
        /Input artifact-name: unknown field \{arch\}; valid: \{image\}, \{version\}, \{distribution\}, \{release\}, \{architecture\}, \{profiles\}/,
    },
    {
      name: 'artifact-name with an unclosed field',
      inputs: { 'artifact-name': '{image}-{version' },
      error:
        /Input artifact-name: '\{image\}-\{version' has a \{ without its \}; fields are written \{image\}, \{version\}/,
    },
    {
      name: 'retention-days zero',
      inputs: { 'retention-days': '0' },
      error: /Input retention-days: '0' is not valid; expected a whole number of days from 1 to 90/,
    },
    {
      name: 'retention-days above the maximum',
      inputs: { 'retention-days': '91' },
      error: /Input retention-days: '91' is not valid; expected a whole number of days from 1 to 90/,
    },
    {
      name: 'release tag with ..',
      inputs: { release: 'v1..2' },
      error:
        /Input release: 'v1\.\.2' is not valid; expected false, true \(the tag the workflow runs for\) or a tag name/,
    },
    {
      name: 'release tag with a space',
      inputs: { release: 'my release' },
      error: /Input release: 'my release' is not valid; expected false, true/,
    },
    {
      name: 'unknown reproducible',
      inputs: { reproducible: 'sometimes' },
      error: /Input reproducible: 'sometimes' is not valid; expected false, check or warn/,
    },
    {
      name: 'unknown reproducible variation',
      inputs: { reproducible: 'check', 'reproducible-variations': 'umask, moon-phase' },
      error:
        /Input reproducible-variations: 'moon-phase' is not valid; expected none or some of build-path, time, timezone, locale, umask, hostname/,
    },
    {
      name: 'reproducible-variations none with variations',
      inputs: { reproducible: 'check', 'reproducible-variations': 'none, time' },
      error:
        /Input reproducible-variations: none cannot be combined with variations; give none alone or some of build-path, time, timezone, locale, umask, hostname/,
    },
    {
      name: 'diff-max-files zero',
      inputs: { 'diff-max-files': '0' },
      error: /Input diff-max-files: '0' is not valid; expected a whole number of files from 1 to 100000/,
    },
    {
      name: 'diff-max-report-size with an unknown unit',
      inputs: { 'diff-max-report-size': '20X' },
      error:
        /Input diff-max-report-size: '20X' is not valid; expected a size of at least 1K, in bytes or with K, M or G/,
    },
    {
      name: 'diff-max-report-size below 1K',
      inputs: { 'diff-max-report-size': '512' },
      error: /Input diff-max-report-size: '512' is not valid; expected a size of at least 1K/,
    },
    {
      name: 'unknown diffoscope',
      inputs: { diffoscope: 'maybe' },
      error: /Input diffoscope: 'maybe' is not valid; expected auto, yes or no/,
    },
    {
      name: 'unknown cache',
      inputs: { cache: 'maybe' },
      error: /Input cache: 'maybe' is not valid; expected true or false/,
    },
    {
      name: 'unknown cache-packages',
      inputs: { 'cache-packages': 'maybe' },
      error: /Input cache-packages: 'maybe' is not valid; expected true or false/,
    },
    {
      name: 'unknown cache-incremental',
      inputs: { 'cache-incremental': 'off' },
      error: /Input cache-incremental: 'off' is not valid; expected true or false/,
    },
    {
      name: 'unknown cache-tools-tree',
      inputs: { 'cache-tools-tree': '1' },
      error: /Input cache-tools-tree: '1' is not valid; expected true or false/,
    },
    {
      name: 'cache-key-suffix with a space',
      inputs: { 'cache-key-suffix': 'my branch' },
      error:
        /Input cache-key-suffix: 'my branch' is not valid; expected up to 64 letters, digits, "\.", "_" and "-"/,
    },
    {
      name: 'cache-key-suffix too long',
      inputs: { 'cache-key-suffix': 'x'.repeat(65) },
      error: /Input cache-key-suffix: 'x{65}' is not valid; expected up to 64 letters/,
    },
    {
      name: 'cache-max-age negative',
      inputs: { 'cache-max-age': '-1' },
      error: /Input cache-max-age: '-1' is not valid; expected a whole number of days from 0 to 3650/,
    },
    {
      name: 'cache-max-age in words',
      inputs: { 'cache-max-age': 'weekly' },
      error: /Input cache-max-age: 'weekly' is not valid; expected a whole number of days from 0 to 3650/,
    },
  ];
}

/** Values that can only be judged once mkosi resolved the configuration: refused by the check stage. */
export function resolvedCases(keys: { protectedKey: TestKey }): BadInputCase[] {
  const key = keys.protectedKey;
  return [
    {
      name: 'boot: true on a Format=directory image',
      inputs: { boot: 'true' },
      error:
        /Input boot: Format=directory images cannot be booted by mkosi-ci; bootable formats are disk, esp, uki/,
      resolves: true,
    },
    {
      name: 'args with an option mkosi does not know',
      inputs: { args: '--no-such-option=1' },
      error:
        /Input args: mkosi does not know --no-such-option=1; give options of the mkosi that runs \(mkosi --help lists them\), one per line/,
      resolves: true,
    },
    {
      name: 'directory whose mkosi.conf mkosi refuses',
      inputs: { directory: brokenProject() },
      error:
        /mkosi could not read the configuration in .*broken-project-\w+: 'bogus' is not a valid OutputFormat/,
      resolves: true,
    },
    {
      name: 'profile the project does not have',
      inputs: { profiles: 'no-such-profile' },
      error: /Input profiles: .*no-such-profile/,
      resolves: true,
      hole: 'mkosi takes any profile name; telling an unknown one needs every [Match] Profiles= and mkosi.profiles/ of the project',
    },
    {
      name: 'sign-key that is no private key',
      inputs: { 'sign-key': 'my-secret-key-text' },
      error: /Input sign-key: not an ASCII-armored OpenPGP private key/,
      resolves: true,
    },
    {
      name: 'sign-key that is a public key',
      inputs: { 'sign-key': key.armoredPublic, 'sign-passphrase': key.passphrase },
      error: /Input sign-key: this is a public key/,
      resolves: true,
    },
    {
      name: 'sign-key that is damaged',
      inputs: {
        'sign-key': key.armored.replace(/^([A-Za-z0-9+/]{40})/m, 'A'.repeat(40)),
        'sign-passphrase': key.passphrase,
      },
      error: /Input sign-key: gpg could not import the key/,
      resolves: true,
    },
    {
      name: 'sign-passphrase that is wrong',
      inputs: { 'sign-key': key.armored, 'sign-passphrase': 'not the passphrase' },
      error: /Input sign-passphrase: wrong passphrase for the signing key [0-9A-F]{40}/,
      resolves: true,
    },
    {
      name: 'passphrase-protected sign-key without sign-passphrase',
      inputs: { 'sign-key': key.armored },
      error:
        /Input sign-passphrase: the signing key is protected by a passphrase; give it in sign-passphrase/,
      resolves: true,
    },
    {
      name: 'boot-test path that does not exist',
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, 'boot-test': 'no-such-tests' },
      error:
        /Input boot-test: no-such-tests does not exist \(.*\); give an executable, a directory of executables or an inline script starting with #!/,
      resolves: true,
    },
    {
      name: 'boot-test of two lines that is no script',
      inputs: { 'boot-test': 'tests/a\ntests/b' },
      error:
        /Input boot-test: a multi-line value must be a script starting with #! \(got one starting with "tests\/a"\); a path is one line/,
    },
    {
      name: "mkosi's Firmware= that the boot check cannot use",
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, args: '--firmware=uefi-secure-boot' },
      error:
        /Firmware= \(mkosi's \[Runtime\]\): uefi-secure-boot is not one the boot check can use \(the check boots OVMF without Secure Boot\); valid: auto, uefi, bios, linux/,
      resolves: true,
    },
    {
      name: "mkosi's FirmwareVariables= naming a file that does not exist",
      inputs: {
        directory: DEBIAN_BOOTABLE,
        'tools-tree': TOOLS_TREE,
        args: '--firmware-variables=/nonexistent/vars.fd',
      },
      error: /FirmwareVariables= \(mkosi's \[Runtime\]\): \/nonexistent\/vars\.fd does not exist/,
      resolves: true,
    },
    {
      name: "mkosi's TPM=yes without swtpm",
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, args: '--tpm=yes' },
      error:
        /TPM= \(mkosi's \[Runtime\]\): yes needs swtpm, and there is no swtpm and swtpm_setup on the host's PATH/,
      resolves: true,
      skip: skipWhenOnHostPath('swtpm'),
    },
    {
      name: 'boot-firmware linux on a disk image',
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, 'boot-firmware': 'linux' },
      error: /Input boot-firmware: linux boots a UKI directly, and Format=disk; use uefi or bios/,
      resolves: true,
    },
    {
      name: 'boot-firmware bios for a UKI',
      inputs: {
        directory: DEBIAN_BOOTABLE,
        'tools-tree': TOOLS_TREE,
        args: '--format=uki',
        'boot-firmware': 'bios',
      },
      error:
        /Input boot-firmware: bios cannot start Format=uki, which is an EFI program; use auto, linux or uefi/,
      resolves: true,
    },
    {
      name: 'boot-firmware bios for a disk with no BIOS bootloader',
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, 'boot-firmware': 'bios' },
      error:
        /Input boot-firmware: bios needs a disk image with a BIOS bootloader, and this is Format=disk with BiosBootloader=none; use uefi, or set BiosBootloader=grub/,
      resolves: true,
    },
    {
      name: 'boot of a disk image with no qemu anywhere',
      inputs: { directory: DEBIAN_BOOTABLE, boot: 'true' },
      env: { PATH: HOST_PATH },
      error: /Input boot: no qemu-system-x86_64 in the tools tree or on PATH/,
      resolves: true,
      skip: skipWhenOnHostPath('qemu-system-x86_64'),
    },
    {
      name: 'boot-transport vsock without vhost-device-vsock',
      inputs: { directory: DEBIAN_BOOTABLE, 'tools-tree': TOOLS_TREE, 'boot-transport': 'vsock' },
      env: { PATH: HOST_PATH },
      error: /Input boot-transport: vsock needs vhost-device-vsock on PATH/,
      resolves: true,
      skip: skipWhenOnHostPath('vhost-device-vsock'),
    },
    {
      name: 'diffoscope: yes for a reproducibility check with no diffoscope anywhere',
      inputs: { reproducible: 'check', diffoscope: 'yes' },
      env: { PATH: HOST_PATH },
      error: /Input diffoscope: yes, but diffoscope is neither in the tools tree nor on PATH/,
      resolves: true,
      skip: skipWhenOnHostPath('diffoscope'),
    },
  ];
}
