import { randomBytes } from 'node:crypto';
import { REPORT_BEGIN, REPORT_END, TIMESTAMP_PROPERTIES } from './check-unit.js';
import { parseCrashLine, type Crash } from './crash-scan.js';
import { parseTestLines, type TestResult } from './test-results.js';

/**
 * The host side of the report channel: the guest writes `KEY VALUE` lines between a begin and an end
 * marker that both carry a per-run nonce. Only the check script knows the nonce, so nothing else the
 * guest prints (a unit echoing a fake report, the kernel, a getty) can forge a verdict; a report without
 * its end marker (the guest died while writing) is no report.
 */

/** 128 random bits, hex: unguessable and safe to embed in a shell script and on a serial line. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export interface FailedUnit {
  /** e.g. `planted-fail.service`. */
  name: string;
  load: string;
  active: string;
  sub: string;
  description: string;
  /** The `Active:` line of `systemctl status`, e.g. `failed (Result: exit-code) since …`. */
  statusLine: string | undefined;
  /** The whole `systemctl status` output, for the artifacts. */
  status: string[];
}

/** Boot phases in milliseconds, as systemd-analyze computes them (undefined when not measured). */
export interface BootTimings {
  firmwareMs?: number;
  loaderMs?: number;
  kernelMs?: number;
  initrdMs?: number;
  userspaceMs?: number;
  /** From the kernel's start to the end of the boot transaction. */
  totalMs?: number;
}

export interface GuestReport {
  /** `systemctl is-system-running` after the wait: running, degraded, starting, … ('' when unreadable). */
  state: string;
  /** Whether the boot settled within the bound, or the check gave up waiting. */
  settled: boolean;
  /** Seconds the check watched for late failures. */
  watchedSeconds: number;
  /** Failed units, masked ones left out (tolerated ones included: the host decides with boot-allow-failed). */
  failedUnits: FailedUnit[];
  /** Failed units that are masked: switched off on purpose, they do not count. */
  maskedUnits: string[];
  /** Processes that crashed during the boot, as the journal tells (see crash-scan.ts). */
  crashes: Crash[];
  /** `systemctl list-jobs` lines (JOB UNIT TYPE STATE) when the boot did not settle: what it waited for. */
  jobs: string[];
  /** Steps of the check that failed, with what they printed. */
  errors: string[];
  /** The status the check ended the guest with (`systemctl exit`); undefined when the report has none. */
  exitCode: number | undefined;
  timings: BootTimings;
  /** Guest uptime (s) when the boot settled and when the report was written. */
  settledAt?: number;
  reportedAt?: number;
  blame: string[];
  journal: string[];
  /** The journal in export format, base64 (`journalctl -o export`); '' when the report has none. */
  journalExport: string;
  /** The boot tests that ran, in order (none when there were none, or the check failed first). */
  tests: TestResult[];
}

export type ReportResult =
  | { found: true; report: GuestReport }
  /** `truncated`: the begin marker came but no end marker (the guest died or was killed while writing). */
  | { found: false; truncated: boolean };

/** The report lines between the markers, or why there are none. */
export function extractReportLines(
  captured: string,
  nonce: string,
): { lines: string[] } | { lines: undefined; truncated: boolean } {
  // A tty turns "\n" into "\r\n"; a line may also start with leftovers of other output.
  const lines = captured.split('\n').map((l) => l.replace(/\r$/, ''));
  const begin = lines.findIndex((l) => l.trimStart() === `${REPORT_BEGIN} ${nonce}`);
  if (begin < 0) return { lines: undefined, truncated: false };
  const end = lines.findIndex((l, i) => i > begin && l === `${REPORT_END} ${nonce}`);
  if (end < 0) return { lines: undefined, truncated: true };
  return { lines: lines.slice(begin + 1, end) };
}

/**
 * One line of `systemctl list-units --plain --no-legend --full`: `UNIT LOAD ACTIVE SUB DESCRIPTION…`.
 * Older systemctl versions prefix failed units with a `●` bullet; it is skipped.
 */
export function parseUnitLine(line: string): Omit<FailedUnit, 'statusLine' | 'status'> | undefined {
  const fields = line.trim().replace(/^●\s*/, '').split(/\s+/);
  const [name, load, active, sub, ...description] = fields;
  if (!name || !load || !active || !sub) return undefined;
  return { name, load, active, sub, description: description.join(' ') };
}

/** The `Active:` line of a `systemctl status` output, without its label. */
export function statusLine(status: readonly string[]): string | undefined {
  for (const line of status) {
    const match = /^\s*Active:\s*(.*)$/.exec(line);
    if (match) return match[1]!.trim();
  }
  return undefined;
}

const usToMs = (us: number): number => Math.round(us / 1000);

/**
 * The boot phases from the manager's monotonic timestamps (µs), with systemd-analyze's arithmetic:
 * firmware and loader timestamps count backwards from the kernel's start.
 */
export function bootTimings(props: ReadonlyMap<string, number>): BootTimings {
  const get = (key: (typeof TIMESTAMP_PROPERTIES)[number]): number => props.get(key) ?? 0;
  const firmware = get('FirmwareTimestampMonotonic');
  const loader = get('LoaderTimestampMonotonic');
  const initrd = get('InitRDTimestampMonotonic');
  const userspace = get('UserspaceTimestampMonotonic');
  const finish = get('FinishTimestampMonotonic');
  const timings: BootTimings = {};
  if (firmware > 0 && loader > 0) timings.firmwareMs = usToMs(firmware - loader);
  if (loader > 0) timings.loaderMs = usToMs(loader);
  if (userspace > 0) {
    timings.kernelMs = usToMs(initrd > 0 ? initrd : userspace);
    if (initrd > 0) timings.initrdMs = usToMs(userspace - initrd);
  }
  if (finish > 0) {
    if (userspace > 0) timings.userspaceMs = usToMs(finish - userspace);
    timings.totalMs = usToMs(finish);
  }
  return timings;
}

function splitKey(line: string): [string, string] {
  const space = line.indexOf(' ');
  return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
}

/** Keys whose every line is kept, in order. */
const LIST_KEYS = {
  blame: 'blame',
  journal: 'journal',
  masked: 'maskedUnits',
  job: 'jobs',
  error: 'errors',
} as const;

/** A whole number, or undefined: `Number('')` is 0, which would read a missing value as a status. */
export function wholeNumber(value: string | undefined): number | undefined {
  return /^\d+$/.test(value ?? '') ? Number(value) : undefined;
}

/** Parses the lines between the markers (see `checkScript` for their keys). */
export function parseReportLines(lines: readonly string[]): GuestReport {
  const values = new Map<string, string>();
  const timestamps = new Map<string, number>();
  const statuses = new Map<string, string[]>();
  const lists = { blame: [], journal: [], maskedUnits: [], jobs: [], errors: [] } as Record<
    (typeof LIST_KEYS)[keyof typeof LIST_KEYS],
    string[]
  >;
  const failed: Omit<FailedUnit, 'statusLine' | 'status'>[] = [];
  const crashes: Crash[] = [];
  for (const line of lines) {
    const [key, value] = splitKey(line);
    if (Object.hasOwn(LIST_KEYS, key)) lists[LIST_KEYS[key as keyof typeof LIST_KEYS]].push(value);
    else if (key === 'timestamp') {
      const match = /^(\w+)=(\d+)$/.exec(value);
      if (match) timestamps.set(match[1]!, Number(match[2]));
    } else if (key === 'failed') {
      const unit = parseUnitLine(value);
      if (unit) failed.push(unit);
    } else if (key === 'crash') {
      const crash = parseCrashLine(value);
      if (crash) crashes.push(crash);
    } else if (key.startsWith('status:')) {
      const unit = key.slice('status:'.length);
      statuses.set(unit, [...(statuses.get(unit) ?? []), value]);
    } else values.set(key, value);
  }
  const number = (key: string): number | undefined => {
    const n = Number.parseFloat(values.get(key) ?? '');
    return Number.isFinite(n) ? n : undefined;
  };
  return {
    ...lists,
    state: values.get('state') ?? '',
    settled: values.get('settle') === 'done',
    watchedSeconds: wholeNumber(values.get('watched')) ?? 0,
    failedUnits: failed.map((unit) => {
      const status = statuses.get(unit.name) ?? [];
      return { ...unit, statusLine: statusLine(status), status };
    }),
    crashes,
    journalExport: values.get('journal-export') ?? '',
    exitCode: wholeNumber(values.get('exit')),
    timings: bootTimings(timestamps),
    settledAt: number('settled'),
    reportedAt: number('reported'),
    tests: parseTestLines(lines),
  };
}

/** Finds and parses the report with this run's nonce in what the report channel captured. */
export function parseReport(captured: string, nonce: string): ReportResult {
  const extracted = extractReportLines(captured, nonce);
  if (!extracted.lines) return { found: false, truncated: extracted.truncated };
  return { found: true, report: parseReportLines(extracted.lines) };
}

/** Kernel messages that mean the guest died before the check could report. */
const PANIC_PATTERNS = [
  /Kernel panic - not syncing/,
  /KVM internal error/,
  /emulation failure/,
  /systemd\[1\]: Freezing execution/,
  /systemd\[1\]: Caught <\w+>, (?:dumped core|cannot fork)/,
];

/** The first line of the console log that shows the guest crashed, if any. */
export function findPanic(consoleLog: string): string | undefined {
  for (const line of consoleLog.split('\n')) {
    // eslint-disable-next-line no-control-regex
    const clean = line.replace(/\r$/, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    if (PANIC_PATTERNS.some((p) => p.test(clean))) return clean.trim();
  }
  return undefined;
}
