import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Credential } from './check-unit.js';

/**
 * The vsock transport without `/dev/vhost-vsock` and without AF_VSOCK in Node: `vhost-device-vsock`
 * (a userspace vhost-user vsock device) maps a guest connection to host CID 2 port P onto a connection
 * to the Unix socket `<uds-path>_P`. With the credential `vmm.notify_socket=vsock-stream:2:P` the guest's
 * PID 1 connects there for every notification (READY=1, STATUS=…, X_SYSTEMD_UNIT_ACTIVE=…, and
 * EXIT_STATUS=N when `systemctl exit N` powers the guest off). This machine's own /dev/vsock is never
 * touched: the host side is plain Unix sockets.
 */

export const NOTIFY_PORT = 8125;

export interface VsockPaths {
  /** vhost-user control socket qemu connects to. */
  socket: string;
  /** Prefix of the per-port Unix sockets. */
  udsPath: string;
}

export function notifyCredential(port = NOTIFY_PORT): Credential & { value: string } {
  return { name: 'vmm.notify_socket', value: `vsock-stream:2:${port}` };
}

/**
 * vhost-device-vsock keeps serving after qemu disconnects, so both run under one small supervisor: a
 * constant `sh` script (inputs only as positional arguments, never spliced into the script) that starts
 * the daemon, waits for its socket, runs qemu, then stops the daemon. The Runner's timeout kills the
 * whole process group, daemon included. Never --forward-cid: that opens AF_VSOCK on the host.
 */
export const SUPERVISOR_SCRIPT = [
  'daemon=$1 socket=$2 uds=$3; shift 3',
  '"$daemon" --guest-cid 3 --socket "$socket" --uds-path "$uds" & d=$!',
  'i=0; while [ ! -S "$socket" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
  '"$@"; rc=$?',
  'kill $d 2>/dev/null; wait $d 2>/dev/null',
  'exit $rc',
].join('\n');

export function supervisedQemu(
  daemon: string,
  paths: VsockPaths,
  qemu: { command: string; args: readonly string[] },
): { command: string; args: string[] } {
  return {
    command: 'sh',
    args: [
      '-c',
      SUPERVISOR_SCRIPT,
      'mkosi-ci-vsock',
      daemon,
      paths.socket,
      paths.udsPath,
      qemu.command,
      ...qemu.args,
    ],
  };
}

export interface Notifications {
  /** Every `KEY=VALUE` received, in order. */
  messages: { key: string; value: string; atMs: number }[];
  readyAtMs?: number;
  exitStatus?: number;
  lastStatus?: string;
}

/** Parses one notification message (newline-separated `KEY=VALUE` assignments). */
export function parseNotification(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

export function applyNotification(state: Notifications, text: string, atMs: number): void {
  for (const [key, value] of parseNotification(text)) {
    state.messages.push({ key, value, atMs });
    if (key === 'READY' && value === '1') state.readyAtMs ??= atMs;
    else if (key === 'STATUS') state.lastStatus = value;
    else if (key === 'EXIT_STATUS' && /^\d+$/.test(value)) state.exitStatus = Number(value);
  }
}

/**
 * How long a notification connection may stay quiet after its last data before the host takes the
 * message as complete and closes it. PID 1 sends each message with one `sendmsg()`, which
 * vhost-device-vsock hands on with one write, so this only guards against a rare split.
 */
export const NOTIFY_IDLE_MS = 10;

/**
 * Listens on `<udsPath>_<port>` for the guest's notifications.
 *
 * The host must close each connection itself, as soon as the message has arrived: it must not wait for
 * the guest's end of stream. systemd (>= 256) sends a notification over vsock-stream as connect, send,
 * `shutdown(SHUT_WR)`, then blocks in `recv()` until the host closes (sd-daemon.c). vhost-device-vsock
 * (0.3.0) drops a SHUTDOWN that only carries the "no more sends" flag, so that end of stream never
 * reaches the Unix socket: a listener that reads to EOF deadlocks with PID 1, which stops at its first
 * notification (X_SYSTEMD_SIGNALS_LEVEL, right after the initrd's machine ID). When the host closes,
 * the daemon reads EOF and sends a full SHUTDOWN to the guest, whose `recv()` then returns 0.
 */
export async function listenForNotifications(
  paths: VsockPaths,
  port = NOTIFY_PORT,
  now: () => number = Date.now,
): Promise<{ notifications: Notifications; close: () => Promise<void> }> {
  const file = `${paths.udsPath}_${port}`;
  await rm(file, { force: true });
  const notifications: Notifications = { messages: [] };
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    const chunks: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    // No deadline before the first byte: closing early makes the daemon drop the message and can leave
    // PID 1 waiting in recv() for an end of stream that never comes (a slow TCG guest takes seconds).
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (chunks.length > 0) applyNotification(notifications, Buffer.concat(chunks).toString('utf8'), now());
      socket.destroy();
      open.delete(socket);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => finish(), NOTIFY_IDLE_MS);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  return {
    notifications,
    // A connection still open when qemu is gone can't complete: don't let it hold server.close() up.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
