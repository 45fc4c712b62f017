import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { Runner } from '../ports.js';
import type { TransportChoice } from './options.js';

export type Transport = 'vsock' | 'serial';

/** vsock where a userspace vhost-user-vsock device is installed, else the serial report. */
export async function chooseTransport(
  runner: Runner,
  choice: TransportChoice,
): Promise<{ transport: Transport; daemon?: string }> {
  if (choice === 'serial') return { transport: 'serial' };
  const daemon = await runner.which('vhost-device-vsock');
  if (daemon) return { transport: 'vsock', daemon };
  if (choice === 'vsock') {
    throw new ConfigurationError(
      `Input ${Input.BootTransport}: vsock needs vhost-device-vsock on PATH (Debian and Ubuntu package it); use serial or auto.`,
    );
  }
  return { transport: 'serial' };
}
