import type { Firmware } from './firmware.js';

/**
 * The qemu command line for a boot check, as a pure function of what to boot and how. Everything the
 * check needs from qemu is here: firmware, accelerator, an image that is never written to, the console
 * log, the report channel, the credentials and, for the vsock transport, vhost-user-vsock.
 */

export interface BootDisk {
  path: string;
  format: 'raw' | 'qcow2' | 'vvfat';
}

export interface QemuArgsOptions {
  /** Directories for qemu's own data files (`-L`), from `QemuCommand.dataDirs`. */
  dataDirs?: readonly string[];
  accel: 'kvm' | 'tcg';
  /** `-cpu`: by default `max` under TCG, `host` under KVM (see cpu-model.ts for when it is not). */
  cpuModel?: string;
  memoryMiB: number;
  cpus: number;
  firmware: Firmware;
  /**
   * The disk image; absent for a direct kernel boot without a root disk. `vvfat`: `path` is a
   * directory qemu presents read-only as a FAT disk (a UKI's ESP, see uki-esp.ts).
   */
  image?: BootDisk;
  /**
   * `snapshot`: writes go to a temporary file qemu deletes on exit (the image is opened read-only).
   * `none`: the image is written to; only for an overlay or copy made for this run.
   */
  imageWrites: 'snapshot' | 'none';
  /** The console (`ttyS0`), captured to this file. */
  consoleLog: string;
  /** Where the report channel is captured. */
  report: { kind: 'serial'; file: string } | { kind: 'virtio'; file: string; name: string };
  /** `-smbios` arguments from `smbiosCredentialArgs` and `kernelCmdlineExtraArgs`. */
  smbios: readonly string[];
  /** vhost-user-vsock through a vhost-device-vsock daemon listening on this socket. */
  vhostUserVsock?: { socket: string };
  /** Added last, so they win. */
  extra?: readonly string[];
}

/** qemu's option parser splits on commas: a comma in a value is written twice. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

function firmwareArgs(firmware: Firmware): string[] {
  const pflash = (uefi: { code: string; vars: string }): string[] => [
    '-drive',
    `if=pflash,format=raw,unit=0,readonly=on,file=${qemuEscape(uefi.code)}`,
    '-drive',
    `if=pflash,format=raw,unit=1,file=${qemuEscape(uefi.vars)}`,
  ];
  switch (firmware.kind) {
    case 'uefi':
      return pflash(firmware);
    case 'bios':
      return [];
    case 'linux': {
      const args = firmware.uefi ? pflash(firmware.uefi) : [];
      args.push('-kernel', firmware.kernel);
      if (firmware.initrd) args.push('-initrd', firmware.initrd);
      if (firmware.cmdline) args.push('-append', firmware.cmdline);
      return args;
    }
  }
}

function diskArgs(image: BootDisk, writes: QemuArgsOptions['imageWrites']): string[] {
  // vvfat without `rw:` is read-only by itself: nothing reaches the directory.
  const drive =
    image.format === 'vvfat'
      ? `format=raw,file=fat:ro:${qemuEscape(image.path)},readonly=on`
      : `format=${image.format},file=${qemuEscape(image.path)}${writes === 'snapshot' ? ',snapshot=on' : ''}`;
  return ['-drive', `if=none,id=disk,${drive}`, '-device', 'virtio-blk-pci,drive=disk,bootindex=1'];
}

export function qemuArgs(options: QemuArgsOptions): string[] {
  const args: string[] = [];
  for (const dir of options.dataDirs ?? []) args.push('-L', dir);
  args.push(
    '-machine',
    'q35',
    '-accel',
    options.accel,
    // "max" gives TCG every feature it emulates (x86-64-v2+ for trixie userspace); "host" under KVM.
    '-cpu',
    options.cpuModel ?? (options.accel === 'kvm' ? 'host' : 'max'),
    '-smp',
    String(options.cpus),
    '-m',
    `${options.memoryMiB}M`,
    // Nothing we did not ask for: no VGA (its option ROM slows OVMF), no default serial or monitor.
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    // A guest reboot (panic=-1, a crash, a failed switch-root) ends qemu instead of booting again.
    '-no-reboot',
    '-device',
    'virtio-rng-pci',
    // A user-mode network card, as `mkosi vm` gives the guest: an image that waits for the network
    // (systemd-networkd-wait-online, NetworkManager-wait-online) behaves as on a real machine.
    '-nic',
    'user,model=virtio-net-pci',
  );
  if (options.vhostUserVsock) {
    // vhost-user needs guest memory the daemon can map: a shared memfd backend of the same size.
    args.push(
      '-object',
      `memory-backend-memfd,id=mem,size=${options.memoryMiB}M,share=on`,
      '-machine',
      'memory-backend=mem',
      '-chardev',
      `socket,id=vsock,path=${qemuEscape(options.vhostUserVsock.socket)}`,
      '-device',
      'vhost-user-vsock-pci,chardev=vsock',
    );
  }
  args.push(...firmwareArgs(options.firmware));
  if (options.image) args.push(...diskArgs(options.image, options.imageWrites));
  // ttyS0 is the console, ttyS1 (second -serial) the report channel when it is a UART.
  args.push(
    '-chardev',
    `file,id=console,path=${qemuEscape(options.consoleLog)}`,
    '-serial',
    'chardev:console',
  );
  const report = options.report;
  args.push('-chardev', `file,id=report,path=${qemuEscape(report.file)}`);
  if (report.kind === 'serial') {
    args.push('-serial', 'chardev:report');
  } else {
    args.push('-device', 'virtio-serial-pci', '-device', `virtserialport,chardev=report,name=${report.name}`);
  }
  args.push(...options.smbios, ...(options.extra ?? []));
  return args;
}

/**
 * How to start qemu: a command and the arguments that go before qemu's own. A tools tree's qemu is run
 * through the tree's own dynamic loader with its libraries, so it works on a host whose libc is older
 * than the tree's (bookworm host, trixie tree) without entering a sandbox.
 */
export interface QemuCommand {
  command: string;
  prefix: readonly string[];
  /** qemu's data directories (`-L`): a relocated qemu can't find its BIOS and option ROMs otherwise. */
  dataDirs: readonly string[];
}

export function hostQemu(binary = 'qemu-system-x86_64'): QemuCommand {
  return { command: binary, prefix: [], dataDirs: [] };
}

export function toolsTreeQemu(tree: string): QemuCommand {
  const at = (p: string): string => `${tree.replace(/\/+$/, '')}/${p}`;
  return {
    command: at('usr/lib64/ld-linux-x86-64.so.2'),
    prefix: [
      '--library-path',
      [at('usr/lib/x86_64-linux-gnu'), at('usr/lib')].join(':'),
      at('usr/bin/qemu-system-x86_64'),
    ],
    dataDirs: [at('usr/share/qemu'), at('usr/share/seabios')],
  };
}
