/**
 * The guest side of the boot check, injected at boot time into an unmodified image.
 *
 * systemd (>= 256) in the guest imports credentials that qemu hands it through SMBIOS type 11 strings:
 * `systemd.extra-unit.*` becomes a unit file, `systemd.unit-dropin.UNIT~NAME` a drop-in, and any other
 * credential is available to services that import it. So the check is three credentials: a service, a
 * drop-in that makes multi-user.target want it, and the shell script it runs. Nothing is written into the
 * image, and the script (which carries the per-run nonce) is only readable by root in the guest.
 */

import { CRASH_SCAN } from './crash-scan.js';
import { TEST_MESSAGE_KEY, TEST_RUNNER, testCredentialName, testCredentials } from './test-runner.js';
import type { BootTest } from './boot-tests.js';

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
  /**
   * The guest's uptime (s) by which the boot must have settled (`systemctl is-system-running --wait`);
   * see bounds.ts for its share of the boot timeout.
   */
  settleBySeconds: number;
  /**
   * How long to keep watching for units that fail after the boot settled (0: report at once). The
   * check ends early as soon as a unit that is not tolerated has failed.
   */
  watchSeconds: number;
  /** When to append the journal of this boot to the report. */
  journal: JournalPolicy;
  /**
   * Add the ten slowest units (`systemd-analyze blame`). Off by default: under TCG it costs seconds,
   * and the phases (firmware, loader, kernel, initrd, userspace) come from cheap manager properties.
   */
  blame?: boolean;
  /**
   * `boot-allow-failed` globs. The host decides with them; the guest uses them too so that its exit
   * status and its watch for late failures agree with the host.
   */
  allowFailed?: readonly string[];
  /**
   * The vsock transport's notify address (`vsock-stream:2:PORT`): the check also sends its summary there,
   * with the nonce, as `X_MKOSI_CI_CHECK=` (see check-message.ts).
   */
  notifySocket?: string;
  /** Write the report here instead of the channel's device: for running the script outside a VM. */
  reportPath?: string;
  /** The boot tests to run once the check found nothing wrong, in order (see test-runner.ts). */
  tests?: { names: readonly string[]; timeoutSeconds: number };
  /** Read the image's id and version here instead of /etc/os-release: for running outside a VM. */
  osReleasePath?: string;
}

export interface Credential {
  name: string;
  /** The raw value (text as UTF-8); it is base64-encoded for the SMBIOS string. */
  value: string | Buffer;
}

export const CHECK_UNIT = 'mkosi-ci-check.service';
export const CHECK_SCRIPT_CREDENTIAL = 'mkosi-ci.check';
/** Everything is read from a report line after this prefix and one space (see serial-report.ts). */
export const REPORT_BEGIN = 'mkosi-ci-report-begin';
export const REPORT_END = 'mkosi-ci-report-end';
/** The notification the check sends over vsock: `X_MKOSI_CI_CHECK=<nonce> exit=N state=S …`. */
export const CHECK_MESSAGE_KEY = 'X_MKOSI_CI_CHECK';

export function reportDevice(channel: ReportChannel): string {
  return channel.kind === 'serial' ? '/dev/ttyS1' : `/dev/virtio-ports/${channel.name}`;
}

/** What qemu must be given so the same name reaches the guest as a virtio port: see qemu-args.ts. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NONCE_PATTERN = /^[A-Za-z0-9]{16,128}$/;

/** A word for a POSIX shell script, in single quotes. */
export function shellQuote(value: string): string {
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

/** The patterns `boot-allow-failed` accepts: no quotes, spaces or other shell syntax. */
const ALLOW_PATTERN = /^[A-Za-z0-9:_.\\@*?[\]-]+$/;
const NOTIFY_PATTERN = /^vsock(?:-stream|-dgram|-seqpacket)?:\d+:\d+$/;

/**
 * The variables the script starts with. A backslash in a unit glob is doubled: in a shell pattern it
 * escapes the next character, and the host matches it literally (unit names escape as `\x2d`).
 */
function scriptHeader(options: CheckOptions): string {
  const allow = (options.allowFailed ?? []).map((p) => p.replace(/\\/g, '\\\\'));
  return `#!/bin/sh
# mkosi-ci boot check (generated; runs once per boot, injected as a credential).
# -f: unit globs stay patterns, never file names.
set -uf
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= LC_ALL=C
NONCE=${shellQuote(options.nonce)}
DEVICE=${shellQuote(options.reportPath ?? reportDevice(options.channel))}
SETTLE_BY=${Math.max(1, Math.round(options.settleBySeconds))}
WATCH=${Math.max(0, Math.round(options.watchSeconds))}
JOURNAL=${shellQuote(options.journal)}
BLAME=${options.blame ? 'yes' : 'no'}
NOTIFY=${shellQuote(options.notifySocket ?? '')}
ALLOW=${shellQuote(allow.join(' '))}
BEGIN=${REPORT_BEGIN}
END=${REPORT_END}
MESSAGE_KEY=${CHECK_MESSAGE_KEY}
PROPERTIES=${TIMESTAMP_PROPERTIES.join(',')}
TESTS=${shellQuote((options.tests?.names ?? []).join(' '))}
TEST_TIMEOUT=${Math.max(1, Math.round(options.tests?.timeoutSeconds ?? 1))}
TEST_KEY=${TEST_MESSAGE_KEY}
OS_RELEASE=${shellQuote(options.osReleasePath ?? '/etc/os-release')}
`;
}

/**
 * The POSIX shell script run in the guest. It only uses systemctl, systemd-analyze, systemd-notify,
 * journalctl and coreutils, which every systemd image has. Every report line is `KEY VALUE`; multi-line
 * outputs are carried one line per report line under their own key so that nothing a unit prints can
 * end the report early (only a line with the nonce can, and the nonce is known to this script alone).
 * Keys: started, settle (done, timeout, error), job, settled, watched, state, timestamp, blame, failed,
 * status:UNIT, masked, crash, error, journal, journal-export, exit, reported.
 */
export function checkScript(options: CheckOptions): string {
  if (!NONCE_PATTERN.test(options.nonce)) throw new Error(`invalid boot check nonce: ${options.nonce}`);
  if (options.channel.kind === 'virtio' && !NAME_PATTERN.test(options.channel.name)) {
    throw new Error(`invalid virtio port name: ${options.channel.name}`);
  }
  for (const pattern of options.allowFailed ?? []) {
    if (!ALLOW_PATTERN.test(pattern)) throw new Error(`invalid unit glob: ${pattern}`);
  }
  if (options.notifySocket !== undefined && !NOTIFY_PATTERN.test(options.notifySocket)) {
    throw new Error(`invalid notify socket: ${options.notifySocket}`);
  }
  for (const name of options.tests?.names ?? []) {
    if (!NAME_PATTERN.test(name)) throw new Error(`invalid boot test name: ${name}`);
  }
  return scriptHeader(options) + SCRIPT_BODY;
}

const SCRIPT_BODY = `DIR=\${RUNTIME_DIRECTORY:-/run}
REPORT=$DIR/mkosi-ci-report.$$
ERR=$REPORT.err
FAILED=$REPORT.failed
: >"$REPORT"
: >"$FAILED"
: >"$FAILED.masked"
: >"$FAILED.bad"
errors=0
settle=error

emit() { printf '%s %s\\n' "$1" "$2" >>"$REPORT"; }
# Prefix every line of stdin with a key.
emit_lines() { while IFS= read -r line || [ -n "$line" ]; do emit "$1" "$line"; done; }
# A step of the check that failed is reported with what it printed: its errors are never swallowed.
fail() {
  errors=$((errors + 1))
  message=$(tr '\\n' ' ' <"$ERR")
  emit error "$1 failed: \${message% }"
}
uptime_s() { read -r up _ </proc/uptime; echo "$up"; }
now_s() { cut -d. -f1 /proc/uptime; }
# boot-allow-failed as the host reads it: a glob, and a name without a type also means NAME.service.
tolerated() {
  for pattern in $ALLOW; do
    case $1 in $pattern) return 0 ;; esac
    case $pattern in *.*) ;; *) case $1 in $pattern.service) return 0 ;; esac ;; esac
  done
  return 1
}
# The failed units into $FAILED (UNIT LOAD ACTIVE SUB DESCRIPTION), except masked ones, which were
# switched off on purpose ($FAILED.masked); $FAILED.bad: those boot-allow-failed does not tolerate.
list_failed() {
  systemctl list-units --all --state=failed --plain --no-legend --no-pager --full >"$FAILED.all" 2>"$ERR" ||
    { fail 'systemctl list-units'; return 1; }
  : >"$FAILED"
  : >"$FAILED.masked"
  : >"$FAILED.bad"
  while read -r unit load rest; do
    # Older systemctl versions start the line with a bullet.
    if [ "$unit" = '●' ]; then unit=$load; load=\${rest%% *}; rest=\${rest#* }; fi
    [ -n "$unit" ] || continue
    if [ "$load" = masked ]; then echo "$unit" >>"$FAILED.masked"; continue; fi
    printf '%s %s %s\\n' "$unit" "$load" "$rest" >>"$FAILED"
    tolerated "$unit" || echo "$unit" >>"$FAILED.bad"
  done <"$FAILED.all"
}
# The unit names of a list, comma-separated.
names() { list=; while read -r unit _; do list=\${list:+$list,}$unit; done <"$1"; echo "$list"; }
${TEST_RUNNER}
${CRASH_SCAN}
emit started "$(uptime_s)"
left=$((SETTLE_BY - $(now_s)))
[ "$left" -gt 0 ] || left=1
timeout "$left" systemctl is-system-running --wait >/dev/null 2>"$ERR"
waited=$?
# 124: the bound ran out with jobs still queued (the jobs say which). Otherwise the wait ended, whatever
# the state: is-system-running exits 1 for every state but running, so only its error output is an error.
if [ "$waited" = 124 ]; then
  settle=timeout
  if systemctl list-jobs --plain --no-legend --no-pager --full >"$REPORT.jobs" 2>"$ERR"; then
    emit_lines job <"$REPORT.jobs"
  else
    fail 'systemctl list-jobs'
  fi
elif [ "$waited" -le 1 ] && [ ! -s "$ERR" ]; then
  settle=done
else
  fail 'systemctl is-system-running --wait'
fi
emit settle "$settle"
emit settled "$(uptime_s)"

# Seconds of uptime, not loop turns: each turn also costs a systemctl call (a second under TCG).
from=$(now_s)
while [ $(($(now_s) - from)) -lt "$WATCH" ] && list_failed && [ ! -s "$FAILED.bad" ]; do
  sleep 1
done
emit watched $(($(now_s) - from))

state=$(systemctl is-system-running 2>"$ERR")
[ ! -s "$ERR" ] || fail 'systemctl is-system-running'
emit state "$state"
if systemctl show --property="$PROPERTIES" >"$REPORT.show" 2>"$ERR"; then
  emit_lines timestamp <"$REPORT.show"
else
  fail 'systemctl show'
fi
if [ "$BLAME" = yes ]; then
  if systemd-analyze blame --no-pager >"$REPORT.blame" 2>"$ERR"; then
    head -n 10 "$REPORT.blame" | emit_lines blame
  else
    fail 'systemd-analyze blame'
  fi
fi
if list_failed; then
  emit_lines failed <"$FAILED"
  while read -r unit _; do
    # systemctl status exits 3 for a failed unit: its output is the report, not an error.
    systemctl status --no-pager --full --lines=10 -- "$unit" >"$REPORT.status" 2>&1 </dev/null
    emit_lines "status:$unit" <"$REPORT.status"
  done <"$FAILED"
  emit_lines masked <"$FAILED.masked"
fi
# A unit that crashed and restarted fine is not failed, but the image crashed.
scan_crashes && emit_lines crash <"$CRASHES"

# The host's rule: a settled boot, running or degraded by masked or tolerated units only, and a check
# that ran without errors.
code=0
case $state in
  running) ;;
  degraded) [ -s "$FAILED" ] || [ -s "$FAILED.masked" ] || code=1 ;;
  *) code=1 ;;
esac
[ ! -s "$FAILED.bad" ] || code=1
[ ! -s "$CRASHES.bad" ] || code=1
[ "$settle" = done ] || code=1
[ "$errors" = 0 ] || code=1
# The tests run on a system the check found nothing wrong with; a failing one fails the boot.
if [ "$code" = 0 ] && [ -n "$TESTS" ]; then
  run_tests
  [ -z "$tests_failed" ] || code=1
  [ "$errors" = 0 ] || code=1
fi
if [ "$JOURNAL" = always ] || { [ "$JOURNAL" = on-failure ] && [ "$code" != 0 ]; }; then
  if journalctl --boot --no-pager -o short-monotonic >"$REPORT.journal" 2>"$ERR"; then
    emit_lines journal <"$REPORT.journal"
  else
    fail journalctl
    code=1
  fi
  # The export format too, for journalctl on the host: one base64 line (binary fields hold NUL bytes).
  if journalctl --boot --no-pager -o export >"$REPORT.export" 2>"$ERR" &&
    base64 -w 0 "$REPORT.export" >"$REPORT.export.b64" 2>"$ERR"; then
    { printf 'journal-export '; cat "$REPORT.export.b64"; echo; } >>"$REPORT"
  else
    fail 'journalctl -o export'
    code=1
  fi
fi
# Over vsock the check speaks for itself with the nonce: systemd's own EXIT_STATUS= comes with every
# orderly shutdown, whoever caused it, so it cannot pass a boot.
if [ -n "$NOTIFY" ]; then
  set -- "$MESSAGE_KEY=$NONCE exit=$code state=$state settle=$settle failed=$(names "$FAILED") masked=$(names "$FAILED.masked") crashed=$(crash_names) errors=$errors\${TESTS:+ tests=$test_statuses}"
  # One key per test: systemd-notify merges its arguments like environment variables, the last of a
  # key wins.
  i=0
  for failed in $tests_failed; do
    i=$((i + 1))
    name=\${failed%%:*}
    set -- "$@" "\${TEST_KEY}_$i=$NONCE $name \${failed#*:} $(test_tail "$name")"
  done
  NOTIFY_SOCKET=$NOTIFY systemd-notify --no-block "$@" 2>"$ERR" || { fail systemd-notify; code=1; }
fi
emit exit "$code"
emit reported "$(uptime_s)"

# One write of the whole report; closing a tty waits until its output has drained.
{
  printf '\\n%s %s\\n' "$BEGIN" "$NONCE"
  cat "$REPORT"
  printf '%s %s\\n' "$END" "$NONCE"
} >"$DEVICE"
sync
# In a VM, "systemctl exit" powers off and hands the status to the host (vmm.notify_socket EXIT_STATUS=).
systemctl exit "$code" || systemctl poweroff
`;

/** The service that runs the script. Type=exec: its start job ends at once, so the boot can settle. */
export function checkUnit(testNames: readonly string[] = []): string {
  const imports = [CHECK_SCRIPT_CREDENTIAL, ...testNames.map(testCredentialName)];
  return `[Unit]
Description=mkosi-ci boot check
After=basic.target

[Service]
Type=exec
${imports.map((name) => `ImportCredential=${name}`).join('\n')}
RuntimeDirectory=mkosi-ci
ExecStart=/bin/sh %d/${CHECK_SCRIPT_CREDENTIAL}
StandardOutput=journal+console
`;
}

export function checkDropIn(): string {
  return `[Unit]\nWants=${CHECK_UNIT}\n`;
}

/**
 * The credentials that inject the check and its tests; `extra` ones (planted faults, user credentials)
 * come first. `tests` are the files `options.tests` names.
 */
export function checkCredentials(
  options: CheckOptions,
  extra: readonly Credential[] = [],
  tests: readonly BootTest[] = [],
): Credential[] {
  const dropInName = CHECK_UNIT.replace(/\.service$/, '');
  return [
    ...extra,
    ...testCredentials(tests),
    { name: CHECK_SCRIPT_CREDENTIAL, value: checkScript(options) },
    { name: `systemd.extra-unit.${CHECK_UNIT}`, value: checkUnit(tests.map((t) => t.name)) },
    { name: `systemd.unit-dropin.multi-user.target~${dropInName}`, value: checkDropIn() },
  ];
}

/**
 * The SMBIOS type 11 strings that hand credentials to the guest. The binary form (base64) keeps newlines
 * and commas (qemu's option separator) out of them.
 */
export function smbiosCredentialStrings(credentials: readonly Credential[]): string[] {
  return credentials.map((c) => {
    if (!NAME_PATTERN.test(c.name.replace(/~/g, '-'))) throw new Error(`invalid credential name: ${c.name}`);
    const encoded = (typeof c.value === 'string' ? Buffer.from(c.value, 'utf8') : c.value).toString('base64');
    return `io.systemd.credential.binary:${c.name}=${encoded}`;
  });
}

/** The same strings as qemu's `-smbios type=11,value=…` arguments. */
export function smbiosCredentialArgs(credentials: readonly Credential[]): string[] {
  return smbiosCredentialStrings(credentials).flatMap((s) => ['-smbios', `type=11,value=${s}`]);
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
