import { constants } from 'node:os';

/**
 * Whether qemu died on the host's side rather than the guest failing: a qemu that could not start (a
 * vhost-user daemon that was not up, a device or file it could not open, no memory) or that was killed
 * by a signal it was not sent by our timeout. Such a run says nothing about the image, so it is retried
 * once. A guest that spoke (a report, the check's vsock message, a crash on the console) or ran out of
 * time is never retried: that is the image's verdict.
 */
export interface QemuExit {
  exitCode: number;
  /** The signal that killed qemu itself (not through the vsock supervisor, which exits 128+N instead). */
  signal: string | null;
  timedOut: boolean;
  stderr: string;
}

export interface GuestEvidence {
  consoleLog: string;
  /** The report with this run's nonce arrived (even cut short: the guest got that far). */
  reportSeen: boolean;
  /** The check's vsock message arrived. */
  messageSeen: boolean;
  /** A panic or crash of the guest on the console (see findPanic). */
  panic: string | undefined;
}

/** `SIGKILL` for 9; the number for one this platform does not name. */
function signalOf(number: number): string {
  const name = Object.entries(constants.signals).find(([, n]) => n === number)?.[0];
  return name ?? `signal ${number}`;
}

/** qemu's own error (`qemu-system-x86_64: …`), else its last line of error output. */
function qemuError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.find((l) => /^qemu-system-[\w-]+: /.test(l)) ?? lines.at(-1) ?? '';
}

/** Why this run is a host-side failure worth one retry, or undefined when the verdict stands. */
export function hostSideFailure(run: QemuExit, guest: GuestEvidence): string | undefined {
  if (run.timedOut || guest.reportSeen || guest.messageSeen || guest.panic !== undefined) return undefined;
  // The supervisor (vsock transport) is a shell: a signal that killed qemu comes back as 128+N.
  const killedBy = run.signal ?? (run.exitCode > 128 ? signalOf(run.exitCode - 128) : undefined);
  if (killedBy) return `qemu was killed by ${killedBy}`;
  if (run.exitCode === 0 || guest.consoleLog.trim() !== '') return undefined;
  const error = qemuError(run.stderr);
  return `qemu exited with status ${run.exitCode} before the guest printed anything${error ? `: ${error}` : ''}`;
}
