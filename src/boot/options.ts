import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import {
  invalid,
  parseChoice,
  parseInteger,
  parseTristate,
  splitLines,
  type InputReader,
  type Tristate,
} from '../input-parsing.js';
import { settleBySeconds } from './bounds.js';
import { defaultTimeoutSeconds } from './timeouts.js';
import { FIRMWARE_CHOICES, type FirmwareChoice } from './firmware.js';
import { globToRegExp } from './verdict.js';
import { parseBootTestSource, type BootTestSource } from './boot-tests.js';

export type TransportChoice = 'auto' | 'vsock' | 'serial';

/** The boot inputs, parsed. */
export interface BootOptions {
  enabled: Tristate;
  /** Seconds; undefined: scaled to whether KVM works. */
  timeoutSeconds: number | undefined;
  transport: TransportChoice;
  kvm: Tristate;
  /** boot-ram and boot-cpus; undefined: the project's RAM= and CPUs= (see machine-size.ts). */
  memoryMiB: number | undefined;
  cpus: number | undefined;
  firmware: FirmwareChoice;
  allowFailed: string[];
  watchSeconds: number;
  test: BootTestSource;
  /** Seconds each boot test may run. */
  testTimeoutSeconds: number;
  /** `update-from`: an earlier version's disk image, or a directory holding one (see update-round-trip.ts). */
  updateFrom: string | undefined;
}

/** An input that may be left empty: undefined then. */
function optional<T>(value: string, parse: (value: string) => T): T | undefined {
  return value === '' ? undefined : parse(value);
}

/** A glob systemctl would take: its brackets closed and their ranges in order. */
function compiles(pattern: string): boolean {
  try {
    globToRegExp(pattern);
    return !/\[[^\]]*$/.test(pattern);
  } catch {
    return false;
  }
}

export function parseAllowFailed(value: string): string[] {
  const patterns = splitLines(value);
  for (const pattern of patterns) {
    if (!/^[A-Za-z0-9:_.\\@*?[\]-]+$/.test(pattern) || !compiles(pattern)) {
      throw invalid(Input.BootAllowFailed, pattern, 'unit names or globs such as foo.service or systemd-*');
    }
  }
  return patterns;
}

/** update-from, refused before anything is built when it names nothing (its disk is judged at check). */
function existingPath(value: string, cwd: string): string {
  const resolved = path.resolve(cwd, value);
  if (existsSync(resolved)) return resolved;
  throw invalid(Input.UpdateFrom, value, 'the disk image of an earlier version, or a directory holding one');
}

/** A number of seconds, or auto (undefined); the error says both. */
function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (/^\d+$/.test(value) && seconds >= 30 && seconds <= 86_400) return seconds;
  throw invalid(Input.BootTimeout, value, 'auto or a whole number of seconds from 30 to 86400');
}

/**
 * The guest watches for late failures within the timeout, after it booted: a watch that fills the
 * timeout cannot work. `auto` is at most the software-emulation timeout.
 */
function checkWatchFitsTimeout(watchSeconds: number, timeoutSeconds: number | undefined): void {
  const longest = timeoutSeconds ?? defaultTimeoutSeconds('tcg');
  if (watchSeconds < longest) return;
  const timeout = timeoutSeconds === undefined ? `auto: at most ${longest}` : `${longest}`;
  throw new ConfigurationError(
    `Input ${Input.BootWatch}: ${watchSeconds} seconds leaves no time to boot within ${Input.BootTimeout} (${timeout} seconds); give a ${Input.BootWatch} shorter than ${Input.BootTimeout}.`,
  );
}

/** `cwd` resolves a boot-test path (the repository's checkout in a workflow). */
export function parseBootOptions(inputs: InputReader, cwd = process.cwd()): BootOptions {
  const options = parseEach(inputs, cwd);
  checkWatchFitsTimeout(options.watchSeconds, options.timeoutSeconds);
  // A timeout given in seconds is shared out now, so one too short is refused before the build (with
  // room for one test: a directory's tests are counted when they are loaded, at boot); auto's share
  // depends on the accelerator, known at boot.
  if (options.timeoutSeconds !== undefined) {
    const testSeconds = options.test.kind === 'none' ? 0 : options.testTimeoutSeconds;
    settleBySeconds(options.timeoutSeconds, options.watchSeconds, testSeconds);
  }
  return options;
}

function parseEach(inputs: InputReader, cwd: string): BootOptions {
  const { value, raw } = inputs;
  const timeout = value(Input.BootTimeout);
  return {
    enabled: parseTristate(Input.Boot, value(Input.Boot)),
    timeoutSeconds: timeout === 'auto' ? undefined : parseTimeout(timeout),
    transport: parseChoice(Input.BootTransport, value(Input.BootTransport), [
      'auto',
      'vsock',
      'serial',
    ] as const),
    kvm: parseTristate(Input.Kvm, value(Input.Kvm)),
    memoryMiB: optional(value(Input.BootRam), (v) => parseInteger(Input.BootRam, v, 256, 1_048_576, 'MiB')),
    cpus: optional(value(Input.BootCpus), (v) => parseInteger(Input.BootCpus, v, 1, 256, 'CPUs')),
    firmware: parseChoice(Input.BootFirmware, value(Input.BootFirmware), FIRMWARE_CHOICES),
    allowFailed: parseAllowFailed(raw(Input.BootAllowFailed)),
    watchSeconds: parseInteger(Input.BootWatch, value(Input.BootWatch), 0, 3_600, 'seconds'),
    test: parseBootTestSource(raw(Input.BootTest), cwd),
    testTimeoutSeconds: parseInteger(
      Input.BootTestTimeout,
      value(Input.BootTestTimeout),
      1,
      86_400,
      'seconds',
    ),
    updateFrom: optional(value(Input.UpdateFrom), (v) => existingPath(v, cwd)),
  };
}
