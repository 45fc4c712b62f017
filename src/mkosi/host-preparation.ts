import { errorMessage } from '../errors.js';
import type { HostFacts } from '../context.js';
import type { Tristate } from '../input-parsing.js';
import type { Log, Runner } from '../ports.js';

/** One privileged step, safe to repeat. */
export interface HostStep {
  title: string;
  command: string[];
  /** Optional: a failing step is reported as a warning and the rest goes on. */
  optional?: boolean;
}

/** The packages mkosi needs on an Ubuntu runner besides what the image's tools tree brings. */
export const HOST_PACKAGES = [
  'uidmap',
  'debian-archive-keyring',
  'systemd-container',
  'zstd',
  'xz-utils',
  'cpio',
  // getfattr: mkosi-ci diff and the reproducibility check read directory trees' extended attributes.
  'attr',
];

const UDEV_RULES = [
  'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"',
  'KERNEL=="vhost-vsock", GROUP="kvm", MODE="0666", OPTIONS+="static_node=vhost-vsock"',
  'KERNEL=="vhost-net", GROUP="kvm", MODE="0666", OPTIONS+="static_node=vhost-net"',
].join('\n');

/**
 * What mkosi's own action does to a GitHub runner, as argument arrays: open KVM, vhost-vsock and
 * vhost-net to the runner user, lift AppArmor's unprivileged user namespace restriction (Ubuntu 24.04),
 * and install the host packages that are missing.
 */
export function hostPreparationSteps(missingPackages: readonly string[]): HostStep[] {
  const steps: HostStep[] = [
    {
      title: 'udev rules giving everyone KVM, vhost-vsock and vhost-net',
      command: [
        'sh',
        '-c',
        'printf "%s\\n" "$1" > /etc/udev/rules.d/99-mkosi-ci-kvm.rules',
        'sh',
        UDEV_RULES,
      ],
    },
    { title: 'reload udev rules', command: ['udevadm', 'control', '--reload-rules'], optional: true },
    { title: 'load kvm', command: ['modprobe', '-a', 'kvm', 'vhost_vsock', 'vhost_net'], optional: true },
    {
      title: 'apply the device permissions',
      command: [
        'sh',
        '-c',
        'for d in /dev/kvm /dev/vhost-vsock /dev/vhost-net; do [ -e "$d" ] && chmod 666 "$d"; done; true',
      ],
    },
    {
      title: 'allow unprivileged user namespaces under AppArmor',
      command: [
        'sysctl',
        '--ignore',
        '--write',
        'kernel.apparmor_restrict_unprivileged_unconfined=0',
        'kernel.apparmor_restrict_unprivileged_userns=0',
      ],
      optional: true,
    },
  ];
  if (missingPackages.length > 0) {
    steps.push(
      { title: 'refresh the package lists', command: ['apt-get', 'update', '-q'] },
      {
        title: `install ${missingPackages.join(' ')}`,
        command: ['apt-get', 'install', '-q', '-y', '--no-install-recommends', ...missingPackages],
      },
    );
  }
  return steps;
}

/** `auto` prepares only a throwaway host (a GitHub-hosted runner), never a machine someone keeps. */
export function shouldPrepareHost(mode: Tristate, disposableHost: boolean): boolean {
  return mode === 'yes' || (mode === 'auto' && disposableHost);
}

async function missingPackages(runner: Runner): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of HOST_PACKAGES) {
    const result = await runner.run('dpkg-query', ['-W', '-f=${Status}', pkg], { stream: false });
    if (result.exitCode !== 0 || !result.stdout.includes('install ok installed')) missing.push(pkg);
  }
  return missing;
}

/** Runs the host preparation with `sudo -n` (or directly as root); idempotent. */
export async function prepareHost(
  ctx: { runner: Runner; log: Log; host: Pick<HostFacts, 'root' | 'disposable'> },
  mode: Tristate,
): Promise<boolean> {
  if (!shouldPrepareHost(mode, ctx.host.disposable)) {
    return false;
  }
  const sudo = ctx.host.root ? [] : ['sudo', '-n'];
  if (!ctx.host.root) {
    const probe = await ctx.runner.run('sudo', ['-n', 'true'], { stream: false }).catch(() => undefined);
    if (probe?.exitCode !== 0) {
      const message = 'prepare-host: passwordless sudo is not available, so the host was left as it is.';
      if (mode === 'yes') ctx.log.warning(message);
      else ctx.log.info(message);
      return false;
    }
  }
  await ctx.log.group('Prepare the host', async () => {
    const dpkg = await ctx.runner.which('dpkg-query');
    for (const step of hostPreparationSteps(dpkg ? await missingPackages(ctx.runner) : [])) {
      const [command, ...args] = [...sudo, ...step.command];
      ctx.log.info(`• ${step.title}`);
      const result = await ctx.runner.run(command!, args).catch((error: unknown) => ({
        exitCode: 127,
        stderr: errorMessage(error),
      }));
      if (result.exitCode !== 0) {
        const message = `prepare-host: '${step.title}' failed (exit status ${result.exitCode}).`;
        if (step.optional) ctx.log.warning(message);
        else throw new Error(message);
      }
    }
  });
  return true;
}
