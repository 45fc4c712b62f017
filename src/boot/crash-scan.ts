/**
 * Processes that crashed during the boot. A service whose process dumps core and is restarted by
 * `Restart=on-failure` ends up active: `systemctl --failed` is empty, yet the image crashed. The journal
 * keeps the evidence without systemd-coredump:
 *
 * - PID 1 logs every exit of a unit's main or control process with MESSAGE_ID=98e32220…
 *   (`SD_MESSAGE_UNIT_PROCESS_EXIT`) and the fields `EXIT_CODE=` (`exited`, `killed`, `dumped`: the
 *   `CLD_*` code), `EXIT_STATUS=` (for a signal, its number), `COMMAND=` (the setting that ran it:
 *   `ExecStart`, `ExecStartPre`, …; the check looks its path up with `systemctl show`) and `UNIT=`
 *   (`USER_UNIT=` in a user manager). Seen in trixie's systemd 257 on a planted crash:
 *   `EXIT_CODE=killed`, `EXIT_STATUS=11`, `COMMAND=ExecStart`.
 * - Where systemd-coredump is installed, each core dump is logged with MESSAGE_ID=fc2e22bc…
 *   (`SD_MESSAGE_COREDUMP`), `COREDUMP_UNIT=`, `COREDUMP_EXE=` and `COREDUMP_SIGNAL=`: the entries
 *   `coredumpctl list` shows, and the only ones that also catch a crashed child of a service.
 *
 * A crash is a core dump (`dumped`, or a systemd-coredump entry), or a process `killed` by a signal a
 * program raises on a fault (whether it dumped depends on `RLIMIT_CORE` and `core_pattern`, not on the
 * program). SIGTERM, SIGKILL and the like are how units are stopped, so `killed` by them is not a crash.
 */

export const UNIT_PROCESS_EXIT_MESSAGE = '98e322203f7a4ed290d09fe03c09fe15';
export const COREDUMP_MESSAGE = 'fc2e22bc6ee647b6b90729ab34a250b1';

/** Signals that mean the program faulted (or aborted itself), by their number on Linux. */
export const CRASH_SIGNALS: Readonly<Record<number, string>> = {
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  11: 'SIGSEGV',
  31: 'SIGSYS',
};

/** How the evidence says it died: PID 1's `EXIT_CODE=`, or systemd-coredump's own entry. */
export type CrashKind = 'dumped' | 'killed' | 'coredump';

export interface Crash {
  /** The unit the process belonged to; `-` when the journal does not say. */
  unit: string;
  /** The path of the unit's command with its setting (`/bin/sh (ExecStart)`), or `COREDUMP_EXE=`. */
  executable: string;
  signal: number;
  kind: CrashKind;
}

/** `SIGSEGV`, or `signal 42` for a number without a name here. */
export function signalName(signal: number): string {
  return CRASH_SIGNALS[signal] ?? `signal ${signal}`;
}

export function isCrash(kind: string, signal: number): boolean {
  if (kind === 'dumped' || kind === 'coredump') return true;
  return kind === 'killed' && Object.hasOwn(CRASH_SIGNALS, signal);
}

/** A `crash UNIT SIGNAL KIND EXECUTABLE` report line's value; undefined when it is not a crash. */
export function parseCrashLine(value: string): Crash | undefined {
  const match = /^(\S+) (\d+) (\S+) (.+)/.exec(value);
  if (!match) return undefined;
  const [, unit, signal, kind, executable] = match;
  if (!isCrash(kind!, Number(signal))) return undefined;
  return { unit: unit!, signal: Number(signal), kind: kind as CrashKind, executable: executable! };
}

/**
 * One crash per unit and signal: with systemd-coredump both PID 1 and systemd-coredump log the same
 * crash, and systemd-coredump's entry names the executable that crashed rather than the unit's command.
 */
export function distinctCrashes(crashes: readonly Crash[]): Crash[] {
  const kept = new Map<string, Crash>();
  for (const crash of crashes) {
    const key = `${crash.unit} ${crash.signal}`;
    const seen = kept.get(key);
    if (!seen || (crash.kind === 'coredump' && seen.kind !== 'coredump')) kept.set(key, crash);
  }
  return [...kept.values()];
}

/** `planted-crash.service: /bin/sh killed by SIGSEGV (core dumped)`. */
export function describeCrash(crash: Crash): string {
  const dumped = crash.kind === 'killed' ? '' : ' (core dumped)';
  const unit = crash.unit === '-' ? 'no unit' : crash.unit;
  return `${unit}: ${crash.executable} killed by ${signalName(crash.signal)}${dumped}`;
}

/** `UNIT:SIGNAL,…` for the vsock message (unit names have no commas or colons' ambiguity at the end). */
export function crashList(crashes: readonly Pick<Crash, 'unit' | 'signal'>[]): string {
  return crashes.map((c) => `${c.unit}:${c.signal}`).join(',');
}

/** The `crashed=` field of the vsock message back into unit and signal pairs (unreadable ones dropped). */
export function parseCrashList(value: string | undefined): Pick<Crash, 'unit' | 'signal'>[] {
  if (!value) return [];
  return value.split(',').flatMap((entry) => {
    const match = /(.+):(\d+)$/.exec(entry);
    return match ? [{ unit: match[1]!, signal: Number(match[2]) }] : [];
  });
}

const SHELL_SIGNALS = Object.keys(CRASH_SIGNALS)
  .map((n) => `killed:${n}`)
  .join('|');

/**
 * The shell functions (they use the check script's ERR, fail and tolerated). `scan_crashes` reads both
 * kinds of entries of this boot in export format (`FIELD=value` lines, a blank line after each entry)
 * and writes `UNIT SIGNAL KIND EXECUTABLE` lines to $CRASHES, and those `boot-allow-failed` does not
 * tolerate to $CRASHES.bad: a unit whose failure is tolerated may also crash (it could crash until its
 * start limit and fail, which is tolerated).
 */
export const CRASH_SCAN = `# Crashed processes: see crash-scan.ts.
CRASHES=$REPORT.crashes
crash_entry() {
  case $kind:$signal in
    dumped:*|coredump:*|${SHELL_SIGNALS}) ;;
    *) return 0 ;;
  esac
  # PID 1's COMMAND= names the unit's setting (ExecStart, ExecStartPre, …): its path is the executable.
  case $command in
    Exec*)
      setting=$(systemctl show --property="$command" --value -- "$unit" 2>/dev/null)
      case $setting in *'path='*) setting=\${setting#*path=}; command="\${setting%% *} ($command)" ;; esac
      ;;
  esac
  entry="\${unit:--} $signal $kind \${command:--}"
  echo "$entry" >>"$CRASHES"
  { [ -n "$unit" ] && tolerated "$unit"; } || echo "$entry" >>"$CRASHES.bad"
}
scan_crashes() {
  : >"$CRASHES"
  : >"$CRASHES.bad"
  # PID 1 hands its messages to journald through a socket: have journald write what it has been sent.
  journalctl --sync >/dev/null 2>&1
  journalctl --boot --no-pager -o export \\
    --output-fields=MESSAGE_ID,UNIT,USER_UNIT,EXIT_CODE,EXIT_STATUS,COMMAND,COREDUMP_UNIT,COREDUMP_EXE,COREDUMP_SIGNAL \\
    MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE} EXIT_CODE=dumped EXIT_CODE=killed + MESSAGE_ID=${COREDUMP_MESSAGE} \\
    >"$CRASHES.export" 2>"$ERR" || { fail 'journalctl (crashed processes)'; return 1; }
  unit= command= signal= kind=
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      '') crash_entry; unit= command= signal= kind= ;;
      UNIT=*|USER_UNIT=*|COREDUMP_UNIT=*) unit=\${line#*=} ;;
      COMMAND=*|COREDUMP_EXE=*) command=\${line#*=} ;;
      EXIT_STATUS=*|COREDUMP_SIGNAL=*) signal=\${line#*=} ;;
      EXIT_CODE=*) kind=\${line#*=} ;;
      MESSAGE_ID=${COREDUMP_MESSAGE}) kind=coredump ;;
    esac
  done <"$CRASHES.export"
  crash_entry
}
# UNIT:SIGNAL,… for the vsock message (see crashList).
crash_names() { list=; while read -r unit signal _; do list=\${list:+$list,}$unit:$signal; done <"$CRASHES"; echo "$list"; }
`;
