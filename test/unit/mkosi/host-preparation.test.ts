import { describe, expect, it } from 'vitest';
import { hostPreparationSteps, shouldPrepareHost } from '../../../src/mkosi/host-preparation.js';

describe('host preparation', () => {
  it('runs on GitHub-hosted Linux runners, or when asked', () => {
    expect(shouldPrepareHost('auto', true)).toBe(true);
    expect(shouldPrepareHost('auto', false)).toBe(false);
    expect(shouldPrepareHost('yes', false)).toBe(true);
    expect(shouldPrepareHost('no', true)).toBe(false);
  });

  it('opens the virtualization devices and lifts the AppArmor user namespace restriction', () => {
    const commands = hostPreparationSteps([]).map((s) => s.command.join(' '));
    expect(
      commands.some((c) => c.includes('KERNEL=="vhost-vsock"') && c.includes('99-mkosi-ci-kvm.rules')),
    ).toBe(true);
    expect(commands).toContain('modprobe -a kvm vhost_vsock vhost_net');
    expect(commands).toContain(
      'sysctl --ignore --write kernel.apparmor_restrict_unprivileged_unconfined=0 kernel.apparmor_restrict_unprivileged_userns=0',
    );
    expect(commands.some((c) => c.startsWith('apt-get'))).toBe(false);
  });

  it('installs only the missing packages, after refreshing the lists', () => {
    const commands = hostPreparationSteps(['uidmap', 'zstd']).map((s) => s.command.join(' '));
    expect(commands.slice(-2)).toEqual([
      'apt-get update -q',
      'apt-get install -q -y --no-install-recommends uidmap zstd',
    ]);
  });
});
