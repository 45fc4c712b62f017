import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A recording `mkosi` put first on PATH: it appends its argument list to the file named by
 * $MKOSI_CI_TEST_RECORD (one record per run, so concurrent runs never share one) and then execs the
 * real mkosi. It refuses the `build` verb after recording it: a bad input that slips through is then a
 * fast, visible failure instead of a build of many minutes in the test project.
 */

/** Separates the arguments of one invocation, and invocations, in the record: neither occurs in arguments. */
const UNIT = '\x1f';
const RECORD = '\x1e';

/** The real mkosi, resolved on the test process's PATH before the wrapper goes in front of it. */
export function realMkosi(): string {
  if (existsSync('/usr/local/bin/mkosi')) return '/usr/local/bin/mkosi';
  return execFileSync('sh', ['-c', 'command -v mkosi'], { encoding: 'utf8' }).trim();
}

export interface RecordingMkosi {
  /** The directory holding the wrapper, to put first on PATH. */
  dir: string;
  /** Where invocations without $MKOSI_CI_TEST_RECORD go (none should). */
  unlabelled: string;
  /** A fresh record file for one run. */
  newRecord(): string;
}

export function recordingMkosi(real = realMkosi()): RecordingMkosi {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'recording-mkosi-'));
  const unlabelled = path.join(dir, 'unlabelled.record');
  const script = [
    '#!/bin/sh',
    `record="\${MKOSI_CI_TEST_RECORD:-${unlabelled}}"`,
    `printf '%s\\037' "$@" >> "$record"`,
    `printf '\\036' >> "$record"`,
    'for arg in "$@"; do',
    '  if [ "$arg" = build ]; then',
    "    echo 'recording mkosi: the build verb is refused in this test' >&2",
    '    exit 97',
    '  fi',
    'done',
    `exec '${real}' "$@"`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'mkosi'), script);
  chmodSync(path.join(dir, 'mkosi'), 0o755);
  let records = 0;
  return {
    dir,
    unlabelled,
    newRecord: () => path.join(dir, `run-${++records}.record`),
  };
}

/** The argument lists recorded in `file`, one per mkosi invocation (none when mkosi never ran). */
export function invocations(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(RECORD)
    .filter((record) => record !== '')
    .map((record) => record.split(UNIT).slice(0, -1));
}

/** Whether any invocation has mkosi's `build` verb (the verb is an argument of its own). */
export function ranBuild(recorded: readonly string[][]): boolean {
  return recorded.some((args) => args.includes('build'));
}

/** Whether any invocation resolved the configuration (`mkosi … --json summary`). */
export function ranSummary(recorded: readonly string[][]): boolean {
  return recorded.some((args) => args.includes('summary'));
}
