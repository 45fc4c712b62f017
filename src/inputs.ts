/**
 * The inputs of the action, which are also the flags of the CLI (`--<name>`), one to one.
 * action.yml is checked against this table by a unit test, so the two cannot drift apart.
 */
export enum Input {
  Directory = 'directory',
  MkosiVersion = 'mkosi-version',
  MkosiSource = 'mkosi-source',
  MkosiReleaseUrl = 'mkosi-release-url',
  MkosiSha256 = 'mkosi-sha256',
  PrepareHost = 'prepare-host',
  Profiles = 'profiles',
  Environment = 'environment',
  Args = 'args',
  Mirror = 'mirror',
  ToolsTree = 'tools-tree',
  Force = 'force',
  Boot = 'boot',
  BootTimeout = 'boot-timeout',
  BootTransport = 'boot-transport',
  Kvm = 'kvm',
  BootRam = 'boot-ram',
  BootCpus = 'boot-cpus',
  BootFirmware = 'boot-firmware',
  BootAllowFailed = 'boot-allow-failed',
  BootWatch = 'boot-watch',
  BootTest = 'boot-test',
  BootTestTimeout = 'boot-test-timeout',
  UpdateFrom = 'update-from',
  SignKey = 'sign-key',
  SignPassphrase = 'sign-passphrase',
  Upload = 'upload',
  ArtifactName = 'artifact-name',
  RetentionDays = 'retention-days',
  Release = 'release',
  GithubToken = 'github-token',
  ReleaseEvents = 'release-events',
  Reproducible = 'reproducible',
  ReproducibleVariations = 'reproducible-variations',
  DiffMaxFiles = 'diff-max-files',
  DiffMaxReportSize = 'diff-max-report-size',
  Diffoscope = 'diffoscope',
  Cache = 'cache',
  CachePackages = 'cache-packages',
  CacheIncremental = 'cache-incremental',
  CacheToolsTree = 'cache-tools-tree',
  CacheKeySuffix = 'cache-key-suffix',
  CacheMaxAge = 'cache-max-age',
}

export type RawInputs = Record<Input, string>;

export interface InputSpec {
  readonly default: string;
  readonly description: string;
  /** The value shape shown in CLI help. */
  readonly placeholder: string;
  /** Lists and multi-line values: one item per line (the CLI flag may be repeated). */
  readonly multiline?: boolean;
}

export const DEFAULT_MKOSI_VERSION = 'v27.1';
export const DEFAULT_MKOSI_RELEASE_URL = 'https://github.com/systemd/mkosi/archive/{ref}.tar.gz';

export const INPUT_SPECS: Readonly<Record<Input, InputSpec>> = {
  [Input.Directory]: {
    default: '.',
    placeholder: 'DIR',
    description: 'The mkosi project: a directory with mkosi.conf or mkosi.conf.d/.',
  },
  [Input.MkosiVersion]: {
    default: DEFAULT_MKOSI_VERSION,
    placeholder: 'TAG|COMMIT',
    description:
      'The mkosi release tag (v27.1) or full commit to install when mkosi-source is release. The default is pinned and its tarball checksum is verified.',
  },
  [Input.MkosiSource]: {
    default: 'auto',
    placeholder: 'auto|release|system|apt|PATH',
    description:
      'Where mkosi comes from: release (the tarball of mkosi-version, kept in the tool cache), system (mkosi on PATH), apt (the distribution package), a path to an mkosi checkout (runs its bin/mkosi), or auto: the mkosi on PATH when it is mkosi-version, else release.',
  },
  [Input.MkosiReleaseUrl]: {
    default: DEFAULT_MKOSI_RELEASE_URL,
    placeholder: 'URL',
    description:
      'Where release tarballs are downloaded from; {ref} becomes refs/tags/<tag> or the commit. For mirrors and GitHub Enterprise.',
  },
  [Input.MkosiSha256]: {
    default: '',
    placeholder: 'SHA256',
    description:
      'The expected sha256 of the release tarball, for versions other than the pinned default (whose checksum ships with mkosi-ci).',
  },
  [Input.PrepareHost]: {
    default: 'auto',
    placeholder: 'auto|yes|no',
    description:
      'Prepare the host as mkosi needs it (KVM and vhost-vsock access, AppArmor user namespaces, host packages) with sudo. auto does it on GitHub-hosted Linux runners only.',
  },
  [Input.Profiles]: {
    default: '',
    placeholder: 'PROFILE',
    multiline: true,
    description: 'mkosi profiles to enable, separated by commas or new lines.',
  },
  [Input.Environment]: {
    default: '',
    placeholder: 'KEY=VALUE',
    multiline: true,
    description: "Variables for mkosi's Environment= (scripts and tools), one KEY=VALUE per line.",
  },
  [Input.Args]: {
    default: '',
    placeholder: 'ARG',
    multiline: true,
    description: 'Extra mkosi options, one per line (for example --image-version=1.2).',
  },
  [Input.Mirror]: {
    default: '',
    placeholder: 'URL',
    description:
      "The distribution mirror, e.g. http://host/debian. For Debian and Ubuntu mkosi-ci also writes the image's and the tools tree's apt sources from it, so a mirror without the debug or security archive still builds.",
  },
  [Input.ToolsTree]: {
    default: 'default',
    placeholder: 'default|none|PATH',
    description:
      "The tools tree mkosi builds with: default (mkosi builds one), none (use the host's tools) or the path of a prepared tree.",
  },
  [Input.Force]: {
    default: '1',
    placeholder: 'N',
    description:
      'How many -f to pass to mkosi build (0 to 3): 1 rebuilds the image, 2 also the incremental cache, 3 also the package cache.',
  },
  [Input.Boot]: {
    default: 'auto',
    placeholder: 'auto|true|false',
    description:
      'Boot the image in qemu and fail when a unit failed. auto boots the bootable formats (disk, esp, uki) with a bootable configuration.',
  },
  [Input.BootTimeout]: {
    default: 'auto',
    placeholder: 'SECONDS',
    description:
      'How long the guest may take to boot, settle and report; auto is 180 with KVM and 600 without.',
  },
  [Input.BootTransport]: {
    default: 'auto',
    placeholder: 'auto|vsock|serial',
    description:
      'How the verdict leaves the guest: vsock (systemd notifications through vhost-device-vsock) or serial (a report between per-run nonce markers on a second serial port). auto picks vsock when vhost-device-vsock is installed.',
  },
  [Input.Kvm]: {
    default: 'auto',
    placeholder: 'auto|yes|no',
    description:
      'Use KVM: auto uses it only when a short probe VM really runs under it, else software emulation.',
  },
  [Input.BootRam]: {
    default: '',
    placeholder: 'MIB',
    description:
      "Memory of the guest in MiB. Empty: the project's [Runtime] RAM=, as mkosi vm uses it (mkosi's default is 2G).",
  },
  [Input.BootCpus]: {
    default: '',
    placeholder: 'N',
    description:
      "Virtual CPUs of the guest. Empty: the project's [Runtime] CPUs=, as mkosi vm uses it (mkosi's default is 1).",
  },
  [Input.BootFirmware]: {
    default: 'auto',
    placeholder: 'auto|uefi|bios|linux',
    description:
      "How the guest starts: uefi (OVMF), bios, or linux (the UKI or kernel given to qemu directly). auto: the project's [Runtime] Firmware=, as mkosi vm uses it; when that is auto too, linux for Format=uki, else uefi.",
  },
  [Input.BootAllowFailed]: {
    default: '',
    placeholder: 'UNIT-GLOB',
    multiline: true,
    description:
      'Units whose failure is tolerated, as systemctl globs (a bare name means NAME.service), one per line.',
  },
  [Input.BootWatch]: {
    default: '30',
    placeholder: 'SECONDS',
    description:
      'How long to keep watching for units that fail after the boot settled; the check stops early at the first failure.',
  },
  [Input.BootTest]: {
    default: '',
    placeholder: 'PATH|SCRIPT',
    multiline: true,
    description:
      'Tests run in the booted guest once it settled and no unit failed: the path (in the repository) of an executable or of a directory of executables, run in name order, or an inline script starting with #!. Exit 0 passes, 77 skips, anything else (or running out of boot-test-timeout) fails the boot as test-failed. They are carried in as credentials (at most 24 KiB in all) and see MKOSI_CI_IMAGE_ID, MKOSI_CI_IMAGE_VERSION, MKOSI_CI_HOST (the host, 10.0.2.2), MKOSI_CI_TEST_NAME and MKOSI_CI_TEST_RESULTS (their working directory).',
  },
  [Input.BootTestTimeout]: {
    default: '300',
    placeholder: 'SECONDS',
    description:
      'How long each boot-test may run; boot-timeout auto grows by this much per test, a boot-timeout in seconds must leave room for it.',
  },
  [Input.UpdateFrom]: {
    default: '',
    placeholder: 'PATH',
    description:
      'The disk image of an earlier version (a .raw file, or a directory holding one, such as the outputs of an earlier release) to update from, as a machine of a user would: a writable copy of it is booted, systemd-sysupdate in the guest installs the ImageVersion= of this build from its outputs (served to the guest at 10.0.2.2; SHA256SUMS.gpg checked with the keyring in the old image, so sign-key is needed), and the copy is booted again and must run the new version. Each boot is a full boot check. boot-test runs in both boots, before the update. The image needs systemd-sysupdate, gpg, transfer definitions in sysupdate.d/ and the signing key in /etc/systemd/import-pubring.gpg.',
  },
  [Input.SignKey]: {
    default: '',
    placeholder: 'ARMORED-KEY',
    description:
      'An ASCII-armored OpenPGP private key (from a secret) to sign SHA256SUMS with: SHA256SUMS.gpg is a detached signature, verified before anything is uploaded, and the public key is written next to it as signing-key.asc. The key lives in a throwaway keyring for the run only. The CLI reads it from --sign-key-file.',
  },
  [Input.SignPassphrase]: {
    default: '',
    placeholder: 'PASSPHRASE',
    description:
      'The passphrase of sign-key, if it has one (from a secret). The CLI reads it from --sign-passphrase-file.',
  },
  [Input.Upload]: {
    default: 'auto',
    placeholder: 'auto|true|false',
    description:
      'Upload the outputs, SHA256SUMS and its signature as one workflow artifact, and the logs and reports as another. auto uploads on push (branches and tags) and release events.',
  },
  [Input.ArtifactName]: {
    default: '{image}',
    placeholder: 'TEMPLATE',
    description:
      'Name of the image artifact; {image}, {version}, {distribution}, {release}, {architecture} and {profiles} are replaced from the configuration. The logs go to <name>-logs.',
  },
  [Input.RetentionDays]: {
    default: '',
    placeholder: 'DAYS',
    description: "How many days the artifacts are kept (1 to 90); empty: the repository's setting.",
  },
  [Input.Release]: {
    default: 'false',
    placeholder: 'false|true|TAG',
    description:
      'Attach the outputs, SHA256SUMS and its signature to a GitHub release, creating it if needed and replacing assets of the same name. true: the release of the tag the workflow runs for (skipped when it does not run for a tag); a tag name: that release. Needs permissions: contents: write.',
  },
  [Input.GithubToken]: {
    default: '${{ github.token }}',
    placeholder: 'TOKEN',
    description: 'The token for creating releases and uploading their assets.',
  },
  [Input.ReleaseEvents]: {
    default: '',
    placeholder: 'EVENT',
    multiline: true,
    description:
      'Workflow events besides a pushed tag, release and workflow_dispatch that may publish a release (for example schedule), separated by commas or new lines. Pull requests from forks never publish.',
  },
  [Input.Reproducible]: {
    default: 'false',
    placeholder: 'false|check|warn',
    description:
      'Build the image a second time in a fresh copy of the project at another path, with the reproducible-variations, and compare the two builds file by file. check fails the job when they differ, warn only reports. Seed= and SourceDateEpoch= are pinned for both builds when the project leaves them unset; both builds run with Incremental=no.',
  },
  [Input.ReproducibleVariations]: {
    default: 'build-path, time, timezone, locale, hostname',
    placeholder: 'VARIATION',
    multiline: true,
    description:
      'What differs in the second build, separated by commas or new lines: build-path, time, timezone, locale, umask, hostname (hostname needs root), or none. umask is not varied by default: mkosi 27.1 writes its own default initrd under the umask it runs with.',
  },
  [Input.DiffMaxFiles]: {
    default: '100',
    placeholder: 'N',
    description:
      'Most differing files named in the report and given to diffoscope; counting goes on past it.',
  },
  [Input.DiffMaxReportSize]: {
    default: '20M',
    placeholder: 'BYTES[K|M|G]',
    description: 'Largest diffoscope report (its --max-report-size), e.g. 20M.',
  },
  [Input.Diffoscope]: {
    default: 'auto',
    placeholder: 'auto|yes|no',
    description:
      'Explain the differing files with diffoscope (only those files, with a timeout). auto uses it when the tools tree or the host has it; yes fails when neither has it.',
  },
  [Input.Cache]: {
    default: 'true',
    placeholder: 'true|false',
    description:
      'Restore and save the caches below (GitHub cache service in the action, --cache-dir in the CLI); false switches all of them off.',
  },
  [Input.CachePackages]: {
    default: 'true',
    placeholder: 'true|false',
    description: "Cache mkosi's package cache directory (downloaded packages).",
  },
  [Input.CacheIncremental]: {
    default: 'true',
    placeholder: 'true|false',
    description:
      "Cache mkosi's incremental image cache; Incremental=yes is turned on for the build unless the project sets Incremental= itself.",
  },
  [Input.CacheToolsTree]: {
    default: 'true',
    placeholder: 'true|false',
    description: 'Cache the default tools tree mkosi builds (tools-tree: default).',
  },
  [Input.CacheKeySuffix]: {
    default: '',
    placeholder: 'TEXT',
    description:
      'Added to every cache key, to keep caches of different jobs or branches apart; entries with another suffix are never restored.',
  },
  [Input.CacheMaxAge]: {
    default: '7',
    placeholder: 'DAYS',
    description:
      'Days after which the cache keys roll over, so security updates reach the packages, the incremental cache and the tools tree; 0 never.',
  },
};

export function defaultInputs(): RawInputs {
  return Object.fromEntries(
    Object.entries(INPUT_SPECS).map(([name, spec]) => [name, spec.default]),
  ) as RawInputs;
}
