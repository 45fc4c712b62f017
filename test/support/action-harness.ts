import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionNode, REPO } from './paths.js';

export interface StepRun {
  exitCode: number;
  /** Everything the step printed (stdout and stderr, interleaved as they came). */
  log: string;
  /** Wall time from spawning node to its exit (bench/pr-check reports the post step's). */
  seconds: number;
}

export interface ActionRun {
  main: StepRun;
  post: StepRun;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  runnerDir: string;
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file: `name<<delimiter` heredocs and `name=value` lines. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) body.push(lines[i]!);
      values[name!] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

function runStep(script: string, env: NodeJS.ProcessEnv, cwd: string, logFile: string): Promise<StepRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(actionNode(), [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const collect = (chunk: Buffer): void => {
      chunks.push(chunk);
      writeFileSync(logFile, chunk, { flag: 'a' });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        exitCode: code ?? 1,
        log: Buffer.concat(chunks).toString('utf8'),
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      }),
    );
  });
}

/**
 * Runs the bundled action as the runner does: INPUT_* variables, the GITHUB_* command files and
 * RUNNER_TEMP/RUNNER_TOOL_CACHE folders, `node dist/main/index.js`, then the post entry with the state
 * main saved.
 */
export async function runAction(options: {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
  runnerDir?: string;
}): Promise<ActionRun> {
  const runnerDir = options.runnerDir ?? mkdtempSync(path.join(os.tmpdir(), 'mkosi-ci-runner-'));
  const files = {
    GITHUB_OUTPUT: path.join(runnerDir, 'output'),
    GITHUB_STATE: path.join(runnerDir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(runnerDir, 'summary.md'),
    GITHUB_ENV: path.join(runnerDir, 'env'),
    GITHUB_PATH: path.join(runnerDir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const dirs = {
    RUNNER_TEMP: path.join(runnerDir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(runnerDir, 'tool-cache'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const inputs = Object.fromEntries(
    Object.entries(options.inputs).map(([name, value]) => [
      `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
      value,
    ]),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.cwd ?? REPO,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    // Not github-hosted: prepare-host=auto must leave this machine alone.
    RUNNER_ENVIRONMENT: 'self-hosted',
    ...files,
    ...dirs,
    ...inputs,
    ...options.env,
  };
  const cwd = options.cwd ?? REPO;
  const main = await runStep(
    path.join(REPO, 'dist/main/index.js'),
    env,
    cwd,
    path.join(runnerDir, 'main.log'),
  );
  const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'));
  const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
  const post = await runStep(
    path.join(REPO, 'dist/post/index.js'),
    { ...env, ...stateEnv },
    cwd,
    path.join(runnerDir, 'post.log'),
  );
  return {
    main,
    post,
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state,
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerDir,
  };
}

/** The workflow-command annotations a step printed: `::error file=…::message`. */
export function annotations(log: string, level: 'error' | 'warning'): string[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith(`::${level}`))
    .map((l) => l.slice(l.indexOf('::', 2) + 2));
}

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI bundle (`node dist/cli/index.js …`, what `npx mkosi-ci` runs) without blocking this
 * process, so servers the test runs in-process keep answering.
 */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cli = path.join(REPO, 'dist/cli/index.js'),
): Promise<CliRun> {
  return runNode([cli, ...args], env);
}

/**
 * Runs the CLI from src/ through tsx: for tests of code the bundle does not hold yet (dist/ is rebuilt
 * when a branch is merged). Same process boundary, same output.
 */
export function runSourceCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return runNode(['--import', 'tsx', path.join(REPO, 'src/cli/index.ts'), ...args], env);
}

function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(actionNode(), args, { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        status: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
