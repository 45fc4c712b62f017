/**
 * The guest side of the boot check, injected at boot time into an unmodified image.
 *
 * systemd (>= 256) in the guest imports credentials that qemu hands it through SMBIOS type 11 strings:
 * `systemd.extra-unit.*` becomes a unit file, `systemd.unit-dropin.UNIT~NAME` a drop-in, and any other
 * credential is available to services that import it. So the check is three credentials: a service, a
 * drop-in that makes multi-user.target want it, and the shell script it runs. Nothing is written into the
 * image, and the script (which carries the per-run nonce) is only readable by root in the guest.
 */

/** The device node the guest writes the report to. */
export type ReportChannel =
  /** The second 16550 UART (`/dev/ttyS1`): built into every x86 kernel. */
  | { kind: 'serial' }
  /** A virtio serial port, `/dev/virtio-ports/NAME`: much faster than a UART under TCG. */
  | { kind: 'virtio'; name: string };

export type JournalPolicy = 'always' | 'on-failure' | 'never';

export interface CheckOptions {
  /** Per-run random token that frames the report (see serial-report.ts). */
  nonce: string;
  channel: ReportChannel;
  /** Bound on `systemctl is-system-running --wait`, in seconds. */
  settleSeconds: number;
  /**
   * How long to keep watching for units that fail after the boot settled (0: report at once). The
   * check ends early as soon as a unit has failed.
   */
  watchSeconds: number;
  /** When to append the journal of this boot to the report. */
  journal: JournalPolicy;
  /**
   * Add the ten slowest units (`systemd-analyze blame`). Off by default: under TCG it costs seconds,
   * and the phases (firmware, loader, kernel, initrd, userspace) come from cheap manager properties.
   */
  blame?: boolean;
}

export interface Credential {
  name: string;
  /** The raw value; it is base64-encoded for the SMBIOS string. */
  value: string;
}

export const CHECK_UNIT = 'mkosi-ci-check.service';
export const CHECK_SCRIPT_CREDENTIAL = 'mkosi-ci.check';
/** Everything is read from a report line after this prefix and one space (see serial-report.ts). */
export const REPORT_BEGIN = 'mkosi-ci-report-begin';
export const REPORT_END = 'mkosi-ci-report-end';

export function reportDevice(channel: ReportChannel): string {
  return channel.kind === 'serial' ? '/dev/ttyS1' : `/dev/virtio-ports/${channel.name}`;
}

/** What qemu must be given so the same name reaches the guest as a virtio port: see qemu-args.ts. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NONCE_PATTERN = /^[A-Za-z0-9]{16,128}$/;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The manager properties from which `systemd-analyze` computes its "Startup finished in" line; the report
 * carries them raw (µs) so the host does the arithmetic instead of parsing human-readable durations.
 */
export const TIMESTAMP_PROPERTIES = [
  'FirmwareTimestampMonotonic',
  'LoaderTimestampMonotonic',
  'InitRDTimestampMonotonic',
  'UserspaceTimestampMonotonic',
  'FinishTimestampMonotonic',
] as const;

/**
 * The POSIX shell script run in the guest. It only uses systemctl, systemd-analyze, journalctl and
 * coreutils, which every systemd image has. Every report line is `KEY VALUE`; multi-line outputs are
 * carried one line per report line under their own key so that nothing a unit prints can end the report
 * early (only a line with the nonce can, and the nonce is known to this script alone).
 */
export function checkScript(options: CheckOptions): string {
  if (!NONCE_PATTERN.test(options.nonce)) throw new Error(`invalid boot check nonce: ${options.nonce}`);
  if (options.channel.kind === 'virtio' && !NAME_PATTERN.test(options.channel.name)) {
    throw new Error(`invalid virtio port name: ${options.channel.name}`);
  }
  const settle = Math.max(1, Math.round(options.settleSeconds));
  const watch = Math.max(0, Math.round(options.watchSeconds));
  return `#!/bin/sh
# mkosi-ci boot check (generated; runs once per boot, injected as a credential).
set -u
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= LC_ALL=C
NONCE=${shellQuote(options.nonce)}
DEVICE=${shellQuote(reportDevice(options.channel))}
SETTLE=${settle}
WATCH=${watch}
JOURNAL=${shellQuote(options.journal)}
BLAME=${options.blame ? 'yes' : 'no'}
REPORT=$(mktemp /run/mkosi-ci-report.XXXXXX)

emit() { printf '%s %s\\n' "$1" "$2" >>"$REPORT"; }
# Prefix every line of stdin with a key.
emit_lines() { while IFS= read -r line || [ -n "$line" ]; do emit "$1" "$line"; done; }
uptime_s() { read -r up _ </proc/uptime; echo "$up"; }
# Failed units, masked ones left out: a masked unit was switched off on purpose.
failed_units() {
  systemctl list-units --all --state=failed --plain --no-legend --no-pager --full 2>/dev/null |
    while read -r unit load rest; do [ "$load" = masked ] || printf '%s %s %s\\n' "$unit" "$load" "$rest"; done
}

emit started "$(uptime_s)"
timeout "$SETTLE" systemctl is-system-running --wait >/dev/null 2>&1
settled=$?
# 124: timeout gave up; anything else means the wait ended (running, degraded, maintenance, ...).
if [ "$settled" = 124 ]; then emit settle timeout; else emit settle done; fi
emit settled "$(uptime_s)"

# Seconds of uptime, not loop turns: each turn also costs a systemctl call (a second under TCG).
now_s() { cut -d. -f1 /proc/uptime; }
from=$(now_s)
while [ $(($(now_s) - from)) -lt "$WATCH" ] && [ -z "$(failed_units)" ]; do
  sleep 1
done
watched=$(($(now_s) - from))
emit watched "$watched"

emit state "$(systemctl is-system-running 2>/dev/null)"
systemctl show --property=${TIMESTAMP_PROPERTIES.join(',')} 2>/dev/null | emit_lines timestamp
if [ "$BLAME" = yes ]; then
  systemd-analyze blame --no-pager 2>/dev/null | head -n 10 | emit_lines blame
fi
failed=$(failed_units)
if [ -n "$failed" ]; then
  printf '%s\\n' "$failed" | emit_lines failed
  printf '%s\\n' "$failed" | while read -r unit _; do
    systemctl status --no-pager --full --lines=10 -- "$unit" 2>&1 | emit_lines "status:$unit"
  done
  code=1
else
  code=0
fi
if [ "$JOURNAL" = always ] || { [ "$JOURNAL" = on-failure ] && [ "$code" != 0 ]; }; then
  journalctl --boot --no-pager -o short-monotonic 2>/dev/null | emit_lines journal
fi
emit reported "$(uptime_s)"

# One write of the whole report; closing a tty waits until its output has drained.
{
  printf '\\n${REPORT_BEGIN} %s\\n' "$NONCE"
  cat "$REPORT"
  printf '${REPORT_END} %s\\n' "$NONCE"
} >"$DEVICE"
sync
# In a VM, "systemctl exit" powers off and hands the status to the host (vmm.notify_socket EXIT_STATUS=).
systemctl exit "$code" || systemctl poweroff
`;
}

/** The service that runs the script. Type=exec: its start job ends at once, so the boot can settle. */
export function checkUnit(): string {
  return `[Unit]
Description=mkosi-ci boot check
After=basic.target

[Service]
Type=exec
ImportCredential=${CHECK_SCRIPT_CREDENTIAL}
ExecStart=/bin/sh %d/${CHECK_SCRIPT_CREDENTIAL}
StandardOutput=journal+console
`;
}

export function checkDropIn(): string {
  return `[Unit]\nWants=${CHECK_UNIT}\n`;
}

/** The credentials that inject the check; `extra` ones (planted faults, user credentials) come first. */
export function checkCredentials(options: CheckOptions, extra: readonly Credential[] = []): Credential[] {
  const dropInName = CHECK_UNIT.replace(/\.service$/, '');
  return [
    ...extra,
    { name: CHECK_SCRIPT_CREDENTIAL, value: checkScript(options) },
    { name: `systemd.extra-unit.${CHECK_UNIT}`, value: checkUnit() },
    { name: `systemd.unit-dropin.multi-user.target~${dropInName}`, value: checkDropIn() },
  ];
}

/**
 * The `-smbios` arguments that hand credentials to the guest. The binary form (base64) keeps newlines
 * and commas (qemu's option separator) out of the command line.
 */
export function smbiosCredentialArgs(credentials: readonly Credential[]): string[] {
  return credentials.flatMap((c) => {
    if (!NAME_PATTERN.test(c.name.replace(/~/g, '-'))) throw new Error(`invalid credential name: ${c.name}`);
    const encoded = Buffer.from(c.value, 'utf8').toString('base64');
    return ['-smbios', `type=11,value=io.systemd.credential.binary:${c.name}=${encoded}`];
  });
}

/**
 * Kernel command line extras for a UKI (systemd-stub reads this SMBIOS string when Secure Boot is off).
 * Commas must be doubled for qemu's option parser.
 */
export function kernelCmdlineExtraArgs(extra: readonly string[]): string[] {
  if (extra.length === 0) return [];
  const value = extra.join(' ').replace(/,/g, ',,');
  return ['-smbios', `type=11,value=io.systemd.stub.kernel-cmdline-extra=${value}`];
}
