import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkScript, type CheckOptions } from '../../src/boot/check-unit.js';

/**
 * Runs the generated guest check script for real (with the host's sh and coreutils) against fake
 * systemctl, journalctl, systemd-notify and systemd-analyze put first on PATH. The fakes answer from a
 * scenario and record every call, so the script's own logic (states, masked and tolerated units, the
 * settle bound, its errors, the exit status and the vsock message) is what is tested.
 */
export interface GuestScenario {
  /** `systemctl is-system-running --wait`: its exit status (and error output), or a wait that never ends. */
  wait?: { exit: number; stderr?: string } | 'hang';
  /** `systemctl is-system-running` after the wait (exit 0 only for running). */
  state?: string;
  stateStderr?: string;
  /**
   * `systemctl list-units --state=failed` lines, per call (the last one answers every later call), e.g.
   * `planted.service loaded failed failed Planted`.
   */
  failed?: string[][];
  /** `systemctl list-units` fails with this error output. */
  listUnitsError?: string;
  /** `systemctl list-jobs` lines. */
  jobs?: string[];
  /** `systemctl show` fails with this error output. */
  showError?: string;
  journal?: string[];
  /** The answer to the crash query (see crash-scan.ts): export format, a blank line after each entry. */
  crashJournal?: string[];
  journalError?: string;
  /** `systemd-notify` fails with this error output. */
  notifyError?: string;
  blame?: string[];
  /** `systemctl exit` fails (a manager that cannot exit). */
  exitFails?: boolean;
  /** Boot tests as the guest receives them: credential `mkosi-ci.test.NAME` holds the script. */
  tests?: Record<string, string>;
  /** The guest's os-release. */
  osRelease?: string;
}

export interface GuestRun {
  /** What the script wrote to its report device. */
  report: string;
  /** Every call of a fake, `systemctl list-units …` and so on. */
  calls: string[];
  /** The status given to `systemctl exit`, if it was called. */
  exit: number | undefined;
  /** Each systemd-notify call: its NOTIFY_SOCKET and arguments. */
  notify: { socket: string; args: string[] }[];
  status: number | null;
  stderr: string;
  elapsedMs: number;
  /** The fake guest's directory (RUNTIME_DIRECTORY): the tests' copies and outputs are under it. */
  dir: string;
}

const SYSTEMCTL = `#!/bin/sh
f=$FAKE
echo "systemctl $*" >>"$f/calls"
case "$1" in
is-system-running)
  if [ "\${2:-}" = --wait ]; then
    if [ -f "$f/wait-hang" ]; then exec sleep 60; fi
    cat "$f/wait-stderr" >&2
    exit "$(cat "$f/wait-exit")"
  fi
  cat "$f/state"
  cat "$f/state-stderr" >&2
  [ "$(cat "$f/state")" = running ]
  ;;
list-units)
  n=$(($(cat "$f/list-count") + 1))
  echo "$n" >"$f/list-count"
  if [ -s "$f/list-units-stderr" ]; then cat "$f/list-units-stderr" >&2; exit 1; fi
  if [ -f "$f/failed.$n" ]; then cat "$f/failed.$n"; else cat "$f/failed"; fi
  ;;
list-jobs) cat "$f/jobs" ;;
show)
  case "$2" in
  # A unit's command: /usr/bin/UNIT (none for gone.service, a unit that no longer exists).
  --property=Exec*)
    [ "$5" = gone.service ] || echo "{ path=/usr/bin/\${5%.service} ; argv[]=/usr/bin/\${5%.service} --flag ; ignore_errors=no }"
    exit 0 ;;
  esac
  if [ -s "$f/show-stderr" ]; then cat "$f/show-stderr" >&2; exit 1; fi
  echo FirmwareTimestampMonotonic=0
  echo UserspaceTimestampMonotonic=2000000
  echo FinishTimestampMonotonic=9000000
  ;;
status)
  shift $(($# - 1))
  echo "x $1 - Planted"
  echo "     Active: failed (Result: exit-code) since boot"
  exit 3
  ;;
exit)
  echo "$2" >"$f/exit"
  [ ! -f "$f/exit-fails" ]
  ;;
poweroff) touch "$f/poweroff" ;;
*) echo "unexpected: systemctl $*" >&2; exit 1 ;;
esac
`;

const JOURNALCTL = `#!/bin/sh
echo "journalctl $*" >>"$FAKE/calls"
if [ -s "$FAKE/journal-stderr" ]; then cat "$FAKE/journal-stderr" >&2; exit 1; fi
case "$*" in
*MESSAGE_ID=*) cat "$FAKE/crash-journal" ;;
*) cat "$FAKE/journal" ;;
esac
`;

const NOTIFY = `#!/bin/sh
echo "systemd-notify $*" >>"$FAKE/calls"
{ echo "$NOTIFY_SOCKET"; for a in "$@"; do echo "$a"; done; echo; } >>"$FAKE/notify"
if [ -s "$FAKE/notify-stderr" ]; then cat "$FAKE/notify-stderr" >&2; exit 1; fi
`;

const ANALYZE = `#!/bin/sh
echo "systemd-analyze $*" >>"$FAKE/calls"
cat "$FAKE/blame"
`;

const lines = (values: readonly string[] | undefined): string =>
  values && values.length > 0 ? values.join('\n') + '\n' : '';

/** Seconds this machine has been up, as the script reads them. */
export function hostUptime(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]));
}

/**
 * systemd-notify merges its KEY=VALUE arguments like environment variables: of a repeated key only the
 * last value is sent (it takes the first one's place).
 */
function mergedLikeEnvironment(args: readonly string[]): string[] {
  const merged: string[] = [];
  for (const arg of args) {
    const key = arg.includes('=') ? arg.slice(0, arg.indexOf('=') + 1) : undefined;
    const at = key === undefined ? -1 : merged.findIndex((m) => m.startsWith(key));
    if (at >= 0) merged[at] = arg;
    else merged.push(arg);
  }
  return merged;
}

export const TEST_NONCE = '0123456789abcdef0123456789abcdef';

export function runCheckScript(options: Partial<CheckOptions>, scenario: GuestScenario = {}): GuestRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-guest-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const tools = { systemctl: SYSTEMCTL, journalctl: JOURNALCTL, 'systemd-notify': NOTIFY };
  for (const [name, text] of Object.entries({ ...tools, 'systemd-analyze': ANALYZE })) {
    writeFileSync(path.join(bin, name), text);
    chmodSync(path.join(bin, name), 0o755);
  }
  const wait = scenario.wait ?? { exit: 0 };
  const files: Record<string, string> = {
    calls: '',
    'list-count': '0',
    'wait-exit': wait === 'hang' ? '0' : String(wait.exit),
    'wait-stderr': wait === 'hang' ? '' : (wait.stderr ?? ''),
    state: `${scenario.state ?? 'running'}\n`,
    'state-stderr': scenario.stateStderr ?? '',
    failed: lines(scenario.failed?.at(-1)),
    'list-units-stderr': scenario.listUnitsError ?? '',
    jobs: lines(scenario.jobs),
    'show-stderr': scenario.showError ?? '',
    journal: lines(scenario.journal ?? ['[    1.000] kernel: Linux version']),
    'journal-stderr': scenario.journalError ?? '',
    'crash-journal': lines(scenario.crashJournal),
    'notify-stderr': scenario.notifyError ?? '',
    blame: lines(scenario.blame),
  };
  (scenario.failed ?? []).forEach((call, i) => (files[`failed.${i + 1}`] = lines(call)));
  if (wait === 'hang') files['wait-hang'] = '';
  if (scenario.exitFails) files['exit-fails'] = '';
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);

  const credentials = path.join(dir, 'credentials');
  mkdirSync(credentials);
  for (const [name, text] of Object.entries(scenario.tests ?? {})) {
    // Credentials are read-only and not executable: the script must copy them out.
    writeFileSync(path.join(credentials, `mkosi-ci.test.${name}`), text, { mode: 0o400 });
  }
  const osRelease = path.join(dir, 'os-release');
  writeFileSync(osRelease, scenario.osRelease ?? 'ID=debian\nIMAGE_ID="planted"\nIMAGE_VERSION=1.2\n');

  const device = path.join(dir, 'device');
  const script = path.join(dir, 'check.sh');
  writeFileSync(
    script,
    checkScript({
      nonce: TEST_NONCE,
      channel: { kind: 'serial' },
      settleBySeconds: hostUptime() + 30,
      watchSeconds: 0,
      journal: 'on-failure',
      reportPath: device,
      osReleasePath: osRelease,
      ...options,
    }),
  );
  const started = Date.now();
  const run = spawnSync('sh', [script], {
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE: dir,
      RUNTIME_DIRECTORY: dir,
      CREDENTIALS_DIRECTORY: credentials,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const read = (name: string): string =>
    existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '';
  const exit = read('exit').trim();
  return {
    report: read('device'),
    calls: read('calls').split('\n').filter(Boolean),
    exit: exit === '' ? undefined : Number(exit),
    notify: read('notify')
      .split('\n\n')
      .filter(Boolean)
      .map((block) => {
        const [socket, ...args] = block.split('\n').filter((l) => l !== '');
        return { socket: socket ?? '', args: mergedLikeEnvironment(args) };
      }),
    status: run.status,
    stderr: run.stderr,
    dir,
    elapsedMs: Date.now() - started,
  };
}
