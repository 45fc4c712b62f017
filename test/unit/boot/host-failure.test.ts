import { describe, expect, it } from 'vitest';
import { hostSideFailure, type GuestEvidence, type QemuExit } from '../../../src/boot/host-failure.js';

const CHARDEV_ERROR =
  "qemu-system-x86_64: -chardev socket,id=vsock,path=/w/logs/boot/vhost-user-vsock.sock: Failed to connect to '/w/logs/boot/vhost-user-vsock.sock': No such file or directory";

const exit = (overrides: Partial<QemuExit> = {}): QemuExit => ({
  exitCode: 1,
  signal: null,
  timedOut: false,
  stderr: `${CHARDEV_ERROR}\n`,
  ...overrides,
});
const silent: GuestEvidence = { consoleLog: '', reportSeen: false, messageSeen: false, panic: undefined };

describe('a qemu that died on the host side', () => {
  it('is one that exited non-zero before the guest printed anything, with qemu’s own error', () => {
    expect(hostSideFailure(exit(), silent)).toBe(
      `qemu exited with status 1 before the guest printed anything: ${CHARDEV_ERROR}`,
    );
    expect(hostSideFailure(exit(), { ...silent, consoleLog: ' \r\n' })).toBe(
      `qemu exited with status 1 before the guest printed anything: ${CHARDEV_ERROR}`,
    );
  });

  it('quotes qemu’s error line among others, else its last line, else nothing', () => {
    const stderr = `warning: something\n  ${CHARDEV_ERROR}  \nmore\n\n`;
    expect(hostSideFailure(exit({ stderr }), silent)).toBe(
      `qemu exited with status 1 before the guest printed anything: ${CHARDEV_ERROR}`,
    );
    expect(hostSideFailure(exit({ stderr: 'first\nsecond\nlast words\n\n' }), silent)).toBe(
      'qemu exited with status 1 before the guest printed anything: last words',
    );
    expect(hostSideFailure(exit({ stderr: '' }), silent)).toBe(
      'qemu exited with status 1 before the guest printed anything',
    );
    // Only a line that starts with qemu's name is qemu's error.
    expect(hostSideFailure(exit({ stderr: `x ${CHARDEV_ERROR}\nlast\n` }), silent)).toMatch(/: last$/);
  });

  it('is one killed by a signal, directly or as the vsock supervisor reports it (128+N), whatever the console shows', () => {
    const booted = { ...silent, consoleLog: 'Linux version 6.12\n' };
    expect(hostSideFailure(exit({ exitCode: 0, signal: 'SIGKILL' }), booted)).toBe(
      'qemu was killed by SIGKILL',
    );
    expect(hostSideFailure(exit({ exitCode: 137 }), booted)).toBe('qemu was killed by SIGKILL');
    expect(hostSideFailure(exit({ exitCode: 143 }), silent)).toBe('qemu was killed by SIGTERM');
    expect(hostSideFailure(exit({ exitCode: 128 + 99 }), silent)).toBe('qemu was killed by signal 99');
    expect(hostSideFailure(exit({ exitCode: 128 }), booted)).toBeUndefined();
  });

  it('is never a guest that spoke, crashed or ran out of time', () => {
    expect(hostSideFailure(exit({ timedOut: true, signal: 'SIGKILL' }), silent)).toBeUndefined();
    expect(hostSideFailure(exit(), { ...silent, reportSeen: true })).toBeUndefined();
    expect(hostSideFailure(exit(), { ...silent, messageSeen: true })).toBeUndefined();
    expect(
      hostSideFailure(exit({ signal: 'SIGKILL' }), { ...silent, panic: 'Kernel panic' }),
    ).toBeUndefined();
    expect(hostSideFailure(exit({ exitCode: 137 }), { ...silent, reportSeen: true })).toBeUndefined();
  });

  it('is not a qemu that exited 0, nor one that failed after the guest printed something', () => {
    expect(hostSideFailure(exit({ exitCode: 0 }), silent)).toBeUndefined();
    expect(hostSideFailure(exit(), { ...silent, consoleLog: 'BdsDxe: loading Boot0001\n' })).toBeUndefined();
  });
});
