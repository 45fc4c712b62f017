import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGptTable, type GptPartition } from '../../src/repro/gpt.js';
import { runCli, runSourceCli, type CliRun } from '../support/action-harness.js';
import { generateKey, type TestKey } from '../support/gpg-keys.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';
import { toolsTreeProgram } from '../support/tools-tree.js';
import { plantBadReleases, trustTree } from '../support/update-planted.js';

/**
 * The example projects of test-projects/, each built once through the CLI bundle (in its beforeAll)
 * and, where it boots, boot-checked under qemu. rescue-uki, immutable and sysext go through
 * `mkosi-ci repro`: built, booted, built again varied and compared (boxes too would cost CI another two
 * to three minutes; nightly-repro.yml checks all four); immutable's boot is its update round trip's first
 * boot. The verdict comes from the CLI's exit status and its `boot check:` and `reproducible:` lines;
 * the work directory keeps the serial console and the report.
 */

const BUILD_AND_BOOT = 40 * 60_000;
const BOOT = 12 * 60_000;
const UPDATE_ROUND_TRIP = 40 * 60_000;

interface Example {
  project: string;
  outputDir: string;
  scratch: string;
  workDir: (name: string) => string;
  run: (command: 'build' | 'boot' | 'repro', name: string, flags?: readonly string[]) => Promise<CliRun>;
}

function example(project: string): Example {
  const scratch = mkdtempSync(path.join(os.tmpdir(), `example-${project}-`));
  const outputDir = path.join(scratch, 'out');
  const workDir = (name: string): string => path.join(scratch, `work-${name}`);
  return {
    project,
    outputDir,
    scratch,
    workDir,
    run: (command, name, flags = []) =>
      runCli([
        command,
        '--directory',
        path.join(TEST_PROJECTS, project),
        `--mirror=${debianMirror()}`,
        `--tools-tree=${TOOLS_TREE}`,
        `--args=--output-directory=${outputDir}`,
        `--args=--package-cache-directory=${PACKAGE_CACHE}`,
        // Not about caches: no incremental cache kept in this machine's home between the examples.
        '--cache=false',
        `--work-dir=${workDir(name)}`,
        ...flags,
      ]),
  };
}

/** Everything the run printed, for the message of a failed expectation. */
const said = (run: CliRun): string => run.stdout.slice(-4000) + run.stderr.slice(-4000);

function expectBootPassed(run: CliRun, firmware: string): void {
  expect(run.status, said(run)).toBe(0);
  expect(run.stdout).toContain('boot check: passed: the system is running');
  expect(run.stdout).toMatch(new RegExp(`(KVM|TCG), ${firmware}, report over`));
}

/** `repro` builds a second time in a fresh copy of the project, varied, and compares the two. */
function expectReproducible(run: CliRun): void {
  expect(run.stdout, said(run)).toContain('reproducible: yes (the two builds are bit-identical)');
}

function serialConsole(ex: Example, name: string): string {
  return readFileSync(path.join(ex.workDir(name), 'logs/boot/serial-console.log'), 'utf8');
}

/** A sysupdate.d MatchPattern as a regular expression: @v the version, @u a UUID, @l/@d tries. */
function matchPattern(pattern: string, version: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const filled = escaped
    .replace(/@v/g, version.replace(/\./g, '\\.'))
    .replace(/@u/g, '([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})')
    .replace(/@[ld]/g, '\\d+');
  return new RegExp(`^${filled}$`);
}

/** The [Source] and [Target] MatchPattern= of a transfer definition (continuation lines joined). */
function transfer(file: string): { source: string; target: string[]; partitionType?: string } {
  const text = readFileSync(file, 'utf8').replace(/\\\n\s*/g, ' ');
  const section = (name: string): string => text.split(`[${name}]`)[1]!.split(/\n\[/)[0]!;
  const value = (body: string, key: string): string | undefined =>
    new RegExp(`^${key}=(.*)$`, 'm').exec(body)?.[1]?.trim();
  return {
    source: value(section('Source'), 'MatchPattern')!,
    target: value(section('Target'), 'MatchPattern')!.split(/\s+/),
    partitionType: value(section('Target'), 'MatchPartitionType'),
  };
}

async function gpt(image: string): Promise<GptPartition[]> {
  const table = await readGptTable(image);
  if (!table) throw new Error(`${image} has no GPT`);
  return table.partitions;
}

/** debugfs on the ext4 root partition of a disk image, without mounting it. */
async function rootDebugfs(image: string, request: string): Promise<string> {
  const root = (await gpt(image)).find((p) => p.typeName === 'root-x86-64');
  if (!root) throw new Error(`${image} has no root partition`);
  return toolsTreeProgram('usr/sbin/debugfs', ['-R', request, `${image}?offset=${root.offset}`]);
}

describe('rescue-uki: one UKI, booted directly and through UEFI from a FAT disk', () => {
  const ex = example('rescue-uki');
  let build: CliRun;
  beforeAll(async () => {
    build = await ex.run('repro', 'build');
  }, BUILD_AND_BOOT);

  it('builds twice, varied, to the same bytes (mkosi-ci repro)', () => {
    expectReproducible(build);
  });

  it('builds the UKI and boots it with qemu -kernel (boot-firmware auto: linux)', () => {
    expectBootPassed(build, 'linux');
    expect(build.stdout).toMatch(/debian trixie x86-64, Format=uki, built in/);
    expect(statSync(path.join(ex.outputDir, 'rescue_1.efi')).size).toBeGreaterThan(20 * 2 ** 20);
  });

  it('keeps its own command line (console on ttyS0) and logs root in on the serial console', () => {
    const console = serialConsole(ex, 'build');
    expect(console).toContain('Welcome to');
    expect(console).toMatch(/rescue login: root \(automatic login\)/);
  });

  it('names its packages per distribution: debian by default, ubuntu, fedora and arch as profiles', () => {
    const summary = (profile?: string): { Distribution: string; Packages: string[] } => {
      const args = [...(profile ? [`--profile=${profile}`] : []), '--json', 'summary'];
      const json = JSON.parse(
        execFileSync('mkosi', args, { cwd: path.join(TEST_PROJECTS, 'rescue-uki'), encoding: 'utf8' }),
      ) as { Images: Array<{ Distribution: string; Packages: string[] }> };
      return json.Images.at(-1)!;
    };
    const kernels = {
      debian: 'linux-image-cloud-amd64',
      ubuntu: 'linux-image-virtual',
      fedora: 'kernel-core',
      arch: 'linux',
    };
    for (const [distribution, kernel] of Object.entries(kernels)) {
      const image = summary(distribution === 'debian' ? undefined : distribution);
      expect(image.Distribution).toBe(distribution);
      // Each gets its own package names and no other distribution's.
      expect(image.Packages).toContain(kernel);
      for (const other of Object.values(kernels)) {
        if (other !== kernel) expect(image.Packages).not.toContain(other);
      }
    }
  });

  it(
    'boots the same UKI through OVMF from a FAT disk (boot-firmware: uefi)',
    async () => {
      const run = await ex.run('boot', 'uefi', ['--boot-firmware=uefi']);
      expectBootPassed(run, 'uefi');
      expect(serialConsole(ex, 'uefi')).toMatch(/BdsDxe: starting Boot\d+ "UEFI Misc Device"/);
    },
    BOOT,
  );
});

describe('immutable: read-only verity root, an empty B slot, sysupdate transfers', () => {
  const ex = example('immutable');
  let build: CliRun;
  // The publisher's key, which the image trusts for its updates (built in through an extra tree).
  let signer: TestKey;
  let trust: string;
  beforeAll(async () => {
    signer = generateKey('immutable-release-signer');
    trust = trustTree(signer);
    // Not booted here: the update round trip's first boot is a whole boot check of this 1.0 disk (its
    // own firmware, systemd-boot, the UKI), and each TCG boot costs CI a minute or two.
    build = await ex.run('repro', 'build', [`--args=--extra-tree=${trust}`, '--boot=false']);
  }, BUILD_AND_BOOT);

  it('builds twice, varied, to the same bytes: disk, split partitions, UKI (mkosi-ci repro)', () => {
    expectReproducible(build);
  });

  it('builds the erofs profile by default, as a disk', () => {
    expect(build.status, said(build)).toBe(0);
    expect(build.stdout).toMatch(/Format=disk, built in/);
  });

  it('lays out the disk as the transfer definitions expect: A slot labelled, B slot empty', async () => {
    const parts = await gpt(path.join(ex.outputDir, 'immutable_1.0.raw'));
    expect(parts.map((p) => [p.name, p.typeName])).toEqual([
      ['esp', 'esp'],
      ['immutable_1.0', 'root-x86-64'],
      ['immutable_1.0_verity', 'root-x86-64-verity'],
      ['_empty', 'root-x86-64'],
      ['_empty', 'root-x86-64-verity'],
      ['var', 'var'],
    ]);
    // Either slot takes any version: A and B have one size.
    expect(parts[3]!.size).toBe(parts[1]!.size);
    expect(parts[4]!.size).toBe(parts[2]!.size);
  });

  it('publishes the split UKI and partitions under the names the transfers fetch, with their UUIDs', async () => {
    const files = readdirSync(ex.outputDir);
    // Only what an update needs is split out: not the ESP, /var or the empty B slot.
    expect(files.filter((f) => f.endsWith('.raw')).sort()).toEqual([
      'immutable_1.0.raw',
      expect.stringMatching(/^immutable_1\.0\.root-[0-9a-f]{32}\.raw$/),
      expect.stringMatching(/^immutable_1\.0\.root-verity-[0-9a-f]{32}\.raw$/),
    ]);
    const parts = await gpt(path.join(ex.outputDir, 'immutable_1.0.raw'));
    const dir = path.join(TEST_PROJECTS, 'immutable/mkosi.extra/usr/lib/sysupdate.d');
    const transfers = readdirSync(dir).filter((f) => f.endsWith('.transfer'));
    expect(transfers).toEqual(['50-root-verity.transfer', '60-root.transfer', '70-uki.transfer']);
    for (const name of transfers) {
      const t = transfer(path.join(dir, name));
      const source = matchPattern(t.source, '1.0');
      const matching = files.filter((f) => source.test(f));
      expect(matching, `${name}: ${t.source} in ${files.join(' ')}`).toHaveLength(1);
      expect(readFileSync(path.join(ex.outputDir, 'SHA256SUMS'), 'utf8')).toContain(` *${matching[0]}\n`);
      if (!t.partitionType) {
        // The UKI the image booted, on its ESP under the name the target pattern finds.
        expect(t.target.some((p) => matchPattern(p, '1.0').test('immutable_1.0.efi'))).toBe(true);
        continue;
      }
      // The partition the split file came from carries the UUID in its name (@u in the source pattern).
      const uuid = source.exec(matching[0]!)![1]!.replace(/-/g, '');
      const partition = parts.find((p) => p.uuid.replace(/-/g, '') === uuid);
      expect(partition?.name, `${name}: no partition ${uuid}`).toMatch(matchPattern(t.target[0]!, '1.0'));
    }
  });

  it(
    'updates 1.0 to 2.0 in the guest from the signed release, refusing a second key and a corrupted root (update-from)',
    async () => {
      // 2.0 from the same configuration, into its own directory, signed; then 1.0's disk updated from it.
      const release = path.join(ex.scratch, 'out-2.0');
      const flags = [
        '--directory',
        path.join(TEST_PROJECTS, 'immutable'),
        `--mirror=${debianMirror()}`,
        `--tools-tree=${TOOLS_TREE}`,
        `--args=--output-directory=${release}`,
        `--args=--package-cache-directory=${PACKAGE_CACHE}`,
        '--cache=false',
        '--args=--image-version=2.0',
        `--args=--extra-tree=${trust}`,
        '--boot=false',
      ];
      const started = Date.now();
      const build2 = await runSourceCli([
        'build',
        ...flags,
        `--sign-key-file=${signer.keyFile}`,
        `--sign-passphrase-file=${signer.passphraseFile}`,
        `--work-dir=${ex.workDir('build-2.0')}`,
      ]);
      expect(build2.status, said(build2)).toBe(0);
      const built = Date.now();
      const planted = await plantBadReleases(release, generateKey('someone-else'), '2.0');
      try {
        const run = await runSourceCli([
          'boot',
          ...flags,
          `--update-from=${ex.outputDir}`,
          `--boot-test=${planted.tests}`,
          `--work-dir=${ex.workDir('update')}`,
        ]);
        const done = Date.now();
        console.log(
          `update round trip: 2.0 built in ${Math.round((built - started) / 1000)} s, round trip (two TCG boots, three updates tried) ${Math.round((done - built) / 1000)} s`,
        );
        expect(run.status, said(run)).toBe(0);
        // The progress line goes to stderr with the rest of the log; the verdict table to stdout.
        expect(run.stderr).toContain(
          'update round trip: passed: updated from 1.0 to 2.0, and the second boot runs 2.0',
        );
        expect(run.stdout).toMatch(/\nupdated\s+1\.0 → 2\.0\n/);
        // The first boot is 1.0's disk through UEFI (systemd-boot, then the UKI), checked as any boot.
        expect(run.stderr).toMatch(/Booting \S+ with .*: (KVM|TCG), uefi, /);
        const log = (boot: number, test: string): string =>
          readFileSync(path.join(ex.workDir('update'), `logs/update/boot-${boot}/tests/${test}.log`), 'utf8');
        // Refused in the guest, for the reason planted, before the good update in the same boot.
        expect(log(1, '10-second-key')).toContain("gpg: Can't check signature: No public key");
        expect(log(1, '10-second-key')).toContain('DOWNLOAD INVALID: Signature verification failed.');
        expect(log(1, '20-corrupt-root')).toMatch(
          /DOWNLOAD INVALID: Checksum of \S+\/immutable_2\.0\.root-[0-9a-f]{32}\.raw file did not check out, file has been tampered with\./,
        );
        expect(log(1, 'update-round-trip')).toContain('update-round-trip: running 1.0');
        expect(log(1, 'update-round-trip')).toContain('update-round-trip: installed 2.0');
        expect(log(2, 'update-round-trip')).toContain('update-round-trip: running 2.0');
        expect(log(2, '10-second-key')).toContain('nothing to refuse');
        // Each bad release was asked for its manifest: the refusals were systemd-sysupdate's own.
        for (const server of planted.servers) expect(server.requests).toContain('GET /SHA256SUMS 200');
      } finally {
        await planted.close();
      }
    },
    UPDATE_ROUND_TRIP,
  );
});

// One build per project: of the boxes, the vagrant profile, which exercises the most of the project's own
// files (mkosi.postoutput, sysusers.d, tmpfiles.d, sudoers.d). basic is its subset; cloud adds cloud-init.
describe('boxes: the vagrant profile, converted to qcow2 and packed as a box', () => {
  const ex = example('boxes');
  let build: CliRun;
  beforeAll(async () => {
    build = await ex.run('build', 'build', ['--profiles=vagrant']);
  }, BUILD_AND_BOOT);

  it('builds and boots the vagrant box', () => {
    expectBootPassed(build, 'uefi');
  });

  it('writes a qcow2 of the disk and a libvirt .box with it (mkosi.postoutput)', () => {
    const qcow2 = path.join(ex.outputDir, 'box-vagrant.qcow2');
    expect(readFileSync(qcow2).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    const box = path.join(ex.outputDir, 'box-vagrant.box');
    const members = execFileSync('tar', ['-tf', box], { encoding: 'utf8' }).trim().split('\n');
    expect(members.sort()).toEqual(['Vagrantfile', 'box.img', 'metadata.json']);
    const metadata = JSON.parse(execFileSync('tar', ['-xOf', box, 'metadata.json'], { encoding: 'utf8' }));
    expect(metadata).toMatchObject({ provider: 'libvirt', format: 'qcow2' });
    expect(readFileSync(path.join(ex.outputDir, 'SHA256SUMS'), 'utf8')).toContain(' *box-vagrant.box\n');
  });

  it('has the vagrant user with the insecure keys and sudo, and no SSH host keys of its own', async () => {
    const image = path.join(ex.outputDir, 'box-vagrant.raw');
    const passwd = await rootDebugfs(image, 'cat /etc/passwd');
    const uid = /^vagrant:x:(\d+):/m.exec(passwd)?.[1];
    expect(uid, passwd).toBeDefined();
    const keys = await rootDebugfs(image, 'cat /home/vagrant/.ssh/authorized_keys');
    expect(
      keys
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(['ssh-ed25519', 'ssh-rsa']);
    expect(keys).toContain('AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y');
    const stat = await rootDebugfs(image, 'stat /home/vagrant/.ssh/authorized_keys');
    expect(stat).toMatch(/Mode:\s+0600/);
    expect(stat).toMatch(new RegExp(`User:\\s+${uid}\\s`));
    expect(await rootDebugfs(image, 'cat /etc/sudoers.d/vagrant')).toContain(
      'vagrant ALL=(ALL) NOPASSWD: ALL',
    );
    expect(await rootDebugfs(image, 'ls /etc/ssh')).not.toMatch(/ssh_host_\w+_key/);
  });
});

describe('sysext: an extension built on a base image, merged at boot', () => {
  const ex = example('sysext');
  let build: CliRun;
  beforeAll(async () => {
    build = await ex.run('repro', 'build');
  }, BUILD_AND_BOOT);

  it('builds all three images twice, varied, to the same bytes: the erofs extension too (mkosi-ci repro)', () => {
    expectReproducible(build);
  });

  it('builds base, the debug-tools extension and the main image, and boots with the extension merged', () => {
    // debug-tools-check.service fails the boot unless systemd-sysext merged the extension.
    expectBootPassed(build, 'uefi');
    expect(build.stdout).toMatch(/\ndebug-tools\.raw\s+image\s/);
  });

  it(
    'fails the boot, naming the check, when systemd-sysext does not run',
    async () => {
      const run = await ex.run('boot', 'no-sysext', [
        '--args=--kernel-command-line-extra=systemd.mask=systemd-sysext.service',
      ]);
      expect(run.status, said(run)).toBe(1);
      expect(run.stdout).toContain('boot check: failed-units');
      expect(run.stdout).toContain('debug-tools-check.service');
    },
    BOOT,
  );
});
