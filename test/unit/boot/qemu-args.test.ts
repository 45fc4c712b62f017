import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECK_SCRIPT_CREDENTIAL,
  checkCredentials,
  checkScript,
  checkUnit,
  kernelCmdlineExtraArgs,
  reportDevice,
  smbiosCredentialArgs,
  type CheckOptions,
} from '../../../src/boot/check-unit.js';
import { classifyProbe, probeQemuArgs } from '../../../src/boot/kvm-probe.js';
import { pickOvmf, resolveFirmware } from '../../../src/boot/firmware.js';
import { qemuArgs, toolsTreeQemu, type QemuArgsOptions } from '../../../src/boot/qemu-args.js';
import { extrasViaSmbios } from '../../../src/boot/run-boot.js';
import { REMOVABLE_MEDIA_LOADER, ukiEspDirectory } from '../../../src/boot/uki-esp.js';
import { applyNotification, supervisedQemu, type Notifications } from '../../../src/boot/vsock-transport.js';

const check: CheckOptions = {
  nonce: '0123456789abcdef0123456789abcdef',
  channel: { kind: 'serial' },
  settleBySeconds: 240,
  watchSeconds: 30,
  journal: 'on-failure',
};

function decode(arg: string): [string, string] {
  const match = /^type=11,value=io\.systemd\.credential\.binary:([^=]+)=(.*)$/.exec(arg);
  if (!match) throw new Error(arg);
  return [match[1]!, Buffer.from(match[2]!, 'base64').toString('utf8')];
}

describe('boot check credentials', () => {
  it('injects a service, a multi-user.target drop-in and the script', () => {
    const args = smbiosCredentialArgs(checkCredentials(check));
    const creds = new Map(args.filter((_, i) => i % 2 === 1).map(decode));
    expect([...creds.keys()]).toEqual([
      CHECK_SCRIPT_CREDENTIAL,
      'systemd.extra-unit.mkosi-ci-check.service',
      'systemd.unit-dropin.multi-user.target~mkosi-ci-check',
    ]);
    expect(creds.get('systemd.extra-unit.mkosi-ci-check.service')).toContain(
      `ImportCredential=${CHECK_SCRIPT_CREDENTIAL}`,
    );
    expect(creds.get('systemd.unit-dropin.multi-user.target~mkosi-ci-check')).toBe(
      '[Unit]\nWants=mkosi-ci-check.service\n',
    );
    expect(args.every((a, i) => (i % 2 === 0 ? a === '-smbios' : !a.slice(8).includes(',')))).toBe(true);
  });

  it('writes the script with the nonce, the bounds and the device', () => {
    const script = checkScript({ ...check, channel: { kind: 'virtio', name: 'mkosi-ci.report' } });
    expect(script).toContain(`NONCE='${check.nonce}'`);
    expect(script).toContain("DEVICE='/dev/virtio-ports/mkosi-ci.report'");
    expect(script).toContain('SETTLE_BY=240');
    expect(script).toContain('WATCH=30');
    expect(script).toContain('systemctl exit "$code"');
    expect(() => checkScript({ ...check, nonce: "x'; reboot" })).toThrow(/nonce/);
  });

  it('starts the script with every setting as a shell variable, quoted', () => {
    const header = (options: Partial<CheckOptions>) =>
      checkScript({ ...check, ...options }).split('\nDIR=')[0];
    expect(header({})).toBe(`#!/bin/sh
# mkosi-ci boot check (generated; runs once per boot, injected as a credential).
# -f: unit globs stay patterns, never file names.
set -uf
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= LC_ALL=C
NONCE='${check.nonce}'
DEVICE='/dev/ttyS1'
SETTLE_BY=240
WATCH=30
JOURNAL='on-failure'
BLAME=no
NOTIFY=''
ALLOW=''
BEGIN=mkosi-ci-report-begin
END=mkosi-ci-report-end
MESSAGE_KEY=X_MKOSI_CI_CHECK
PROPERTIES=FirmwareTimestampMonotonic,LoaderTimestampMonotonic,InitRDTimestampMonotonic,UserspaceTimestampMonotonic,FinishTimestampMonotonic
TESTS=''
TEST_TIMEOUT=1
TEST_KEY=X_MKOSI_CI_TEST
OS_RELEASE='/etc/os-release'`);
    const set = header({
      blame: true,
      settleBySeconds: 0.4,
      watchSeconds: -3,
      notifySocket: 'vsock-stream:2:8125',
      allowFailed: ['foo', 'dev-a\\x2db.device'],
      reportPath: "/tmp/it's",
    });
    expect(set).toContain("DEVICE='/tmp/it'\\''s'\n");
    expect(set).toContain('SETTLE_BY=1\nWATCH=0\n');
    expect(set).toContain('BLAME=yes\n');
    expect(set).toContain("NOTIFY='vsock-stream:2:8125'\n");
    // A backslash is doubled: a shell pattern would otherwise read it as an escape.
    expect(set).toContain("ALLOW='foo dev-a\\\\x2db.device'\n");
    expect(reportDevice({ kind: 'serial' })).toBe('/dev/ttyS1');
    expect(reportDevice({ kind: 'virtio', name: 'p' })).toBe('/dev/virtio-ports/p');
  });

  it('refuses settings that are not safe to put into the script', () => {
    for (const name of ['-x', 'x y', "x'"]) {
      expect(() => checkScript({ ...check, channel: { kind: 'virtio', name } })).toThrow(
        `invalid virtio port name: ${name}`,
      );
    }
    for (const glob of ["'foo", "foo'", 'a b', '']) {
      expect(() => checkScript({ ...check, allowFailed: [glob] })).toThrow(`invalid unit glob: ${glob}`);
    }
    for (const socket of ['xvsock-stream:2:1', 'vsock-stream:2:1x', 'vsock-stream:2', 'unix:/run/x']) {
      expect(() => checkScript({ ...check, notifySocket: socket })).toThrow(
        `invalid notify socket: ${socket}`,
      );
    }
    for (const socket of ['vsock:2:1', 'vsock-dgram:22:8125', 'vsock-seqpacket:2:1']) {
      expect(() => checkScript({ ...check, notifySocket: socket })).not.toThrow();
    }
    expect(() =>
      checkScript({ ...check, allowFailed: ['sys-*.mount', 'a?[0-9]@x:y_z.service'] }),
    ).not.toThrow();
  });

  it('runs the script from a runtime directory of its own, and refuses credential names qemu would split', () => {
    expect(checkUnit()).toBe(`[Unit]
Description=mkosi-ci boot check
After=basic.target

[Service]
Type=exec
ImportCredential=mkosi-ci.check
RuntimeDirectory=mkosi-ci
ExecStart=/bin/sh %d/mkosi-ci.check
StandardOutput=journal+console
`);
    for (const name of ['~x', 'a,b', 'a=b', '']) {
      expect(() => smbiosCredentialArgs([{ name, value: 'v' }])).toThrow(`invalid credential name: ${name}`);
    }
    expect(smbiosCredentialArgs([{ name: 'a~b', value: 'é' }])).toEqual([
      '-smbios',
      `type=11,value=io.systemd.credential.binary:a~b=${Buffer.from('é').toString('base64')}`,
    ]);
    const extra = { name: 'x', value: 'y' };
    expect(checkCredentials(check, [extra])[0]).toBe(extra);
  });

  it('passes kernel command line extras with doubled commas', () => {
    expect(kernelCmdlineExtraArgs(['a=1,2', 'b'])).toEqual([
      '-smbios',
      'type=11,value=io.systemd.stub.kernel-cmdline-extra=a=1,,2 b',
    ]);
    expect(kernelCmdlineExtraArgs([])).toEqual([]);
  });
});

const base: QemuArgsOptions = {
  accel: 'tcg',
  memoryMiB: 2048,
  cpus: 2,
  firmware: { kind: 'uefi', code: '/fw/CODE.fd', vars: '/run/vars.fd' },
  image: { path: '/img/a,b.raw', format: 'raw' },
  imageWrites: 'snapshot',
  consoleLog: '/logs/console.log',
  report: { kind: 'serial', file: '/logs/report.log' },
  smbios: ['-smbios', 'type=11,value=x'],
};

describe('qemu arguments', () => {
  it('boots UEFI from a snapshot of the image, console on ttyS0 and the report on ttyS1', () => {
    const args = qemuArgs(base);
    const joined = args.join(' ');
    expect(joined).toContain('-accel tcg -cpu max -smp 2 -m 2048M');
    expect(joined).toContain('if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd');
    expect(joined).toContain('if=pflash,format=raw,unit=1,file=/run/vars.fd');
    expect(joined).toContain('file=/img/a,,b.raw,snapshot=on');
    expect(joined).toContain('-no-reboot');
    // A network card, as mkosi vm gives one: without it, network-online units fail on a good image.
    expect(joined).toContain('-nodefaults');
    expect(joined).toContain('-nic user,model=virtio-net-pci');
    const serials = args.flatMap((a, i) => (a === '-serial' ? [args[i + 1]] : []));
    expect(serials).toEqual(['chardev:console', 'chardev:report']);
    expect(args.slice(-2)).toEqual(['-smbios', 'type=11,value=x']);
    expect(joined).not.toContain('vhost-user');
  });

  it('uses KVM with the host CPU, a virtio report port and vhost-user-vsock', () => {
    const joined = qemuArgs({
      ...base,
      accel: 'kvm',
      report: { kind: 'virtio', file: '/logs/r', name: 'mkosi-ci.report' },
      vhostUserVsock: { socket: '/logs/vu.sock' },
    }).join(' ');
    expect(joined).toContain('-accel kvm -cpu host');
    expect(joined).toContain('-device virtserialport,chardev=report,name=mkosi-ci.report');
    expect(joined).toContain('memory-backend-memfd,id=mem,size=2048M,share=on -machine memory-backend=mem');
    expect(joined).toContain('-device vhost-user-vsock-pci,chardev=vsock');
  });

  it('boots a kernel directly', () => {
    const args = qemuArgs({
      ...base,
      image: undefined,
      firmware: { kind: 'linux', kernel: '/k', initrd: '/i', cmdline: 'console=ttyS0 root=LABEL=root' },
    });
    expect(args.join(' ')).toContain('-kernel /k -initrd /i -append console=ttyS0 root=LABEL=root');
    expect(args).not.toContain('if=pflash');
  });

  it('boots a UKI through UEFI from a read-only FAT disk made of a directory', () => {
    const args = qemuArgs({ ...base, image: { path: '/work/uki-esp', format: 'vvfat' } });
    const drive = args.find((a) => a.startsWith('if=none,id=disk'));
    expect(drive).toBe('if=none,id=disk,format=raw,file=fat:ro:/work/uki-esp,readonly=on');
    expect(args.join(' ')).toContain('-device virtio-blk-pci,drive=disk,bootindex=1');
  });

  it('puts the UKI where firmware starts removable media, without touching the original', async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'uki-esp-'));
    const uki = path.join(scratch, 'image.efi');
    writeFileSync(uki, 'MZ not really a PE file');
    const esp = await ukiEspDirectory(path.join(scratch, 'work'), uki);
    expect(esp).toBe(path.join(scratch, 'work/uki-esp'));
    expect(readFileSync(path.join(esp, REMOVABLE_MEDIA_LOADER), 'utf8')).toBe('MZ not really a PE file');
    expect(REMOVABLE_MEDIA_LOADER).toBe('EFI/BOOT/BOOTX64.EFI');
    // A second boot starts from a fresh directory.
    writeFileSync(path.join(esp, 'stale'), '');
    await ukiEspDirectory(path.join(scratch, 'work'), uki);
    expect(readdirSync(esp)).toEqual(['EFI']);
  });

  it('gives a UKI its command line extras through SMBIOS, a split kernel through -append', () => {
    const ovmf = { ovmf: { code: '/c', varsTemplate: '/v' }, origin: 'test' };
    const ukiDirect = resolveFirmware('linux', 'uki', '/o/image.efi', ovmf);
    expect(ukiDirect).toMatchObject({ kind: 'linux', kernel: '/o/image.efi', uefi: { code: '/c' } });
    // -append would replace the UKI's embedded command line (console=, roothash=) altogether.
    expect(extrasViaSmbios(ukiDirect)).toBe(true);
    expect(extrasViaSmbios(resolveFirmware('uefi', 'uki', '/o/image.efi', ovmf))).toBe(true);
    expect(extrasViaSmbios(resolveFirmware('uefi', 'disk', '/o/image.raw', ovmf))).toBe(true);
    expect(extrasViaSmbios({ kind: 'linux', kernel: '/k', initrd: '/i', cmdline: 'root=/dev/vda2' })).toBe(
      false,
    );
  });

  it('runs a tools tree qemu through its own loader', () => {
    const qemu = toolsTreeQemu('/t/mkosi.tools/');
    expect(qemu.command).toBe('/t/mkosi.tools/usr/lib64/ld-linux-x86-64.so.2');
    expect(qemu.prefix).toEqual([
      '--library-path',
      '/t/mkosi.tools/usr/lib/x86_64-linux-gnu:/t/mkosi.tools/usr/lib',
      '/t/mkosi.tools/usr/bin/qemu-system-x86_64',
    ]);
  });

  it('picks plain OVMF from the firmware descriptors', () => {
    const descriptor = (features: string[], code: string) => ({
      'interface-types': ['uefi'],
      mapping: {
        device: 'flash',
        executable: { filename: code, format: 'raw' },
        'nvram-template': { filename: `${code}.vars`, format: 'raw' },
      },
      targets: [{ architecture: 'x86_64', machines: ['pc-i440fx-*', 'pc-q35-*'] }],
      features,
    });
    expect(
      pickOvmf([
        descriptor(['secure-boot', 'enrolled-keys', 'requires-smm'], '/sb'),
        descriptor(['acpi-s3', 'verbose-dynamic'], '/plain'),
      ]),
    ).toEqual({ code: '/plain', varsTemplate: '/plain.vars' });
    expect(pickOvmf([{}, null])).toBeUndefined();
  });
});

describe('KVM probe', () => {
  it('probes a kernel without initrd so that a working KVM ends by itself', () => {
    const args = probeQemuArgs({
      qemu: toolsTreeQemu('/t'),
      firmware: { kind: 'linux', kernel: '/k', initrd: '/i', cmdline: 'x' },
      workDir: '/w',
    });
    expect(args.join(' ')).toContain('-accel kvm');
    expect(args.join(' ')).toContain('-kernel /k -append console=ttyS0 panic=-1');
    expect(args).not.toContain('-initrd');
  });

  it('recognizes the emulation failure of this machine’s KVM', () => {
    const broken = classifyProbe({
      exitCode: 143,
      timedOut: true,
      stderr:
        "warning: host doesn't support requested feature\nKVM internal error. Suberror: 1\nextra data[0]: 0x1\n",
      consoleLog: '',
    });
    expect(broken).toEqual({ usable: false, reason: 'KVM internal error. Suberror: 1' });
    expect(classifyProbe({ exitCode: 0, timedOut: false, stderr: '', consoleLog: 'Linux version' })).toEqual({
      usable: true,
      detail: 'the kernel ran under KVM and exited',
    });
    expect(
      classifyProbe({
        exitCode: 1,
        timedOut: false,
        stderr: 'qemu: failed to initialize kvm: x',
        consoleLog: '',
      }),
    ).toMatchObject({ usable: false });
    expect(classifyProbe({ exitCode: 143, timedOut: true, stderr: '', consoleLog: '' })).toMatchObject({
      usable: false,
    });
  });
});

describe('vsock transport', () => {
  it('runs qemu under a constant supervisor script, inputs as positional arguments', () => {
    const { command, args } = supervisedQemu(
      '/d',
      { socket: '/s', udsPath: '/u' },
      { command: 'q', args: ['-a', '$(x)'] },
    );
    expect(command).toBe('sh');
    expect(args.slice(2)).toEqual(['mkosi-ci-vsock', '/d', '/s', '/u', 'q', '-a', '$(x)']);
  });

  it('collects READY, STATUS and EXIT_STATUS notifications', () => {
    const state: Notifications = { messages: [] };
    applyNotification(state, 'READY=1\nSTATUS=Startup finished', 10);
    applyNotification(state, 'EXIT_STATUS=1\n', 20);
    expect(state).toMatchObject({ readyAtMs: 10, lastStatus: 'Startup finished', exitStatus: 1 });
  });
});
