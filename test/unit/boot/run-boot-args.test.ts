import { describe, expect, it } from 'vitest';
import { checkQemuArgs, type BootCheckOptions } from '../../../src/boot/run-boot.js';
import { hostQemu } from '../../../src/boot/qemu-args.js';

const options: BootCheckOptions = {
  qemu: hostQemu(),
  image: { path: '/o/image.raw', format: 'raw' },
  firmware: { kind: 'uefi', code: '/ovmf/CODE.fd', vars: '/ovmf/VARS.fd' },
  accel: 'tcg',
  memoryMiB: 1536,
  cpus: 1,
  timeoutSeconds: 600,
  settleBySeconds: 300,
  watchSeconds: 30,
  journal: 'on-failure',
  channel: { kind: 'serial' },
  allowFailed: [],
  kernelCmdlineExtra: ['panic=-1'],
  logsDir: '/w/logs/boot',
  qemuArgs: ['-smbios', 'type=11,value=io.systemd.credential:e2e.qemu=yes', '-device', 'pvpanic'],
};
const files = { console: '/w/console.log', report: '/w/report.log' };
const credentialArgs = ['-smbios', 'type=11,path=/run/credentials/credential-0'];

describe("the check's qemu arguments with mkosi's [Runtime] settings", () => {
  it("appends QemuArgs= after every argument of the check's own, the TPM's included", () => {
    const args = checkQemuArgs(options, files, '/w/vars.fd', credentialArgs, undefined, '/w/swtpm.sock');
    expect(args.slice(-10)).toEqual([
      '-chardev',
      'socket,id=chrtpm,path=/w/swtpm.sock',
      '-tpmdev',
      'emulator,id=tpm0,chardev=chrtpm',
      '-device',
      'tpm-tis,tpmdev=tpm0',
      '-smbios',
      'type=11,value=io.systemd.credential:e2e.qemu=yes',
      '-device',
      'pvpanic',
    ]);
    // The run's own copy of the variable store, the size, and the credentials as SMBIOS files.
    expect(args).toContain('if=pflash,format=raw,unit=1,file=/w/vars.fd');
    expect(args.join(' ')).toContain('-smp 1 -m 1536M');
    expect(args.join(' ')).toContain('-smbios type=11,path=/run/credentials/credential-0');
  });

  it('has no TPM without swtpm, and nothing of the project when it sets no QemuArgs=', () => {
    const args = checkQemuArgs(
      { ...options, qemuArgs: undefined },
      files,
      '/w/vars.fd',
      [],
      undefined,
      undefined,
    );
    expect(args).not.toContain('-tpmdev');
    expect(args.slice(-2)).toEqual([
      '-smbios',
      'type=11,value=io.systemd.stub.kernel-cmdline-extra=panic=-1',
    ]);
  });
});
