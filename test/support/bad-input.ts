import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { annotations, runAction, runCli } from './action-harness.js';
import { expectNoStackTrace } from './assertions.js';
import { REPO, TEST_PROJECTS } from './paths.js';
import { invocations, ranBuild, ranSummary, type RecordingMkosi } from './recording-mkosi.js';

/**
 * One bad input and what it must give: exit status 1, exactly one error line that matches `error`
 * (naming the input, flag or file and what is valid), no stack trace, and no `mkosi build`.
 */
export interface BadInputCase {
  /** What is wrong, as the test is named. */
  name: string;
  /** Action inputs (the CLI gets them as flags), on top of BASE_INPUTS; a function when made at run time. */
  inputs?: Record<string, string> | (() => Record<string, string>);
  /** The one error line. */
  error: RegExp;
  /**
   * True when the input can only be judged once mkosi resolved the configuration: the run must have
   * called `mkosi --json summary`. Otherwise it must have been refused before mkosi resolved anything.
   */
  resolves?: boolean;
  /** Environment of the run, on top of the harness's (PATH gets the recording mkosi in front). */
  env?: Record<string, string> | (() => Record<string, string>);
  /** A hole found by this suite and not fixed yet: why. The case is expected to fail until it is. */
  hole?: string;
  /** Leave the recording mkosi off PATH (for a case about there being no mkosi). */
  withoutMkosiOnPath?: boolean;
  /** A reason to skip the case on this machine (for example: a tool the case needs absent is present). */
  skip?: string;
}

export const DEBIAN_MINIMAL = path.join(TEST_PROJECTS, 'debian-minimal');
export const DEBIAN_BOOTABLE = path.join(TEST_PROJECTS, 'debian-bootable');

/**
 * Under every case: a real project, the mkosi on PATH (the recording one) and no tools tree, so an input
 * that slips through reaches the build (refused by the recording mkosi) fast; the host is never touched.
 */
export const BASE_INPUTS: Readonly<Record<string, string>> = {
  directory: DEBIAN_MINIMAL,
  'mkosi-source': 'system',
  'tools-tree': 'none',
  'prepare-host': 'no',
};

/** What one run left: its exit status, its error lines, everything it printed and what mkosi was asked. */
export interface RunOutcome {
  status: number;
  errors: string[];
  log: string;
  recorded: string[][];
}

/**
 * The case's environment, its PATH with the recording mkosi first (then the case's own PATH or the test
 * process's), and the record the recording mkosi writes to.
 */
function caseEnv(
  mkosi: RecordingMkosi,
  c: Pick<BadInputCase, 'env' | 'withoutMkosiOnPath'>,
  record: string,
): Record<string, string> {
  const env = typeof c.env === 'function' ? c.env() : (c.env ?? {});
  const rest = env.PATH ?? process.env.PATH;
  const PATH = c.withoutMkosiOnPath ? `${rest}` : `${mkosi.dir}:${rest}`;
  return { ...env, PATH, MKOSI_CI_TEST_RECORD: record };
}

/** The case's inputs over the base ones. */
export function caseInputs(c: BadInputCase): Record<string, string> {
  return { ...BASE_INPUTS, ...(typeof c.inputs === 'function' ? c.inputs() : c.inputs) };
}

/** Runs the bundled action (main, then post) on the case's inputs. */
export async function runActionCase(mkosi: RecordingMkosi, c: BadInputCase): Promise<RunOutcome> {
  const record = mkosi.newRecord();
  const run = await runAction({
    inputs: caseInputs(c),
    env: caseEnv(mkosi, c, record),
  });
  expect(run.post.exitCode, run.post.log).toBe(0);
  return {
    status: run.main.exitCode,
    // Post must add none: the one error is main's.
    errors: [...annotations(run.main.log, 'error'), ...annotations(run.post.log, 'error')],
    log: run.main.log + run.post.log,
    recorded: invocations(record),
  };
}

function secretFile(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/**
 * The CLI's flags for action inputs: `--name=value`, a multi-line value as the flag repeated, and the
 * secrets in files (--sign-key-file, --sign-passphrase-file), as the CLI takes them.
 */
export function cliFlags(inputs: Record<string, string>, scratch: string): string[] {
  return Object.entries(inputs).flatMap(([name, value]) => {
    if (name === 'sign-key') return [`--sign-key-file=${secretFile(scratch, 'key.asc', value)}`];
    if (name === 'sign-passphrase') {
      return [`--sign-passphrase-file=${secretFile(scratch, 'passphrase', `${value}\n`)}`];
    }
    return value.split('\n').map((line) => `--${name}=${line}`);
  });
}

/**
 * Runs the CLI bundle: `command` with `args` as given, in a clean environment (its own cache home, no
 * GitHub variables), from the repository.
 */
export async function runCliArgs(
  mkosi: RecordingMkosi,
  args: readonly string[],
  c: Pick<BadInputCase, 'env' | 'withoutMkosiOnPath'> = {},
): Promise<RunOutcome> {
  const record = mkosi.newRecord();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bad-input-cli-'));
  const run = await runCli(args, {
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    XDG_CACHE_HOME: path.join(scratch, 'cache'),
    ...caseEnv(mkosi, c, record),
  });
  const log = run.stdout + run.stderr;
  return {
    status: run.status,
    errors: run.stderr.split('\n').filter((line) => line.startsWith('error:')),
    log,
    recorded: invocations(record),
  };
}

/** Runs `mkosi-ci build` on the case's inputs as flags, with a work directory of its own. */
export function runCliCase(mkosi: RecordingMkosi, c: BadInputCase, command = 'build'): Promise<RunOutcome> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bad-input-cli-'));
  const flags = cliFlags(caseInputs(c), scratch);
  return runCliArgs(mkosi, [command, ...flags, `--work-dir=${path.join(scratch, 'work')}`], c);
}

/** The outcome every bad input must have; `resolves` says whether mkosi got to resolve the configuration. */
export function expectOneEarlyError(outcome: RunOutcome, error: RegExp, resolves = false): void {
  const context = `${outcome.log}\nmkosi was run as:\n${outcome.recorded.map((a) => a.join(' ')).join('\n')}`;
  expect(ranBuild(outcome.recorded), context).toBe(false);
  expect(outcome.status, context).toBe(1);
  expect(outcome.errors, context).toHaveLength(1);
  expect(outcome.errors[0]).toMatch(error);
  expectNoStackTrace(outcome.log);
  expect(ranSummary(outcome.recorded), context).toBe(resolves);
}

/** A directory in the repository with no mkosi configuration. */
export const NOT_A_PROJECT = path.join(REPO, 'test/support');

/** The inputs of action.yml no case gives a bad value whose error names it. */
export function inputsWithoutCase(cases: readonly BadInputCase[]): string[] {
  const action = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const named = (c: BadInputCase, input: string): boolean =>
    Object.keys(typeof c.inputs === 'function' ? c.inputs() : (c.inputs ?? {})).includes(input) &&
    c.error.source.includes(input);
  return Object.keys(action.inputs).filter((input) => !cases.some((c) => named(c, input)));
}
